"""Solve a benchmark instance with the roster solver (``roster.solver``) and check it independently.

By size (``FULL_MODEL_CELLS`` = days x staff x shift types):

- Small (Instances 1-3): the whole CP-SAT model, tuned on those three (docs/benchmark.md): a feasible start
  from ``roster.solver.lns.feasible_start`` as a hint and a fallback; then ``COVER_FIRST_SHARE`` of the time
  on the same problem with only the under-cover terms (it finds the best number of uncovered seats within
  seconds); then the full problem hinted with that roster (``solve(hint=)``), both with
  ``linearization_level=2`` (the fuller LP relaxation steers the search much sooner to good rosters).
- Larger (Instances 9-24): ``roster.solver.lns.solve_lns``: lines built person by person within each
  person's rules, their shift types swapped where it pays, the few people still breaking a rule re-solved
  alone, then a large-neighbourhood search around CP-SAT on exact window sub-problems until the time is up.
  Building the whole model of a year for 150 people takes longer than the budget.

Nothing here is specific to an instance: all of it runs on the generic model.
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
from roster.solver.evaluate import penalties
from roster.solver.lns import cost, feasible_start, solve_lns
from roster.solver.problem import Problem, Result, Solution

SOLVER_PARAMS: dict[str, Any] = {"linearization_level": 2}
COVER_FIRST_SHARE = 0.3
# Above this many (day, person, shift type) cells the neighbourhood search (roster.solver.lns) finds better
# rosters in the time than the whole CP-SAT model (measured at 60 s on 28-day instances: Instances 9-11 and
# smaller proxies cut from them, docs/benchmark.md); around it the two are even.
FULL_MODEL_CELLS = 2_000


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


def cells(problem: Problem) -> int:
    return problem.days * len(problem.people) * len(problem.shift_types)


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
    if cells(problem) > FULL_MODEL_CELLS:
        left = time_limit_s - (time.perf_counter() - started)
        result = solve_lns(problem, left, workers, seed, progress=progress, params=SOLVER_PARAMS)
        return _outcome(instance, dataclasses.replace(result, wall_seconds=time.perf_counter() - started), None)
    # A feasible roster first (seconds at most), so that there is always an answer to hint and fall back on.
    start = feasible_start(problem, started + 0.5 * time_limit_s, workers, seed)
    hint = Solution(start) if start else None
    if start and progress:
        progress({"objective": cost(problem, start), "bound": None, "seconds": time.perf_counter() - started})
    first = None
    if cover_first_share > 0:
        budget = time_limit_s * cover_first_share
        first = solve(cover_only(problem), budget, workers, seed=seed, params=SOLVER_PARAMS, hint=hint)
        if first.solution is not None:
            hint = first.solution
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
        hint=hint,
    )
    if result.solution is None and start is not None:  # nothing better found: the feasible start stands
        breakdown = penalties(problem, Solution(start))
        result = Result("feasible", sum(breakdown.values()), None, breakdown, Solution(start), 0.0)
    return _outcome(instance, dataclasses.replace(result, wall_seconds=time.perf_counter() - started), first)


def _outcome(instance: NrpInstance, result: Result, first: Result | None) -> NrpOutcome:
    if result.solution is None:
        return NrpOutcome(result, [], None, first)
    assignments = to_assignments(result.solution)
    return NrpOutcome(result, assignments, evaluate(instance, assignments), first)
