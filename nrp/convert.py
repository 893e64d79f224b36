"""Map a benchmark instance onto the generic rostering model, and a model solution back to roster triples.

=============================== ===============================================================
benchmark                       ``roster.solver.problem``
=============================== ===============================================================
shift (length, cannot follow)   ``ShiftType(minutes, forbidden_next)``
employee                        ``Person`` with the single role ``nurse``
MaxShifts S=n                   ``Person.max_shifts[S] = n`` (absent = unlimited)
Min/MaxTotalMinutes             ``Person.min_minutes`` / ``max_minutes``
Min/MaxConsecutiveShifts        ``Person.min_consecutive`` / ``max_consecutive``
MinConsecutiveDaysOff           ``Person.min_consecutive_off``
MaxWeekends                     ``Person.max_weekends`` over ``Problem.weekends`` (Sat+Sun pairs)
days off                        ``Person.days_off``
shift on / off request          ``Request(on=True / False, weight)``
cover requirement + weights     ``Cover(preferred=requirement, under_weight, over_weight)``, no hard min/max
=============================== ===============================================================

Edges: the benchmark gives no history. ``Problem.outside_is_off`` stays False and no person has
``worked_before``/``off_before``, which the model reads as "unknown history": runs touching the horizon's
edges are not held to the minimum lengths (the published rule assumes unbounded runs outside), maximum run
lengths count only days inside the horizon, and rotation rules do not cross the edges (the published rule
assumes a day off on both sides).
"""

from __future__ import annotations

from nrp.evaluate import Assignment
from nrp.parser import NrpInstance
from roster.solver.problem import Cover, Person, Problem, Request, ShiftType, Solution

ROLE = "nurse"


def to_problem(instance: NrpInstance) -> Problem:
    problem = Problem(
        days=instance.horizon,
        shift_types=tuple(ShiftType(s.id, s.minutes, s.cannot_follow) for s in instance.shifts),
        roles=(ROLE,),
        people=tuple(
            Person(
                id=e.id,
                roles=(ROLE,),
                max_shifts=dict(e.max_shifts),
                min_minutes=e.min_total_minutes,
                max_minutes=e.max_total_minutes,
                min_consecutive=e.min_consecutive_shifts,
                max_consecutive=e.max_consecutive_shifts,
                min_consecutive_off=e.min_consecutive_days_off,
                max_weekends=e.max_weekends,
                days_off=instance.days_off.get(e.id, frozenset()),
            )
            for e in instance.staff
        ),
        cover=tuple(
            Cover(
                day=c.day,
                shift=c.shift,
                preferred=c.requirement,
                under_weight=c.under_weight,
                over_weight=c.over_weight,
            )
            for c in instance.cover
        ),
        weekends=tuple(frozenset(w) for w in instance.weekends()),
        requests=tuple(Request(r.employee, r.day, r.shift, r.weight, on=True) for r in instance.on_requests)
        + tuple(Request(r.employee, r.day, r.shift, r.weight, on=False) for r in instance.off_requests),
        outside_is_off=False,
        name=instance.name,
    )
    problem.validate()
    return problem


def to_assignments(solution: Solution) -> list[Assignment]:
    return [
        (person, day, a.shift)
        for person, days in sorted(solution.assignments.items())
        for day, a in sorted(days.items())
    ]
