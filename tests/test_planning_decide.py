"""``decide_problem``: the solver problem from gathered facts, without a database."""

from __future__ import annotations

import datetime as dt

from planning_helpers import small_bureau

from roster.holidays import DayKind
from roster.planning.build import PlanningFacts, decide_problem
from roster.planning.stored import StoredSeat
from roster.shifts import generate_slots
from roster.storage.models.people import Leave

UTC = dt.UTC
START = dt.date(2026, 11, 23)  # a Monday


def _facts(now: dt.datetime, stored: tuple[StoredSeat, ...] = (), leaves: dict | None = None) -> PlanningFacts:
    bureau = small_bureau(2, 3)
    slots = tuple(generate_slots(START, 3, bureau.shift_pattern, bureau.bureau.timezone))
    return PlanningFacts(
        bureau=bureau,
        start=START,
        days=3,
        now=now,
        kinds={START + dt.timedelta(days=i): DayKind.WORKDAY for i in range(3)},
        slots=slots,
        stored=stored,
        active=frozenset({"l1", "l2", "o1", "o2"}),  # o3 left the bureau
        leaves=leaves or {},
        counts_before={"o1": {"duties": 4}},
    )


def _seat(person: str, role: str, day: dt.date, seat: int = 0) -> StoredSeat:
    starts = dt.datetime.combine(day, dt.time(0, 30), tzinfo=UTC)  # 08:30 in Shanghai
    return StoredSeat(person, role, seat, day, "full", starts, starts + dt.timedelta(hours=24))


def test_availability_leave_rest_and_a_shift_under_way() -> None:
    before = START - dt.timedelta(days=1)
    stored = (
        _seat("o1", "duty_officer", before),  # outside: rest keeps o1 off the first day
        _seat("l1", "leader_on_duty", START),  # inside and started at ``now``: frozen
        _seat("o2", "duty_officer", START),
    )
    leave = Leave(person_id="l2", first_day=START + dt.timedelta(days=2), last_day=START + dt.timedelta(days=2))
    pp = decide_problem(_facts(dt.datetime(2026, 11, 23, 1, 0, tzinfo=UTC), stored, {"l2": [leave]}))
    problem = pp.problem
    assert [p.id for p in problem.people] == ["l1", "l2", "o1", "o2"]  # inactive o3 is not planned
    assert pp.frozen == frozenset({(0, "full")})
    assert pp.unavailable_why[("o1", (0, "full"))] == "shift already started"  # not among those holding it
    assert pp.unavailable_why[("l2", (2, "full"))].startswith("on leave 2026-11-25..2026-11-25")
    assert ("o1", (1, "full")) not in pp.unavailable_why  # 24 h rest after the stored duty is over
    o1 = next(p for p in problem.people if p.id == "o1")
    assert o1.worked_before == 1  # the stored duty the day before the horizon
    frozen_cover = {c.role: (c.min, c.max) for c in problem.cover if c.day == 0}
    assert frozen_cover == {"leader_on_duty": (1, 1), "duty_officer": (1, 1)}  # what is there, kept
    assert {(c.role, c.min) for c in problem.cover if c.day == 1} == {("leader_on_duty", 1), ("duty_officer", 2)}
    assert problem.previous is not None and problem.previous.assignments["l1"][0].role == "leader_on_duty"
    duties = next(t for t in problem.fairness if t.category == "duties/duty_officer")
    assert duties.ledger == {"o1": 4, "o2": 0}  # stored duties before the horizon join the ledger


def test_nothing_stored_plans_from_scratch() -> None:
    pp = decide_problem(_facts(dt.datetime(2026, 11, 20, tzinfo=UTC)))
    assert pp.frozen == frozenset() and pp.problem.previous is None and pp.unavailable_why == {}
    assert len(pp.problem.cover) == 3 * 2 and {p.worked_before for p in pp.problem.people} == {0}
