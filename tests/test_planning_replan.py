"""Re-planning changes only what it must, keeps every other row, and lists exactly the changes."""

from __future__ import annotations

import datetime as dt

import pytest
from planning_helpers import install_bureau, small_bureau, stored_roster

from roster.planning.build import build_problem
from roster.planning.check import coverage
from roster.planning.plan import plan
from roster.storage import open_session
from roster.storage.models.shifts import AuditEntry

START = dt.date(2026, 6, 1)
DAYS = 14
T1 = dt.datetime(2026, 5, 20, 1, 0, tzinfo=dt.UTC)
T2 = dt.datetime(2026, 5, 25, 1, 0, tzinfo=dt.UTC)
RULES = {"min_rest_hours": 24, "max_consecutive_duties": 1, "max_duties_per_month": 31}


def _held(roster: dict, person: str) -> set:
    return {key for key, shift in roster.items() if any(pid == person for _, pid in shift["seats"].values())}


def _check_only(before: dict, after: dict, expected: set, gone: str, t2: dt.datetime) -> None:
    for key, old in before.items():
        new = after[key]
        if key not in expected:
            assert new == old, f"{key} must not change"
            continue
        assert new["revision"] == old["revision"] + 1 and new["changed_at"] == t2
        assert new["uid"] == old["uid"]
        for seat, (row_id, pid) in old["seats"].items():
            assert new["seats"][seat][0] == row_id  # every row survives; only the leaving person's changes holder
            assert (new["seats"][seat][1] == pid) == (pid != gone)


def test_new_leave_moves_only_that_persons_shifts(any_db_url: str) -> None:
    bureau = small_bureau(4, 10, rules=RULES)
    with open_session(any_db_url) as s:
        install_bureau(s, bureau, T1)
        first = plan(s, bureau, START, DAYS, T1, actor="tester")
        s.commit()
        assert first.ok and first.created == DAYS and first.changes == []
        before = stored_roster(s)
        same = plan(s, bureau, START, DAYS, T2)  # nothing new: nothing changes
        s.commit()
        assert same.changes == [] and same.unchanged == DAYS and stored_roster(s) == before

        target = next(iter(sorted(_held(before, "o3"))))[0]
        leave = [{"person": "o3", "from": target, "to": target + dt.timedelta(days=3), "reason": "病假"}]
        bureau2 = small_bureau(4, 10, rules=RULES, leave=leave)
        install_bureau(s, bureau2, T2)
        report = plan(s, bureau2, START, DAYS, T2, actor="tester")
        s.commit()
        after = stored_roster(s)
        expected = {k for k in _held(before, "o3") if target <= k[0] <= target + dt.timedelta(days=3)}
        assert expected and {(c.duty_date, c.slot) for c in report.changes} == expected
        for change in report.changes:
            [seat] = change.seats
            assert seat.role == "duty_officer" and "o3" in seat.old and "o3" not in seat.new
            assert len(set(seat.new) - set(seat.old)) == 1
        _check_only(before, after, expected, "o3", T2)
        audit = s.query(AuditEntry).filter_by(action="plan").order_by(AuditEntry.id).all()
        assert [a.actor for a in audit] == ["tester", "system", "tester"]
        assert len(audit[-1].details["changes"]) == len(expected)


def test_removed_person_loses_exactly_their_shifts(any_db_url: str) -> None:
    bureau = small_bureau(4, 10, rules=RULES)
    with open_session(any_db_url) as s:
        install_bureau(s, bureau, T1)
        assert plan(s, bureau, START, DAYS, T1).ok
        s.commit()
        before = stored_roster(s)
        leader_shifts = _held(before, "l2")
        fewer = small_bureau(4, 10, rules=RULES)
        fewer = fewer.model_copy(update={"people": [p for p in fewer.people if p.id != "l2"]})
        install_bureau(s, fewer, T2)
        report = plan(s, fewer, START, DAYS, T2)
        s.commit()
        assert {(c.duty_date, c.slot) for c in report.changes} == leader_shifts
        assert all(c.seats[0].old == ["l2"] and c.seats[0].new != ["l2"] for c in report.changes)
        _check_only(before, stored_roster(s), leader_shifts, "l2", T2)


def test_shift_under_way_is_not_replanned(db_url: str) -> None:
    bureau = small_bureau(4, 10, rules=RULES)
    with open_session(db_url) as s:
        install_bureau(s, bureau, T1)
        assert plan(s, bureau, START, DAYS, T1).ok
        s.commit()
        before = stored_roster(s)
        today = START + dt.timedelta(days=3)
        [leader] = [pid for (role, _), (_, pid) in before[(today, "full")]["seats"].items() if role == "leader_on_duty"]
        during = dt.datetime.combine(today, dt.time(6, 0), tzinfo=dt.UTC)  # 14:00 Shanghai, shift under way
        sick = small_bureau(4, 10, rules=RULES, leave=[{"person": leader, "from": today, "to": today}])
        install_bureau(s, sick, during)
        report = plan(s, sick, START, DAYS, during)
        s.commit()
        assert report.ok and report.changes == []  # the leader stays on the duty already under way
        assert stored_roster(s) == before


@pytest.mark.parametrize(
    ("leaders", "officers", "rest"),
    [(3, 6, 48), (2, 4, 0)],  # rest forces the rotation / max_consecutive_duties 1 alone forces alternation
)
def test_next_window_continues_the_rotation(any_db_url: str, leaders: int, officers: int, rest: int) -> None:
    """Tight rules force a strict rotation: the second window must read who worked the last days of the first
    (stored duties just outside its horizon: rest, and the consecutive run before it)."""
    rules = {"min_rest_hours": rest, "max_consecutive_duties": 1, "max_duties_per_month": 31}
    bureau = small_bureau(leaders, officers, rules=rules)
    with open_session(any_db_url) as s:
        install_bureau(s, bureau, T1)
        assert plan(s, bureau, START, 7, T1).ok
        s.commit()
        last_day = {pid for _, pid in stored_roster(s)[(START + dt.timedelta(days=6), "full")]["seats"].values()}
        pp = build_problem(s, bureau, START + dt.timedelta(days=7), 7, T1)
        assert {p.id for p in pp.problem.people if p.worked_before == 1} == last_day
        second = plan(s, bureau, START + dt.timedelta(days=7), 7, T1)
        s.commit()
        assert second.ok and second.created == 7
        assert coverage(s, bureau, START, 14) == []
