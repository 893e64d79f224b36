"""Random small bureaus: every minute covered, nobody in two places, rest and leave kept, roles present."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from planning_helpers import clear_roster, install_bureau, small_bureau, stored_roster

from roster.planning.check import coverage
from roster.planning.plan import plan
from roster.storage import open_session
from roster.timeutil import local_wall_clock_to_utc

NOW = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)


@st.composite
def bureaus(draw: st.DrawFn):  # noqa: ANN201
    leaders, officers = draw(st.integers(2, 4)), draw(st.integers(3, 8))
    day_night = draw(st.booleans())
    start = dt.date(2026, 5, 4) + dt.timedelta(days=draw(st.integers(0, 40)))
    leave = []
    for _ in range(draw(st.integers(0, 2))):
        who = draw(
            st.sampled_from([f"o{i}" for i in range(1, officers + 1)] + [f"l{i}" for i in range(1, leaders + 1)])
        )
        first = start + dt.timedelta(days=draw(st.integers(0, 8)))
        leave.append({"person": who, "from": first, "to": first + dt.timedelta(days=draw(st.integers(0, 3)))})
    bureau = small_bureau(
        leaders,
        officers,
        tz=draw(st.sampled_from(["Asia/Shanghai", "Europe/Berlin", "America/New_York"])),
        rules={
            "min_rest_hours": draw(st.sampled_from([0, 12, 24, 36])),
            "max_consecutive_duties": draw(st.integers(1, 3)),
            "max_duties_per_month": draw(st.integers(4, 31)),
            "not_together": [["o1", "o2"]] if draw(st.booleans()) else [],
        },
        requirements={"leader_on_duty": 1, "duty_officer": draw(st.integers(1, 2))},
        leave=leave,
        shift_pattern={"kind": "day_night", "handover": "08:00", "night_starts": "20:00"} if day_night else None,
    )
    return bureau, start, draw(st.integers(3, 10))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=bureaus())
def test_planned_roster_keeps_every_hard_rule(db_url: str, case) -> None:  # noqa: ANN001
    bureau, start, days = case
    tz = bureau.bureau.timezone
    with open_session(db_url) as s:
        clear_roster(s)
        install_bureau(s, bureau, NOW)
        report = plan(s, bureau, start, days, NOW, time_limit_s=10, workers=1)
        s.commit()
        stored = stored_roster(s)
        if not report.ok:
            assert report.explanations, "an infeasible horizon must be explained"
            assert stored == {}, "nothing is written when no roster is found"
            return
        assert coverage(s, bureau, start, days) == []
    shifts = sorted(stored.values(), key=lambda v: v["starts_at"])
    # Every minute of the horizon is covered: contiguous from the first handover to the one after the horizon.
    handover = bureau.shift_pattern.handover
    assert shifts[0]["starts_at"] == local_wall_clock_to_utc(start, handover, tz)
    assert shifts[-1]["ends_at"] == local_wall_clock_to_utc(start + dt.timedelta(days=days), handover, tz)
    for a, b in zip(shifts, shifts[1:], strict=False):
        assert a["ends_at"] == b["starts_at"]
    rest = dt.timedelta(hours=bureau.rules.min_rest_hours)
    held: dict[str, list[tuple]] = {}
    for (day, _slot), shift in stored.items():
        roles = [role for role, _ in shift["seats"]]
        for role, need in bureau.requirements.items():
            assert roles.count(role) == need
        people = [pid for _, pid in shift["seats"].values()]
        assert len(people) == len(set(people))
        for (role, _), (_, pid) in shift["seats"].items():
            assert role in bureau.person(pid).roles
            assert not any(lv.person == pid and lv.first_day <= day <= lv.last_day for lv in bureau.leave)
            held.setdefault(pid, []).append((shift["starts_at"], shift["ends_at"]))
        assert not ({"o1", "o2"} <= set(people) and ["o1", "o2"] in [list(p) for p in bureau.rules.not_together])
    for spans in held.values():
        spans.sort()
        for (_, end), (begin, _) in zip(spans, spans[1:], strict=False):
            assert begin - end >= rest  # also: nobody in two places (gap >= 0)


def test_fixed_totals_do_not_change_the_optimum(db_url: str) -> None:
    """The average bounds that make fairness fast are implied constraints: same optimum without them."""
    import dataclasses

    from roster.planning.build import build_problem
    from roster.solver.cpsat import solve

    ledger = {"l1": {"duties": 3, "weekends": 1}, "o2": {"holidays": 2}}
    bureau = small_bureau(3, 7, rules={"min_rest_hours": 24, "max_consecutive_duties": 1}, ledger=ledger)
    with open_session(db_url) as s:
        install_bureau(s, bureau, NOW)
        pp = build_problem(s, bureau, dt.date(2026, 9, 28), 10, NOW)  # National Day holidays from 1 October
    assert all(t.total is not None for t in pp.problem.fairness)
    plain = dataclasses.replace(
        pp.problem, fairness=tuple(dataclasses.replace(t, total=None) for t in pp.problem.fairness)
    )
    with_totals, without = solve(pp.problem, 20, workers=2), solve(plain, 20, workers=2)
    assert with_totals.status == without.status == "optimal"
    assert with_totals.objective == without.objective


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    who=st.sampled_from(["l1", "l2", "o1", "o4", "o7"]),
    first=st.integers(0, 9),
    length=st.integers(0, 3),
)
def test_replan_after_leave_reports_exactly_what_changed(db_url: str, who: str, first: int, length: int) -> None:
    start = dt.date(2026, 6, 1)
    rules = {"min_rest_hours": 24, "max_consecutive_duties": 1, "max_duties_per_month": 31}
    bureau = small_bureau(5, 12, rules=rules)
    with open_session(db_url) as s:
        clear_roster(s)
        install_bureau(s, bureau, NOW)
        assert plan(s, bureau, start, 10, NOW).ok
        s.commit()
        before = stored_roster(s)
        span = (start + dt.timedelta(days=first), start + dt.timedelta(days=first + length))
        leave = [{"person": who, "from": span[0], "to": span[1]}]
        install_bureau(s, small_bureau(5, 12, rules=rules, leave=leave), NOW)
        report = plan(s, small_bureau(5, 12, rules=rules, leave=leave), start, 10, NOW)
        s.commit()
        after = stored_roster(s)
    assert report.ok
    moved = {key for key in before if before[key] != after[key]}
    assert {(c.duty_date, c.slot) for c in report.changes} == moved
    held = {k for k, v in before.items() if span[0] <= k[0] <= span[1] and who in {p for _, p in v["seats"].values()}}
    assert held <= moved
    assert not any(span[0] <= k[0] <= span[1] and who in {p for _, p in v["seats"].values()} for k, v in after.items())
    for change in report.changes:
        for seat in change.seats:  # the listed old -> new is what was stored before and after
            key = (change.duty_date, change.slot)
            assert sorted(seat.old) == sorted(p for (r, _), (_, p) in before[key]["seats"].items() if r == seat.role)
            assert sorted(seat.new) == sorted(p for (r, _), (_, p) in after[key]["seats"].items() if r == seat.role)
