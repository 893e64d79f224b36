"""A Europe/Berlin bureau across both 2026 daylight-saving changes: no gap, no overlap, rest in real hours."""

from __future__ import annotations

import datetime as dt

import pytest
from planning_helpers import install_bureau, small_bureau, stored_roster

from roster.planning.build import build_problem
from roster.planning.check import coverage
from roster.planning.plan import plan
from roster.storage import open_session
from roster.timeutil import local_wall_clock_to_utc

NOW = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
BERLIN = "Europe/Berlin"


@pytest.mark.parametrize(
    ("start", "short_or_long"),
    [(dt.date(2026, 3, 26), dt.date(2026, 3, 28)), (dt.date(2026, 10, 22), dt.date(2026, 10, 24))],
)
@pytest.mark.parametrize("pattern", ["full", "day_night"])
def test_roster_is_contiguous_across_dst(db_url: str, start: dt.date, short_or_long: dt.date, pattern: str) -> None:
    shift_pattern = {"kind": "day_night", "handover": "08:00", "night_starts": "20:00"} if pattern != "full" else None
    bureau = small_bureau(4, 8, tz=BERLIN, shift_pattern=shift_pattern)
    with open_session(db_url) as s:
        install_bureau(s, bureau, NOW)
        report = plan(s, bureau, start, 7, NOW, time_limit_s=20)
        s.commit()
        assert report.ok, report.explanations
        assert coverage(s, bureau, start, 7) == []
        shifts = sorted(stored_roster(s).values(), key=lambda v: v["starts_at"])
    handover = bureau.shift_pattern.handover
    assert shifts[0]["starts_at"] == local_wall_clock_to_utc(start, handover, BERLIN)
    assert shifts[-1]["ends_at"] == local_wall_clock_to_utc(start + dt.timedelta(days=7), handover, BERLIN)
    for a, b in zip(shifts, shifts[1:], strict=False):
        assert a["ends_at"] == b["starts_at"]
    hours = {(sh["starts_at"], round((sh["ends_at"] - sh["starts_at"]).total_seconds() / 3600)) for sh in shifts}
    lengths = sorted({h for _, h in hours})
    if pattern == "full":
        # The duty starting the Saturday before the change spans the night the clocks move: 23 h or 25 h.
        assert lengths == ([23, 24] if start.month == 3 else [24, 25])
        changed = [sh for sh in shifts if round((sh["ends_at"] - sh["starts_at"]).total_seconds() / 3600) != 24]
        assert [local_wall_clock_to_utc(short_or_long, handover, BERLIN)] == [sh["starts_at"] for sh in changed]
    else:
        assert lengths == ([11, 12] if start.month == 3 else [12, 13])


def test_rest_is_measured_in_real_hours(db_url: str) -> None:
    """48 h rest in Berlin: the duty of 27 March ends 08:30 CET on the 28th, the one of 30 March starts 08:30
    CEST, only 47 real hours later, so nobody may hold both (likewise 26 -> 29 March); one week later the same
    wall-clock gap is a full 48 h and allowed."""
    bureau = small_bureau(4, 8, tz=BERLIN, rules={"min_rest_hours": 48, "max_consecutive_duties": 1})
    with open_session(db_url) as s:
        install_bureau(s, bureau, NOW)
        pp = build_problem(s, bureau, dt.date(2026, 3, 23), 14, NOW)
    pairs = {(c.first[0], c.second[0]) for c in pp.problem.conflicts}
    assert {(a, b) for a, b in pairs if b - a > 2} == {(3, 6), (4, 7)}  # 26th -> 29th, 27th -> 30th: 47 h
    assert (5, 8) not in pairs and (2, 5) not in pairs and (11, 14) not in pairs
