"""Pricing for column generation (``roster.solver.columns``): one person's best line under the master's prices.

A line is a person's shifts over the horizon; its own cost is what its requests cost, and under the master's
prices it costs that less the prices of the cells worked. The sweep (``roster.solver.linedp``) prices first: in
milliseconds it finds the best line and proves it, or finds good lines and a lower bound where a cap on one
shift type's count leaves a gap. Where it proves nothing and offers nothing that improves the master, or
cannot walk the person's rules, a one-person CP-SAT model of the generic rules (``roster.solver.cpsat.build``,
built on first use and re-aimed at each round's prices) prices exactly.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping

import numpy as np
from ortools.sat.python import cp_model

from roster.solver import linedp
from roster.solver.cpsat import build
from roster.solver.linedp import Line, Priced
from roster.solver.model import Model
from roster.solver.problem import Cell, Person, Problem, Request

PRICE_SCALE = 10_000  # dual prices are fractional, CP-SAT objectives integer: prices in 1/10,000
PRICE_TIME_S = 5.0  # a guard per pricing solve; a 4-week line is priced optimally in 10-200 ms, a few in 1-1.5 s
# The fuller LP relaxation proves a line best far sooner where its rules are long (runs, minutes, weekends over
# 8-26 weeks): 0.11 s against 2.8 s (mostly unproved at 5 s) on Instance17, 0.39 s against 4.2 s on Instance20;
# no slower on 4 weeks (docs/benchmark.md).
PRICE_PARAMS = {"linearization_level": 2}


def requests_by_person(problem: Problem) -> dict[str, tuple[Request, ...]]:
    """Each person's own requests, in the problem's order (everyone has an entry)."""
    requests: dict[str, tuple[Request, ...]] = {p.id: () for p in problem.people}
    for r in problem.requests:
        requests[r.person] += (r,)
    return requests


def line_cost(requests: Iterable[Request], line: Line) -> int:
    """What a line's own requests cost (``roster.solver.evaluate.penalties``' rule)."""
    days = dict(line)
    cost = 0
    for r in requests:
        shift = days.get(r.day)
        hit = shift is not None and (r.shift is None or shift == r.shift)
        cost += r.weight if hit != r.on else 0
    return cost


class Pricer:
    """One person's pricing: the sweep's rules, built at once, and the CP-SAT line model, built on first use;
    ``best`` re-aims them at new prices."""

    def __init__(self, problem: Problem, person: Person, requests: tuple[Request, ...]) -> None:
        self.person = person
        self.requests = requests  # the person's own
        self.rules = linedp.rules(problem, person, requests)
        self._alone = Problem(
            problem.days,
            problem.shift_types,
            problem.roles,
            (person,),
            (),
            problem.weekends,
            self.requests,
            conflicts=problem.conflicts,
            outside_is_off=problem.outside_is_off,
        )
        self._model: Model | None = None
        self._multipliers: tuple[np.ndarray, float] | None = None  # the sweep's last, to start the next from
        self._own: cp_model.LinearExpr | int = 0  # the model's request terms

    def best(
        self, prices: Mapping[Cell, float], deadline: float, improves: Callable[[Line], bool] = lambda _: False
    ) -> Priced:
        """Lines found on the way to the best one under ``prices``, and a lower bound of its cost (-inf when
        unknown): the sweep's, unless it proves nothing and no line of its ``improves`` the master; then
        CP-SAT's too, at most PRICE_TIME_S, and nothing once ``deadline`` (perf_counter seconds) has passed."""
        lines, lower = [], -math.inf
        if time.perf_counter() >= deadline:
            return Priced(lines, lower, False)
        if self.rules is not None:
            swept = linedp.best_lines(self.rules, prices, deadline, self._multipliers)
            self._multipliers = swept.multipliers
            if swept.proved or any(improves(line) for line in swept.lines):
                return swept
            lines, lower = swept.lines, swept.lower
        found, optimal = self._solve(prices, deadline)
        if optimal:
            lower = max(lower, min(self.value(line, prices) for line in found))
        return Priced(lines + found, lower, optimal)

    def cost(self, line: Line) -> int:
        """What ``line``'s own requests cost."""
        return line_cost(self.requests, line)

    def value(self, line: Line, prices: Mapping[Cell, float]) -> float:
        """What ``line`` costs under ``prices``: its requests less the prices of its cells."""
        return self.cost(line) - sum(prices.get(cell, 0.0) for cell in line)

    def _solve(self, prices: Mapping[Cell, float], deadline: float) -> tuple[list[Line], bool]:
        """CP-SAT's lines on the way to the best (the best last) and whether it is proved best."""
        time_s = min(PRICE_TIME_S, deadline - time.perf_counter())
        if time_s <= 0:
            return [], False
        if self._model is None:
            self._model = build(self._alone)
            self._own = sum(weight * expr for expr, weight in self._model.objective if weight)
        model = self._model
        m = model.cp
        coefficients = [-round(PRICE_SCALE * prices.get((day, shift), 0.0)) for _, day, shift in model.x]
        m.clear_objective()
        m.minimize(PRICE_SCALE * self._own + cp_model.LinearExpr.weighted_sum(list(model.x.values()), coefficients))
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.max_time_in_seconds = time_s
        for name, value in PRICE_PARAMS.items():
            setattr(solver.parameters, name, value)
        found = _Lines(model.x)
        code = solver.solve(m, found)
        return found.lines, code == cp_model.OPTIMAL


class _Lines(cp_model.CpSolverSolutionCallback):
    def __init__(self, x: Mapping[tuple[str, int, str], cp_model.IntVar]) -> None:
        super().__init__()
        self.x, self.lines = x, []

    def on_solution_callback(self) -> None:
        self.lines.append(frozenset((day, shift) for (_, day, shift), v in self.x.items() if self.boolean_value(v)))


__all__ = ["PRICE_SCALE", "Line", "Priced", "Pricer", "line_cost"]
