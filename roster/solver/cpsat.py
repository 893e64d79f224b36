"""Solve a roster Problem with OR-Tools CP-SAT.

Model shape (kept small for speed): one BoolVar per (person, day, shift) the person may work at all; a
"works that day" literal per (person, day) (the shift var itself when there is one shift type); a role
layer only for people with several roles. Each constraint family is one small function below, so a
family can be switched off (``skip``) to find which one makes a problem infeasible.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ortools.sat.python import cp_model

from roster.solver.evaluate import penalties
from roster.solver.problem import Assignment, Cell, Person, Problem, Result, Solution

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


def _variables(m: Model) -> None:
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
                m.works[(person.id, day)] = w


def _works(m: Model, person: str, day: int) -> Any:
    return m.works.get((person, day), 0)


def _cover(m: Model) -> None:
    people = {p.id: p for p in m.problem.people}
    by_cell: dict[Cell, list[str]] = defaultdict(list)
    for pid, day, shift in m.x:
        by_cell[(day, shift)].append(pid)
    for c in m.problem.cover:
        pids = by_cell.get((c.day, c.shift), [])
        seats = [v for pid in pids if (v := m.seat(people[pid], c.day, c.shift, c.role)) is not None]
        n = cp_model.LinearExpr.sum(seats)
        if c.min:
            m.cp.add(n >= c.min)
        if c.max is not None:
            m.cp.add(n <= c.max)
        if c.preferred is not None and (c.under_weight or c.over_weight):
            if not c.min and c.max is None and (c.preferred == 0 or len(seats) <= c.preferred):
                # Only one side can happen: the cost is linear in the seats taken, no slack variables needed
                # (common in neighbourhood sub-problems, where the kept people's seats are netted out).
                m.objective.append((c.preferred - n, c.under_weight) if c.preferred else (n, c.over_weight))
                continue
            bound = len(seats) + c.preferred
            under, over = m.cp.new_int_var(0, bound, ""), m.cp.new_int_var(0, bound, "")
            m.cp.add(n + under - over == c.preferred)
            m.objective += [(under, c.under_weight), (over, c.over_weight)]


def _successors(m: Model) -> None:
    """One AtMostOne per (person, day, group of shifts with the same forbidden successors) over those shifts
    and the next day's forbidden successors: the same rule as one clause per forbidden pair (a person works
    at most one shift a day), in far fewer constraints."""
    groups: dict[frozenset[str], list[str]] = defaultdict(list)
    for s in m.problem.shift_types:
        if s.forbidden_next:
            groups[s.forbidden_next].append(s.id)
    rules = [(sorted(g), sorted(f)) for f, g in groups.items()]
    x = m.x
    for person in m.problem.people:
        pid = person.id
        for day in range(m.problem.days - 1):
            for shifts, forbidden in rules:
                today = [a for s in shifts if (a := x.get((pid, day, s))) is not None]
                if not today:
                    continue
                nxt = [b for t in forbidden if (b := x.get((pid, day + 1, t))) is not None]
                if nxt:
                    m.cp.add_at_most_one(today + nxt)


def _minutes_and_counts(m: Model) -> None:
    p = m.problem
    for person in p.people:
        for shift, cap in person.max_shifts.items():
            taken = [v for d in range(p.days) if (v := m.x.get((person.id, d, shift))) is not None]
            if len(taken) > cap:  # a cap above the days it could be worked binds nothing
                m.within(cp_model.LinearExpr.sum(taken), None, cap)
        if person.min_minutes or person.max_minutes is not None:
            terms = [
                (v, s.minutes)
                for s in p.shift_types
                for d in range(p.days)
                if (v := m.x.get((person.id, d, s.id))) is not None
            ]
            total = cp_model.LinearExpr.weighted_sum([v for v, _ in terms], [w for _, w in terms])
            unit = min((s.minutes for s in p.shift_types if s.minutes > 0), default=1)
            m.within(total, person.min_minutes or None, person.max_minutes, unit)


def _runs(m: Model, person: Person, value: bool, minimum: int, maximum: int | None) -> None:
    """Sliding windows for the maximum; forbidden short patterns (off, on x l, off) for the minimum."""
    p = m.problem
    lit = [_works(m, person.id, d) for d in range(p.days)]
    if not value:
        lit = [1 - v if isinstance(v, int) else v.negated() for v in lit]
    history = person.worked_before if value else person.off_before
    after = person.worked_after if value else person.off_after  # the same kind of run just after the horizon
    end_known = p.outside_is_off and value or (person.off_after if value else person.worked_after) > 0
    if maximum is not None:
        seq: list[Any] = [1] * history + lit + [1] * after
        for start in range(len(seq) - maximum):
            window = seq[start : start + maximum + 1]
            if start + maximum + 1 > history and start < history + p.days:
                m.at_most(window, maximum)
    start_known = p.outside_is_off or person.worked_before > 0 or person.off_before > 0
    if p.days and 0 < history < minimum and not (not value and p.outside_is_off):
        _add_clause(m, [lit[0]])  # a run from before the horizon, still too short, must go on
    if p.days and 0 < after < minimum:
        _add_clause(m, [lit[-1]])  # a run after the horizon, too short on its own, must start inside
    for length in range(1, minimum):
        for start in range(p.days - length + 1):
            end = start + length  # first day after the run
            if start == 0 and (not start_known or (not value and p.outside_is_off)):
                continue
            if end == p.days and not after and not end_known:
                continue
            if length + (history if start == 0 else 0) + (after if end == p.days else 0) >= minimum:
                continue
            clause = [_negate(lit[d]) for d in range(start, end)]
            if start > 0:
                clause.append(lit[start - 1])
            if end < p.days:
                clause.append(lit[end])
            _add_clause(m, clause)


def _negate(v: Any) -> Any:
    return 1 - v if isinstance(v, int) else v.negated()


def _add_clause(m: Model, clause: list[Any]) -> None:
    if any(isinstance(c, int) and c == 1 for c in clause):
        return
    lits = [c for c in clause if not isinstance(c, int)]
    if not lits:
        m.clause([m.cp.new_constant(0)])  # violated for certain: infeasible (unless softened)
    else:
        m.clause(lits)


def _consecutive(m: Model) -> None:
    for person in m.problem.people:
        if person.max_consecutive is not None or person.min_consecutive > 1:
            _runs(m, person, True, person.min_consecutive, person.max_consecutive)
        if person.min_consecutive_off > 1:
            _runs(m, person, False, person.min_consecutive_off, None)


def _weekends(m: Model) -> None:
    for person in m.problem.people:
        if person.max_weekends is None:
            continue
        worked = []
        for weekend in m.problem.weekends:
            days = [v for d in sorted(weekend) if not isinstance(v := _works(m, person.id, d), int)]
            if not days:
                continue
            w = m.cp.new_bool_var("")
            m.cp.add_max_equality(w, days)
            worked.append(w)
        m.within(sum(worked), None, person.max_weekends)


def _limits(m: Model) -> None:
    for person in m.problem.people:
        for limit in person.limits:
            m.at_most([_works(m, person.id, d) for d in limit.days], limit.max_shifts)


def _rest(m: Model) -> None:
    """Conflict pairs as AtMostOne over cliques: cells conflicting with one earlier cell usually conflict
    with each other too (rest gaps), so one constraint replaces many pairs."""
    later: dict[Cell, set[Cell]] = defaultdict(set)
    pairs: set[frozenset[Cell]] = set()
    for c in m.problem.conflicts:
        later[c.first].add(c.second)
        pairs.add(frozenset((c.first, c.second)))
    cliques = []
    for first, seconds in later.items():
        members = [first, *sorted(seconds)]
        if all(frozenset((a, b)) in pairs for i, a in enumerate(members) for b in members[i + 1 :]):
            cliques.append(members)
        else:
            cliques += [[first, s] for s in seconds]
    for person in m.problem.people:
        for cells in cliques:
            lits = [v for d, s in cells if (v := m.x.get((person.id, d, s))) is not None]
            if len(lits) > 1:
                m.at_most(lits, 1)


def _pairs(m: Model) -> None:
    for pair in m.problem.not_together:
        for (pid, day, shift), a in m.x.items():
            if pid != pair.a or (b := m.x.get((pair.b, day, shift))) is None:
                continue
            if pair.weight is None:
                m.clause([a.negated(), b.negated()])
            else:
                both = m.cp.new_bool_var("")
                m.cp.add_bool_or([a.negated(), b.negated(), both])
                m.objective.append((both, pair.weight))


def _requests(m: Model) -> None:
    for r in m.problem.requests:
        lit = _works(m, r.person, r.day) if r.shift is None else m.x.get((r.person, r.day, r.shift), 0)
        if r.on:
            m.objective.append((1 - lit, r.weight))
        else:
            m.objective.append((lit, r.weight))


def _fairness(m: Model) -> None:
    for term in m.problem.fairness:
        if not term.weight or len(term.people) < 2:
            continue
        counts = []
        for pid in term.people:
            expr = term.ledger.get(pid, 0) + sum(m.x.get((pid, d, s), 0) for d, s in term.cells)
            counts.append(expr)
        low = min(term.ledger.get(pid, 0) for pid in term.people)
        high = max(term.ledger.get(pid, 0) for pid in term.people) + len(term.cells)
        hi, lo = m.cp.new_int_var(low, high, ""), m.cp.new_int_var(low, high, "")
        for expr in counts:
            m.cp.add(hi >= expr)
            m.cp.add(lo <= expr)
        if term.total is not None:  # the average lies between min and max
            whole = term.total + sum(term.ledger.get(pid, 0) for pid in term.people)
            n = len(term.people)
            m.cp.add(hi >= -(-whole // n))
            m.cp.add(lo <= whole // n)
        m.objective.append((hi - lo, term.weight))


def _minimal_change(m: Model, hint: Solution | None) -> None:
    previous = m.problem.previous
    people = {p.id: p for p in m.problem.people}
    if previous is not None and m.problem.change_weight:
        for pid, days in previous.assignments.items():
            for day, a in days.items():
                lit = m.seat(people[pid], day, a.shift, a.role) if pid in people and day < m.problem.days else None
                m.objective.append((1 - lit if lit is not None else 1, m.problem.change_weight))
    # Start the search from the previous roster (most of it usually survives), or from the given hint.
    start = hint if hint is not None else previous
    if start is not None:
        _add_hint(m, start, people)


def _add_hint(m: Model, start: Solution, people: Mapping[str, Person]) -> None:
    kept: set[tuple[str, int, str, str]] = set()
    for pid, days in start.assignments.items():
        if pid in people:
            kept.update((pid, day, a.shift, a.role) for day, a in days.items())
    for (pid, day, shift), var in m.x.items():
        roles = people[pid].roles
        m.cp.add_hint(var, any((pid, day, shift, r) in kept for r in roles))
        if len(roles) > 1:
            for r in roles:
                m.cp.add_hint(m.role[(pid, day, shift, r)], (pid, day, shift, r) in kept)


BUILDERS: dict[str, Callable[[Model], None]] = {
    "cover": _cover,
    "successors": _successors,
    "minutes": _minutes_and_counts,
    "consecutive": _consecutive,
    "weekends": _weekends,
    "limits": _limits,
    "rest": _rest,
    "pairs": _pairs,
}


def build(
    problem: Problem, skip: Iterable[str] = (), soften: Iterable[str] = (), hint: Solution | None = None
) -> Model:
    problem.validate()
    m = Model(problem, soft=frozenset(soften))
    _variables(m)
    skipped = set(skip)
    for name, builder in BUILDERS.items():
        if name not in skipped:
            m.family = name
            builder(m)
    m.family = ""
    _requests(m)
    _fairness(m)
    _minimal_change(m, hint)
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
