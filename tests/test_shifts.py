"""Shift slots tile time exactly, including across daylight-saving transitions."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from roster.admin.schema import ShiftPattern
from roster.shifts import generate_slots

PATTERNS = st.sampled_from(
    [
        ShiftPattern(),
        ShiftPattern(handover="00:00"),
        ShiftPattern(kind="day_night", handover="08:30", night_starts="17:30"),
    ]
)
ZONES = st.sampled_from(["Asia/Shanghai", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe"])


@given(start=st.dates(dt.date(2025, 1, 1), dt.date(2027, 12, 31)), days=st.integers(1, 60), pattern=PATTERNS, tz=ZONES)
def test_slots_are_contiguous_and_unique(start: dt.date, days: int, pattern: ShiftPattern, tz: str) -> None:
    slots = generate_slots(start, days, pattern, tz)
    assert all(a.ends_at == b.starts_at for a, b in zip(slots, slots[1:], strict=False))
    assert all(s.starts_at < s.ends_at for s in slots)
    assert len({s.uid for s in slots}) == len(slots)
    assert {s.duty_date for s in slots} == {start + dt.timedelta(days=i) for i in range(days)}


def test_berlin_dst_days_have_23_and_25_hours() -> None:
    spring = generate_slots(dt.date(2026, 3, 28), 2, ShiftPattern(handover="00:30"), "Europe/Berlin")
    autumn = generate_slots(dt.date(2026, 10, 24), 2, ShiftPattern(handover="00:30"), "Europe/Berlin")
    assert [s.hours for s in spring] == [24.0, 23.0]
    assert [s.hours for s in autumn] == [24.0, 25.0]


def test_duty_date_before_handover_is_the_previous_day() -> None:
    import datetime as dt

    from roster.shifts import duty_date_at

    full = ShiftPattern()  # 08:30 handover
    at = dt.datetime(2026, 11, 23, 21, 45, tzinfo=dt.UTC)  # 05:45 on the 24th in Shanghai
    assert duty_date_at(at, full, "Asia/Shanghai") == dt.date(2026, 11, 23)
    assert duty_date_at(at + dt.timedelta(hours=2, minutes=45), full, "Asia/Shanghai") == dt.date(2026, 11, 24)
    split = ShiftPattern(kind="day_night", night_starts="17:30")
    assert duty_date_at(at, split, "Asia/Shanghai") == dt.date(2026, 11, 23)  # still the 23rd's night


@given(instant=st.datetimes(dt.datetime(2025, 1, 1), dt.datetime(2027, 12, 31)), pattern=PATTERNS, tz=ZONES)
def test_duty_date_is_that_of_the_slot_covering_the_instant(
    instant: dt.datetime, pattern: ShiftPattern, tz: str
) -> None:
    from roster.shifts import duty_date_at

    at = instant.replace(tzinfo=dt.UTC)
    day = duty_date_at(at, pattern, tz)
    slots = generate_slots(day - dt.timedelta(days=1), 3, pattern, tz)
    (covering,) = [s for s in slots if s.starts_at <= at < s.ends_at]
    assert covering.duty_date == day
