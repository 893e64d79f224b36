"""Solve a benchmark instance with the roster solver (``roster.solver.cpsat``) and check it independently.

Tuning, measured on Instances 1-3 (docs/benchmark.md): the generic model as it is, plus CP-SAT's
``linearization_level=2``. The objective is dominated by uncovered seats (weight 100 each) on a plateau the
default LP relaxation barely sees; the fuller linear relaxation steers the search to the best known rosters
within the 60 s budget in every run we made, where default parameters sometimes stalled one seat (100
points, ~10%) away. A home-made neighbourhood search on top (re-optimising a few people or a few days at a
time) and a cover-first hint were tried and added nothing measurable, so they were left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from roster.nrp.convert import to_assignments, to_problem
from roster.nrp.evaluate import Assignment, Evaluation, evaluate
from roster.nrp.parser import NrpInstance
from roster.solver.cpsat import ProgressFn, solve
from roster.solver.problem import Result

SOLVER_PARAMS: dict[str, Any] = {"linearization_level": 2}


@dataclass(frozen=True)
class NrpOutcome:
    result: Result  # what the solver reports (status, objective, bound, time)
    assignments: list[Assignment]  # the roster as (employee, day, shift); empty when none was found
    evaluation: Evaluation | None  # the independent verdict on that roster

    @property
    def confirmed(self) -> bool:
        """A feasible roster whose evaluated penalty is exactly the solver's objective."""
        return (
            self.evaluation is not None
            and self.evaluation.feasible
            and (self.evaluation.penalty == self.result.objective)
        )


def solve_instance(
    instance: NrpInstance,
    time_limit_s: float = 60.0,
    workers: int = 2,
    seed: int = 0,
    progress: ProgressFn | None = None,
) -> NrpOutcome:
    result = solve(
        to_problem(instance), time_limit_s, workers=workers, seed=seed, progress=progress, params=SOLVER_PARAMS
    )
    if result.solution is None:
        return NrpOutcome(result, [], None)
    assignments = to_assignments(result.solution)
    return NrpOutcome(result, assignments, evaluate(instance, assignments))
