"""The CP-SAT model against a brute-force search on tiny problems, and against the plain-Python checker."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roster.solver.cpsat import solve
from roster.solver.evaluate import penalties, person_violations, violations
from roster.solver.problem import (
    Assignment,
    Conflict,
    Cover,
    FairnessTerm,
    NotTogether,
    Person,
    Problem,
    Request,
    ShiftType,
    Solution,
    WindowLimit,
)


@st.composite
def tiny_problems(draw: st.DrawFn) -> Problem:
    n_shifts = draw(st.integers(1, 2))
    days = draw(st.integers(2, 3 if n_shifts == 2 else 4))
    shifts = tuple(
        ShiftType(
            s,
            draw(st.sampled_from([240, 480])),
            frozenset(draw(st.sets(st.sampled_from("DN"[:n_shifts]), max_size=1))),
        )
        for s in "DN"[:n_shifts]
    )
    roles = ("lead", "crew")
    people = []
    n_people = 2 if n_shifts == 2 or days == 4 else 3
    for i in range(n_people):
        people.append(
            Person(
                id=f"p{i}",
                roles=tuple(draw(st.sampled_from([("lead",), ("crew",), ("lead", "crew")]))),
                max_consecutive=draw(st.none() | st.integers(1, 3)),
                min_consecutive=draw(st.integers(1, 2)),
                min_consecutive_off=draw(st.integers(1, 2)),
                worked_before=draw(st.sampled_from([0, 0, 1])),
                days_off=frozenset(draw(st.sets(st.integers(0, days - 1), max_size=1))),
                limits=(WindowLimit("w", frozenset(range(days)), draw(st.integers(1, days))),),
                max_weekends=draw(st.none() | st.just(0)),
            )
        )
    cover = []
    for d in range(days):
        for s in shifts:
            role = draw(st.sampled_from([None, "lead", "crew"]))
            cover.append(Cover(d, s.id, role, min=draw(st.integers(0, 1)), preferred=1, under_weight=5, over_weight=1))
    requests = [Request("p0", draw(st.integers(0, days - 1)), None, 3, draw(st.booleans()))]
    requests.append(Request("p1", draw(st.integers(0, days - 1)), shifts[-1].id, 2, draw(st.booleans())))
    fairness = (FairnessTerm("duties", 2, frozenset((d, s.id) for d in range(days) for s in shifts), ("p0", "p1")),)
    previous = None
    if draw(st.booleans()):
        previous = Solution(
            {
                "p0": {0: Assignment(shifts[0].id, draw(st.sampled_from(roles)))},
                "p1": {days - 1: Assignment(shifts[-1].id, draw(st.sampled_from(roles)))},
            }
        )
    return Problem(
        days=days,
        shift_types=shifts,
        roles=roles,
        people=tuple(people),
        cover=tuple(cover),
        weekends=(frozenset({days - 1}),),
        requests=tuple(requests),
        not_together=(NotTogether("p0", "p1", weight=draw(st.none() | st.just(4))),),
        conflicts=(Conflict((0, shifts[-1].id), (1, shifts[0].id)),) if draw(st.booleans()) else (),
        fairness=fairness,
        previous=previous,
        change_weight=7,
        outside_is_off=draw(st.booleans()),
    )


def _valid_rows(problem: Problem, person: Person) -> list[dict[int, Assignment]]:
    """Every roster of one person alone that keeps that person's own hard rules (prunes the product below)."""
    options = [None] + [Assignment(s.id, r) for s in problem.shift_types for r in problem.roles]
    rows = []
    for combo in itertools.product(options, repeat=problem.days):
        row = {d: a for d, a in enumerate(combo) if a is not None}
        if not person_violations(problem, person, row):
            rows.append(row)
    return rows


def brute_force(problem: Problem) -> int | None:
    """The optimum by enumeration: every combination of the people's individually valid rows, each judged
    whole by the independent evaluator (``violations`` and ``penalties``)."""
    best = None
    for rows in itertools.product(*(_valid_rows(problem, p) for p in problem.people)):
        solution = Solution({p.id: row for p, row in zip(problem.people, rows, strict=True) if row})
        if violations(problem, solution):
            continue
        cost = sum(penalties(problem, solution).values())
        best = cost if best is None else min(best, cost)
    return best


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_problems())
def test_optimum_matches_brute_force(problem: Problem) -> None:
    result = solve(problem, time_limit_s=10, workers=1)
    expected = brute_force(problem)
    if expected is None:
        assert result.status == "infeasible"
        return
    assert result.status == "optimal"
    assert violations(problem, result.solution) == []
    assert result.objective == expected == sum(result.breakdown.values())


def test_progress_reports_each_improving_roster() -> None:
    problem = Problem(
        days=3,
        shift_types=(ShiftType("D", 480),),
        roles=("crew",),
        people=tuple(Person(f"p{i}", ("crew",)) for i in range(3)),
        cover=tuple(Cover(d, "D", "crew", min=1, max=1) for d in range(3)),
        fairness=(FairnessTerm("duties", 5, frozenset((d, "D") for d in range(3)), ("p0", "p1", "p2")),),
    )
    seen: list[dict] = []
    result = solve(problem, 5, workers=1, progress=seen.append)
    assert result.status == "optimal" and result.objective == 0
    assert seen and seen[-1]["objective"] == 0 and all(s["seconds"] >= 0 for s in seen)
