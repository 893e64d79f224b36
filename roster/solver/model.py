"""The CP-SAT model of a roster Problem: its variables and the two ways a constraint is added (hard, or
softened at ``SOFT_WEIGHT`` per breach); the constraint families live in ``roster.solver.families``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ortools.sat.python import cp_model

from roster.solver.problem import Person, Problem

SOFT_WEIGHT = 1_000_000  # a softened hard rule: any breach outweighs every real soft term
FAMILIES = ("cover", "rest", "consecutive", "limits", "pairs", "minutes", "weekends", "successors")

ProgressFn = Callable[[dict[str, Any]], None]


@dataclass
class Model:
    problem: Problem
    cp: cp_model.CpModel = field(default_factory=cp_model.CpModel)
    x: dict[tuple[str, int, str], Any] = field(default_factory=dict)  # (person, day, shift) -> BoolVar
    works: dict[tuple[str, int], Any] = field(default_factory=dict)  # (person, day) -> literal
    role: dict[tuple[str, int, str, str], Any] = field(default_factory=dict)  # multi-role people only
    objective: list[tuple[Any, int]] = field(default_factory=list)  # (expression, weight)
    # Auxiliary variables and how each follows from the seats: ("max", literals) for "any of these",
    # ("under" | "over", (seats, preferred)) for a cover's shortfall or excess. A hint then gives them
    # their values too: a complete hint is a solution CP-SAT has from the start.
    derived: list[tuple[Any, str, Any]] = field(default_factory=list)
    soft: frozenset[str] = frozenset()  # families whose breaches are allowed at SOFT_WEIGHT each
    family: str = ""  # the family being built

    def at_most(self, terms: list[Any], bound: int) -> None:
        """sum(terms) <= bound: hard, or with a penalised slack when the current family is softened."""
        if self.family in self.soft:
            slack = self.cp.new_int_var(0, max(1, len(terms)), "")
            self.cp.add(sum(terms) <= bound + slack)
            self.objective.append((slack, SOFT_WEIGHT))
        elif bound == 1 and all(not isinstance(t, int) for t in terms):
            self.cp.add_at_most_one(terms)
        else:
            self.cp.add(sum(terms) <= bound)

    def within(self, expr: Any, low: int | None, high: int | None, unit: int = 1) -> None:
        """low <= expr <= high (None = no bound): hard, or when softened each ``unit`` of breach (rounded up)
        costs SOFT_WEIGHT."""
        if self.family not in self.soft:
            if low is not None:
                self.cp.add(expr >= low)
            if high is not None:
                self.cp.add(expr <= high)
            return
        for bound, sign in ((low, 1), (high, -1)):
            if bound is not None:
                slack = self.cp.new_int_var(0, 1 + abs(bound) // unit + 1_000_000 // unit, "")
                self.cp.add(sign * expr + unit * slack >= sign * bound)
                self.objective.append((slack, SOFT_WEIGHT))

    def clause(self, literals: list[Any]) -> None:
        """At least one literal true (hard, or penalised when softened)."""
        if self.family in self.soft:
            miss = self.cp.new_bool_var("")
            self.cp.add_bool_or([*literals, miss])
            self.objective.append((miss, SOFT_WEIGHT))
        else:
            self.cp.add_bool_or(literals)

    def seat(self, person: Person, day: int, shift: str, role: str | None) -> Any | None:
        """The literal "person works (day, shift) in role" (any role when None), or None if impossible."""
        var = self.x.get((person.id, day, shift))
        if var is None or role is None:
            return var
        if role not in person.roles:
            return None
        return var if len(person.roles) == 1 else self.role[(person.id, day, shift, role)]


def add_variables(m: Model) -> None:
    p = m.problem
    new_bool = m.cp.new_bool_var
    for person in p.people:
        shifts = [s.id for s in p.shift_types if person.max_shifts.get(s.id, 1) != 0]
        multi = len(person.roles) > 1
        for day in range(p.days):
            if day in person.days_off:
                continue
            decided = person.fixed.get(day, "") if person.fixed else ""
            if decided is None:
                continue
            if decided:
                today = [decided]
            elif person.unavailable:
                today = [s for s in shifts if (day, s) not in person.unavailable]
            else:
                today = shifts
            vars_today = []
            for shift in today:
                var = new_bool("")  # unnamed: names cost build time on large problems and nobody reads them
                if decided:
                    m.cp.add(var == 1)
                m.x[(person.id, day, shift)] = var
                vars_today.append(var)
                if multi:
                    roles = [new_bool("") for _ in person.roles]
                    for r, rv in zip(person.roles, roles, strict=True):
                        m.role[(person.id, day, shift, r)] = rv
                    m.cp.add(sum(roles) == var)
            if len(vars_today) == 1:
                m.works[(person.id, day)] = vars_today[0]
            elif vars_today:
                w = new_bool("")
                m.cp.add(sum(vars_today) == w)  # also: at most one shift a day
                m.derived.append((w, "max", vars_today))
                m.works[(person.id, day)] = w


def works_on(m: Model, person: str, day: int) -> Any:
    return m.works.get((person, day), 0)


def negate(v: Any) -> Any:
    return 1 - v if isinstance(v, int) else v.negated()


def add_clause(m: Model, clause: list[Any]) -> None:
    if any(isinstance(c, int) and c == 1 for c in clause):
        return
    lits = [c for c in clause if not isinstance(c, int)]
    if not lits:
        m.clause([m.cp.new_constant(0)])  # violated for certain: infeasible (unless softened)
    else:
        m.clause(lits)
