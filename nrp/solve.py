"""Solve a benchmark instance with the roster solver (``roster.solver.cpsat``) and check it independently.

Tuning, measured on Instances 1-3 (docs/benchmark.md), all with the unchanged generic model:

- CP-SAT ``linearization_level=2``: the fuller LP relaxation steers the search much sooner to good rosters.
- Cover first: the objective is dominated by uncovered seats (weight 100 each) on plateaus the LP bound barely
  sees; a search that lands one seat away from the best roster can stay there (one seat = 10% on Instance2).
  So the first ``COVER_FIRST_SHARE`` of the time solves the same problem with only the under-cover terms
  (requests and over-cover dropped), which finds the best number of uncovered seats within seconds, and the
  rest solves the full problem with that roster as a hint, through the model's own minimal-change mechanism
  with a zero change weight (``Problem.previous`` + ``change_weight=0`` = a hint, no cost). Nothing is fixed:
  the full objective is minimised over the full space.

A home-made neighbourhood search on top (re-optimising a few people or a few days at a time) was tried too
and added nothing measurable, so it was left out.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Any

from nrp.convert import to_assignments, to_problem
from nrp.evaluate import Assignment, Evaluation, evaluate
from nrp.parser import NrpInstance
from roster.solver.cpsat import ProgressFn, solve
from roster.solver.problem import Problem, Result

SOLVER_PARAMS: dict[str, Any] = {"linearization_level": 2}
COVER_FIRST_SHARE = 0.3


@dataclass(frozen=True)
class NrpOutcome:
    result: Result  # what the solver reports (status, objective, bound, total time of both phases)
    assignments: list[Assignment]  # the roster as (employee, day, shift); empty when none was found
    evaluation: Evaluation | None  # the independent verdict on that roster
    cover_first: Result | None = None  # the cover-only phase

    @property
    def confirmed(self) -> bool:
        """A feasible roster whose evaluated penalty is exactly the solver's objective."""
        return (
            self.evaluation is not None
            and self.evaluation.feasible
            and self.evaluation.penalty == self.result.objective
        )


def cover_only(problem: Problem) -> Problem:
    """The same rules with only the under-cover terms in the objective."""
    return dataclasses.replace(
        problem, requests=(), cover=tuple(dataclasses.replace(c, over_weight=0) for c in problem.cover)
    )


def solve_instance(
    instance: NrpInstance,
    time_limit_s: float = 60.0,
    workers: int = 2,
    seed: int = 0,
    progress: ProgressFn | None = None,
    cover_first_share: float = COVER_FIRST_SHARE,
) -> NrpOutcome:
    started = time.perf_counter()
    problem = to_problem(instance)
    first = None
    if cover_first_share > 0:
        first = solve(cover_only(problem), time_limit_s * cover_first_share, workers, seed=seed, params=SOLVER_PARAMS)
        if first.solution is not None:
            problem = dataclasses.replace(problem, previous=first.solution, change_weight=0)
    offset = time.perf_counter() - started

    def shifted(event: dict[str, Any]) -> None:  # report seconds since the start of both phases
        if progress:
            progress({**event, "seconds": event["seconds"] + offset})

    result = solve(
        problem,
        max(0.1, time_limit_s - offset),
        workers,
        progress=shifted if progress else None,
        seed=seed,
        params=SOLVER_PARAMS,
    )
    result = dataclasses.replace(result, wall_seconds=time.perf_counter() - started)
    if result.solution is None:
        return NrpOutcome(result, [], None, first)
    assignments = to_assignments(result.solution)
    return NrpOutcome(result, assignments, evaluate(instance, assignments), first)
