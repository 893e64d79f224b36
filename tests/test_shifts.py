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
