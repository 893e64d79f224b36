"""Pricing for column generation (``roster.solver.columns``): one person's best line under the master's prices.

A line is a person's shifts over the horizon; its own cost is what its requests cost. The pricer is a one-person
CP-SAT model of the generic rules (``roster.solver.cpsat.build``), built once and re-aimed at each round's
prices: the person's requests minus the prices of the cells worked.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping

from ortools.sat.python import cp_model

from roster.solver.cpsat import build
from roster.solver.problem import Cell, Person, Problem, Request

Line = frozenset[Cell]
PRICE_SCALE = 10_000  # dual prices are fractional, CP-SAT objectives integer: prices in 1/10,000
PRICE_TIME_S = 5.0  # a guard per pricing solve; a 4-week line is priced optimally in 10-200 ms, a few in 1-1.5 s
# The fuller LP relaxation proves a line best far sooner where its rules are long (runs, minutes, weekends over
# 8-26 weeks): 0.11 s against 2.8 s (mostly unproved at 5 s) on Instance17, 0.39 s against 4.2 s on Instance20;
# no slower on 4 weeks (docs/benchmark.md).
PRICE_PARAMS = {"linearization_level": 2}


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
    """One person's line model, built once; ``best`` re-aims its objective at new prices."""

    def __init__(self, problem: Problem, person: Person, requests: tuple[Request, ...]) -> None:
        self.person = person
        self.requests = requests  # the person's own
        alone = Problem(
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
        self.model = build(alone)
        self.cells = list(self.model.x)
        self.own = sum(weight * expr for expr, weight in self.model.objective if weight)

    def best(self, prices: Mapping[Cell, float], deadline: float) -> tuple[list[Line], bool]:
        """Lines found on the way to the best one under ``prices`` (the best last), and whether it is proved
        best; at most PRICE_TIME_S, and nothing once ``deadline`` (perf_counter seconds) has passed."""
        time_s = min(PRICE_TIME_S, deadline - time.perf_counter())
        if time_s <= 0:
            return [], False
        m = self.model.cp
        coefficients = [-round(PRICE_SCALE * prices.get((day, shift), 0.0)) for _, day, shift in self.cells]
        m.clear_objective()
        m.minimize(PRICE_SCALE * self.own + cp_model.LinearExpr.weighted_sum(list(self.model.x.values()), coefficients))
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.max_time_in_seconds = time_s
        for name, value in PRICE_PARAMS.items():
            setattr(solver.parameters, name, value)
        found = _Lines(self.model.x)
        code = solver.solve(m, found)
        return found.lines, code == cp_model.OPTIMAL


class _Lines(cp_model.CpSolverSolutionCallback):
    def __init__(self, x: Mapping[tuple[str, int, str], cp_model.IntVar]) -> None:
        super().__init__()
        self.x, self.lines = x, []

    def on_solution_callback(self) -> None:
        self.lines.append(frozenset((day, shift) for (_, day, shift), v in self.x.items() if self.boolean_value(v)))


__all__ = ["PRICE_SCALE", "Line", "Pricer", "line_cost"]
