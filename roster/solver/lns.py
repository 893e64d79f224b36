"""Large-neighbourhood search on top of the CP-SAT roster model: same model, better rosters in the same time.

Why: on rostering objectives dominated by heavy, plateau-shaped terms (one uncovered seat costs as much as
dozens of unmet wishes), the full search often stalls at a roster where any improvement must move several
people's whole fortnight at once. The LP bound stays far below, so CP-SAT cannot prove anything and keeps
searching the whole space. Re-optimising a *neighbourhood* exactly — a few people's whole horizon, or every
person over a few days, the rest fixed to the incumbent — finds those moves in milliseconds each.

Shape: ``solve_lns`` first runs ``cpsat.solve``'s model for a share of the time to get an incumbent, then
loops: pick a neighbourhood, fix every other (person, day) to the incumbent by equality constraints on a
clone of the model, hint the incumbent, solve the small model to optimality (or a short limit), keep it when
it is not worse (accepting equal moves lets the search walk plateaus). Neighbourhood size adapts: grown
after a sub-solve proves optimal with no gain, shrunk after one times out. It uses the unchanged model from
``roster.solver.cpsat.build``, so every constraint and objective term of the problem applies.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from ortools.sat.python import cp_model

from roster.solver.cpsat import ProgressFn, _extract, build
from roster.solver.evaluate import penalties
from roster.solver.problem import Problem, Result


def _values(m: Any, solver: cp_model.CpSolver) -> dict[int, int]:
    """Proto index -> value for every decision literal of the roster (shift cells and role seats)."""
    out = {var.Index(): int(solver.BooleanValue(var)) for var in m.x.values()}
    out.update({var.Index(): int(solver.BooleanValue(var)) for var in m.role.values()})
    return out


def _cells(m: Any) -> dict[tuple[str, int], list[int]]:
    """(person, day) -> proto indexes of that person's literals that day."""
    out: dict[tuple[str, int], list[int]] = {}
    for (pid, day, _shift), var in m.x.items():
        out.setdefault((pid, day), []).append(var.Index())
    for (pid, day, _shift, _role), var in m.role.items():
        out.setdefault((pid, day), []).append(var.Index())
    return out


@dataclass
class _Search:
    """State shared by the neighbourhood threads (guarded by ``lock``)."""

    m: Any
    deadline: float
    started: float
    incumbent: dict[int, int]
    best: int
    bound: float
    solution: Any
    progress: ProgressFn | None
    sub_time_s: float
    lock: threading.Lock = field(default_factory=threading.Lock)
    size_people: int = 3
    window: int = 4
    proved: bool = False
    iterations: int = 0
    improvements: int = 0

    def neighbourhood(self, rng: random.Random, cells: dict[tuple[str, int], list[int]], people: list[str]) -> set:
        days = self.m.problem.days
        kind = rng.random()
        if kind < 0.5:  # a few people, whole horizon: moves work between people
            chosen = set(rng.sample(people, min(self.size_people, len(people))))
            return {key for key in cells if key[0] in chosen}
        if kind < 0.8:  # everyone over a few days: reshuffles who works when
            start = rng.randrange(0, max(1, days - self.window + 1))
            return {key for key in cells if start <= key[1] < start + self.window}
        chosen = set(rng.sample(people, min(2 * self.size_people, len(people))))
        start = rng.randrange(0, max(1, days - 2 * self.window + 1))
        return {key for key in cells if key[0] in chosen and start <= key[1] < start + 2 * self.window}

    def worker(self, seed: int) -> None:
        rng = random.Random(seed)
        cells = _cells(self.m)
        people = [p.id for p in self.m.problem.people]
        while time.perf_counter() < self.deadline - 0.02:
            with self.lock:
                if self.proved:
                    return
                free = self.neighbourhood(rng, cells, people)
                incumbent, best = self.incumbent, self.best
                self.iterations += 1
            sub = self.m.cp.clone()
            sub.clear_hints()
            for key, indexes in cells.items():
                for index in indexes:
                    var = sub.get_bool_var_from_proto_index(index)
                    if key in free:
                        sub.add_hint(var, bool(incumbent[index]))
                    else:
                        sub.add(var == incumbent[index])
            solver = cp_model.CpSolver()
            # One thread per sub-solve: these models are tiny, and worker threads would cost more than they
            # bring; the two cores are used by two neighbourhood threads instead.
            solver.parameters.num_workers = 1
            solver.parameters.max_time_in_seconds = max(0.01, min(self.sub_time_s, self.deadline - time.perf_counter()))
            solver.parameters.random_seed = rng.randrange(1 << 30)
            code = solver.Solve(sub)
            with self.lock:
                self.account(code, solver, best)

    def account(self, code: Any, solver: cp_model.CpSolver, best_at_start: int) -> None:
        if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return
        value = round(solver.ObjectiveValue())
        people = len(self.m.problem.people)
        if code == cp_model.OPTIMAL and value >= best_at_start:  # nothing better here: look wider
            self.size_people = min(people, self.size_people + 1) if random.random() < 0.2 else self.size_people
            self.window = min(self.m.problem.days, self.window + 1) if random.random() < 0.2 else self.window
        elif code != cp_model.OPTIMAL:  # too big to finish: look narrower
            self.size_people = max(2, self.size_people - 1)
            self.window = max(2, self.window - 1)
        # Equal moves are taken too (plateaus), unless another thread improved meanwhile.
        if value < self.best or (value == self.best and best_at_start == self.best):
            if value < self.best:
                self.improvements += 1
                if self.progress:
                    self.progress(
                        {
                            "objective": value,
                            "bound": self.bound,
                            "seconds": time.perf_counter() - self.started,
                            "phase": "lns",
                        }
                    )
            self.best = value
            # Values are read by proto index, which the clone shares with the original model.
            self.incumbent = _values(self.m, solver)
            self.solution = _extract(self.m, solver)
            if value <= self.bound:
                self.proved = True


def solve_lns(
    problem: Problem,
    time_limit_s: float = 10.0,
    workers: int = 2,
    progress: ProgressFn | None = None,
    seed: int = 0,
    first_share: float = 0.25,
    sub_time_s: float = 1.0,
) -> Result:
    """Full CP-SAT for ``first_share`` of the time, then neighbourhood re-optimisation until the limit.

    Stops early when the full search proves optimality, or a neighbourhood reaches the proven bound.
    ``workers`` threads are used by the first phase, then as that many neighbourhood threads.
    """
    started = time.perf_counter()
    m = build(problem)
    first = cp_model.CpSolver()
    first.parameters.max_time_in_seconds = max(0.01, time_limit_s * first_share - (time.perf_counter() - started))
    first.parameters.num_workers = workers
    first.parameters.random_seed = seed
    first.parameters.linearization_level = 2
    code = first.Solve(m.cp)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        status = {cp_model.INFEASIBLE: "infeasible", cp_model.MODEL_INVALID: "invalid"}.get(code, "unknown")
        return Result(status, None, None, {}, None, time.perf_counter() - started)
    search = _Search(
        m=m,
        deadline=started + time_limit_s,
        started=started,
        incumbent=_values(m, first),
        best=round(first.ObjectiveValue()),
        bound=first.BestObjectiveBound(),
        solution=_extract(m, first),
        progress=progress,
        sub_time_s=sub_time_s,
        proved=code == cp_model.OPTIMAL,
    )
    if progress:
        progress({"objective": search.best, "bound": search.bound, "seconds": time.perf_counter() - started})
    threads = [threading.Thread(target=search.worker, args=(seed * 1000 + i,)) for i in range(max(1, workers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    breakdown = penalties(problem, search.solution)
    import os

    if os.environ.get("LNS_DEBUG"):
        print("lns", search.iterations, search.improvements, search.size_people, search.window)
    return Result(
        status="optimal" if search.proved else "feasible",
        objective=sum(breakdown.values()),
        bound=search.bound,
        breakdown=breakdown,
        solution=search.solution,
        wall_seconds=time.perf_counter() - started,
    )
