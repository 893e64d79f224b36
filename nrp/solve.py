"""Solve a benchmark instance with the roster solver (``roster.solver``) and check it independently.

By size (``FULL_MODEL_CELLS`` = days x staff x shift types):

- Small (Instances 1-3): a feasible start from ``roster.solver.lns.feasible_start``, its cover matched
  (``roster.solver.exchange``: tens of milliseconds, and the answer when the rest runs out of time); then, since every
  benchmark instance's people meet only in the cover, column generation and a dive
  (``roster.solver.columns``, at most ``SMALL_DIVE_SHARE`` of the time), whose roster is done when it costs
  the LP's lower bound (Instances 2 and 3 in about a second); otherwise the whole CP-SAT model with
  ``linearization_level=2`` (the fuller LP relaxation steers the search much sooner to good rosters), hinted
  with the best roster so far and falling back on it (Instance1, whose LP bound is weak, is proved there).
- Larger (Instances 9-24): ``roster.solver.lns.solve_lns``: lines built person by person within each
  person's rules, their shift types swapped where it pays, the few people still breaking a rule re-solved
  alone, the dive where it fits in the time, then a large-neighbourhood search around CP-SAT on exact window
  sub-problems until the time is up. Building the whole model of a year for 150 people takes longer than the
  budget.

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
from roster.solver.exchange import exchange
from roster.solver.lns import Roster, cost, dive_first, feasible_start, solve_lns
from roster.solver.problem import Problem, Result, Solution

SOLVER_PARAMS: dict[str, Any] = {"linearization_level": 2}
# Above this many (day, person, shift type) cells the neighbourhood search (roster.solver.lns) finds better
# rosters in the time than the whole CP-SAT model (measured at 60 s on 28-day instances: Instances 9-11 and
# smaller proxies cut from them, docs/benchmark.md); around it the two are even.
FULL_MODEL_CELLS = 2_000
# Below it, where people meet only in the cover, the dive (roster.solver.columns) goes first, within this share
# of the time: it proved Instances 2 and 3 and most 4-week proxies optimal in seconds; where its LP bound is
# weak (Instance1: 558 against 607) the whole model then starts from its roster and can prove it.
SMALL_DIVE_SHARE = 0.5
# By then the start's cover matching stops: it takes tens of milliseconds, and on a loaded machine where the dive
# and CP-SAT run out of time it is what keeps the answer well below a greedy construction (3 s on a synthetic
# 10-person instance with three other processes on the two cores: 4475 without it, the greedy 3958).
SMALL_EXCHANGE_SHARE = 0.1


@dataclass(frozen=True)
class NrpOutcome:
    result: Result  # what the solver reports (status, objective, bound, total time of both phases)
    assignments: list[Assignment]  # the roster as (employee, day, shift); empty when none was found
    evaluation: Evaluation | None  # the independent verdict on that roster

    @property
    def confirmed(self) -> bool:
        """A feasible roster whose evaluated penalty is exactly the solver's objective."""
        return (
            self.evaluation is not None
            and self.evaluation.feasible
            and self.evaluation.penalty == self.result.objective
        )


def cells(problem: Problem) -> int:
    return problem.days * len(problem.people) * len(problem.shift_types)


def solve_instance(
    instance: NrpInstance,
    time_limit_s: float = 60.0,
    workers: int = 2,
    seed: int = 0,
    progress: ProgressFn | None = None,
) -> NrpOutcome:
    started = time.perf_counter()
    problem = to_problem(instance)
    if cells(problem) > FULL_MODEL_CELLS:
        left = time_limit_s - (time.perf_counter() - started)
        result = solve_lns(problem, left, workers, seed, progress=progress, params=SOLVER_PARAMS)
        return _outcome(instance, dataclasses.replace(result, wall_seconds=time.perf_counter() - started))
    # A feasible roster first (seconds at most), so that there is always an answer to hint and fall back on.
    start = feasible_start(problem, started + 0.5 * time_limit_s, workers, seed)
    bound = None
    if start:  # matched, then the dive's roster where it applies, often proved optimal at once (docs/benchmark.md)
        exchange(problem, start, started + SMALL_EXCHANGE_SHARE * time_limit_s, seed)
        start, bound = dive_first(problem, start, started + SMALL_DIVE_SHARE * time_limit_s, workers)
    start_cost = None if start is None else cost(problem, start)
    if start and progress:
        progress({"objective": start_cost, "bound": bound, "seconds": time.perf_counter() - started})
    if start and bound is not None and start_cost == bound:
        return _proved(instance, problem, start, bound, time.perf_counter() - started)
    hint = Solution(start) if start else None
    offset = time.perf_counter() - started

    def shifted(event: dict[str, Any]) -> None:  # report seconds since the start
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
    if start is not None and start_cost is not None and (result.objective is None or result.objective > start_cost):
        # nothing better found: the start stands (the feasible lines, or the dive's roster)
        breakdown = penalties(problem, Solution(start))
        result = Result("feasible", sum(breakdown.values()), result.bound, breakdown, Solution(start), 0.0)
    if bound is not None and (result.bound is None or bound > result.bound):
        result = dataclasses.replace(result, bound=bound)
    if result.objective is not None and result.objective == result.bound:  # the dive's bound met: proved
        result = dataclasses.replace(result, status="optimal")
    return _outcome(instance, dataclasses.replace(result, wall_seconds=time.perf_counter() - started))


def _proved(instance: NrpInstance, problem: Problem, roster: Roster, bound: int, seconds: float) -> NrpOutcome:
    """The dive's roster, which costs its lower bound: optimal."""
    breakdown = penalties(problem, Solution(roster))
    return _outcome(instance, Result("optimal", bound, bound, breakdown, Solution(roster), seconds))


def _outcome(instance: NrpInstance, result: Result) -> NrpOutcome:
    if result.solution is None:
        return NrpOutcome(result, [], None)
    assignments = to_assignments(result.solution)
    return NrpOutcome(result, assignments, evaluate(instance, assignments))
