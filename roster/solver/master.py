"""The master linear program of column generation (``roster.solver.columns``): a convex mix of known lines per
free person, priced by the cover rows' duals. The dive's kept lines are constants of those rows."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from ortools.linear_solver import pywraplp

from roster.solver.pricing import Line
from roster.solver.problem import Cell, Problem


@dataclass
class Column:
    person: str
    line: Line
    cost: int
    var: pywraplp.Variable | None  # None once its person is kept (the LP holds only the free people's lines)


class Master:
    """The LP over known lines: one convexity row per free person, one row per preferred cover cell. The dive's
    kept lines are constants of the cover rows, not columns: a kept line fixed by bounds made GLOP solve the
    next LP from scratch (Instance12: 0.35 s, against 15 ms warm), so the LP is built again without them, smaller
    at each step."""

    def __init__(self, problem: Problem) -> None:
        self.cover = [c for c in problem.cover if c.preferred is not None]
        self.preferred: dict[Cell, int] = {(c.day, c.shift): c.preferred for c in self.cover if c.preferred}
        self.people = [p.id for p in problem.people]
        self.columns: list[Column] = []
        self.kept: dict[str, Column] = {}
        self._known: set[tuple[str, Line]] = set()
        self._build()

    def _build(self) -> None:
        """The LP of the free people's columns, the kept lines' seats taken off the cover rows."""
        self.lp = pywraplp.Solver.CreateSolver("GLOP")
        self.objective = self.lp.Objective()
        taken: dict[Cell, int] = {}
        for column in self.kept.values():
            for cell in column.line:
                taken[cell] = taken.get(cell, 0) + 1
        self.rows: dict[Cell, pywraplp.Constraint] = {}
        for c in self.cover:
            cell = (c.day, c.shift)
            row = self.lp.Constraint(c.preferred - taken.get(cell, 0), c.preferred - taken.get(cell, 0))
            under, over = self.lp.NumVar(0, math.inf, ""), self.lp.NumVar(0, math.inf, "")
            row.SetCoefficient(under, 1)
            row.SetCoefficient(over, -1)
            self.objective.SetCoefficient(under, c.under_weight)
            self.objective.SetCoefficient(over, c.over_weight)
            self.rows[cell] = row
        self.objective.SetOffset(sum(column.cost for column in self.kept.values()))
        self.one = {pid: self.lp.Constraint(1, 1) for pid in self.people if pid not in self.kept}
        self.objective.SetMinimization()
        for column in self.columns:
            column.var = None if column.person in self.kept else self._var(column.person, column.line, column.cost)
        self._stale = False

    def _var(self, person: str, line: Line, cost: int) -> pywraplp.Variable:
        var = self.lp.NumVar(0, math.inf, "")
        self.objective.SetCoefficient(var, cost)
        self.one[person].SetCoefficient(var, 1)
        for cell in line:
            if row := self.rows.get(cell):
                row.SetCoefficient(var, 1)
        return var

    def add(self, person: str, line: Line, cost: int) -> bool:
        """Add a free person's line (False where it is known, or the person kept)."""
        if (person, line) in self._known or person in self.kept:
            return False
        self._known.add((person, line))
        self.columns.append(Column(person, line, cost, None if self._stale else self._var(person, line, cost)))
        return True

    def solve(self) -> tuple[float, dict[Cell, float], dict[str, float]]:
        """The LP value (the kept lines' costs included), the cover prices and each free person's convexity
        price."""
        if self._stale:
            self._build()
        if self.lp.Solve() != pywraplp.Solver.OPTIMAL:
            raise RuntimeError("the master LP has no optimum")  # cannot happen: every person has a line
        prices = {cell: row.dual_value() for cell, row in self.rows.items()}
        return self.objective.Value(), prices, {p: row.dual_value() for p, row in self.one.items()}

    def fixed_part(self, prices: Mapping[Cell, float]) -> float:
        """The Lagrangian bound's part that does not depend on the lines: each cover row's price times its
        preferred seats. (The under/over terms add nothing while the prices lie between -over_weight and
        under_weight, as the LP's dual prices do.)"""
        return sum(prices.get(cell, 0.0) * n for cell, n in self.preferred.items())

    def keep(self, chosen: Column) -> None:
        """The dive's fixing: ``chosen`` becomes its person's only line (the LP is built again at the next
        solve)."""
        self.kept[chosen.person] = chosen
        self._stale = True


__all__ = ["Column", "Master"]
