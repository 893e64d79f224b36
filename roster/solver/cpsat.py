"""Solve a roster Problem with OR-Tools CP-SAT.

Model shape (kept small for speed): one BoolVar per (person, day, shift) the person may work at all; a
"works that day" literal per (person, day) (the shift var itself when there is one shift type); a role
layer only for people with several roles (``roster.solver.model``). Each constraint family is one small
function in ``roster.solver.families``, so a family can be switched off (``skip``) to find which one makes a
problem infeasible; here the model is built from them and solved.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from ortools.sat.python import cp_model

from roster.solver.evaluate import penalties
from roster.solver.families import (
    BUILDERS,
    fairness_family,
    minimal_change_family,
    requests_family,
)
from roster.solver.model import FAMILIES, SOFT_WEIGHT, Model, ProgressFn, add_variables
from roster.solver.problem import Assignment, Problem, Result, Solution

__all__ = ["FAMILIES", "SOFT_WEIGHT", "Model", "ProgressFn", "build", "solve"]


def build(
    problem: Problem, skip: Iterable[str] = (), soften: Iterable[str] = (), hint: Solution | None = None
) -> Model:
    problem.validate()
    m = Model(problem, soft=frozenset(soften))
    add_variables(m)
    skipped = set(skip)
    for name, builder in BUILDERS.items():
        if name not in skipped:
            m.family = name
            builder(m)
    m.family = ""
    requests_family(m)
    fairness_family(m)
    minimal_change_family(m, hint)
    m.cp.minimize(sum(weight * expr for expr, weight in m.objective if weight))
    return m


class _Progress(cp_model.CpSolverSolutionCallback):
    def __init__(self, callback: ProgressFn, started: float) -> None:
        super().__init__()
        self._callback, self._started = callback, started

    def on_solution_callback(self) -> None:
        self._callback(
            {
                "objective": self.objective_value,
                "bound": self.best_objective_bound,
                "seconds": time.perf_counter() - self._started,
            }
        )


_STATUS = {
    cp_model.OPTIMAL: "optimal",
    cp_model.FEASIBLE: "feasible",
    cp_model.INFEASIBLE: "infeasible",
    cp_model.MODEL_INVALID: "invalid",
    cp_model.UNKNOWN: "unknown",
}


def _extract(m: Model, solver: cp_model.CpSolver) -> Solution:
    out: dict[str, dict[int, Assignment]] = defaultdict(dict)
    people = {p.id: p for p in m.problem.people}
    for (pid, day, shift), var in m.x.items():
        if not solver.boolean_value(var):
            continue
        person = people[pid]
        role = person.roles[0]
        if len(person.roles) > 1:
            role = next(r for r in person.roles if solver.boolean_value(m.role[(pid, day, shift, r)]))
        out[pid][day] = Assignment(shift, role)
    return Solution({pid: dict(days) for pid, days in out.items()})


def solve(
    problem: Problem,
    time_limit_s: float = 10.0,
    workers: int = 2,
    progress: ProgressFn | None = None,
    skip: Iterable[str] = (),
    seed: int = 0,
    soften: Iterable[str] = (),
    params: Mapping[str, Any] | None = None,
    hint: Solution | None = None,
) -> Result:
    """Solve within ``time_limit_s`` on ``workers`` threads. ``skip`` drops constraint families (FAMILIES);
        ``soften`` keeps them but lets each breach cost SOFT_WEIGHT (to find the fewest breaches). ``params``:
        extra CP-SAT parameters by name, e.g. ``{"linearization_level": 2}`` (the public nurse-rostering
        benchmark uses it: the stronger LP relaxation finds the best rosters much sooner there). ``hint``: a roster
    to start the search from (instead of ``problem.previous``); a hint costs nothing and fixes nothing."""
    started = time.perf_counter()
    m = build(problem, skip, soften, hint)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.01, time_limit_s - (time.perf_counter() - started))
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    for name, value in (params or {}).items():
        setattr(solver.parameters, name, value)
    callback = _Progress(progress, started) if progress else None
    code = solver.solve(m.cp, callback)
    status = _STATUS.get(code, "unknown")
    solution = _extract(m, solver) if status in ("optimal", "feasible") else None
    breakdown = penalties(problem, solution) if solution else {}
    return Result(
        status=status,
        objective=sum(breakdown.values()) if solution else None,
        bound=solver.best_objective_bound if solution else None,
        breakdown=breakdown,
        solution=solution,
        wall_seconds=time.perf_counter() - started,
    )
