"""The constraint families of the roster model, one small function each over ``roster.solver.model.Model``
(``roster.solver.cpsat.build`` runs them in order; ``skip`` switches one off to find which makes a problem
infeasible)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Any

from ortools.sat.python import cp_model

from roster.solver.model import Model, add_clause, negate, works_on
from roster.solver.problem import Cell, Person, Solution


def _cover(m: Model) -> None:
    people = {p.id: p for p in m.problem.people}
    by_cell: dict[Cell, list[tuple[str, Any]]] = defaultdict(list)
    for (pid, day, shift), var in m.x.items():
        by_cell[(day, shift)].append((pid, var))
    for c in m.problem.cover:
        cell = by_cell.get((c.day, c.shift), [])
        if c.role is None:  # any role: the seat is the shift's own variable
            seats = [v for _, v in cell]
        else:
            seats = [v for pid, _ in cell if (v := m.seat(people[pid], c.day, c.shift, c.role)) is not None]
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
            m.derived += [(under, "under", (seats, c.preferred)), (over, "over", (seats, c.preferred))]
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
    taken: dict[tuple[str, str], list[Any]] = defaultdict(list)  # (person, shift) -> its variables by day
    for (pid, _, shift), var in m.x.items():
        taken[(pid, shift)].append(var)
    unit = min((s.minutes for s in p.shift_types if s.minutes > 0), default=1)
    for person in p.people:
        for shift, cap in person.max_shifts.items():
            days = taken.get((person.id, shift), [])
            if len(days) > cap:  # a cap above the days it could be worked binds nothing
                m.within(cp_model.LinearExpr.sum(days), None, cap)
        if person.min_minutes or person.max_minutes is not None:
            terms = [(v, s.minutes) for s in p.shift_types for v in taken.get((person.id, s.id), [])]
            total = cp_model.LinearExpr.weighted_sum([v for v, _ in terms], [w for _, w in terms])
            m.within(total, person.min_minutes or None, person.max_minutes, unit)


def _runs(m: Model, person: Person, value: bool, minimum: int, maximum: int | None) -> None:
    """Sliding windows for the maximum; forbidden short patterns (off, on x l, off) for the minimum."""
    p = m.problem
    lit = [works_on(m, person.id, d) for d in range(p.days)]
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
        add_clause(m, [lit[0]])  # a run from before the horizon, still too short, must go on
    if p.days and 0 < after < minimum:
        add_clause(m, [lit[-1]])  # a run after the horizon, too short on its own, must start inside
    for length in range(1, minimum):
        for start in range(p.days - length + 1):
            end = start + length  # first day after the run
            if start == 0 and (not start_known or (not value and p.outside_is_off)):
                continue
            if end == p.days and not after and not end_known:
                continue
            if length + (history if start == 0 else 0) + (after if end == p.days else 0) >= minimum:
                continue
            clause = [negate(lit[d]) for d in range(start, end)]
            if start > 0:
                clause.append(lit[start - 1])
            if end < p.days:
                clause.append(lit[end])
            add_clause(m, clause)


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
            days = [v for d in sorted(weekend) if not isinstance(v := works_on(m, person.id, d), int)]
            if not days:
                continue
            w = m.cp.new_bool_var("")
            m.cp.add_max_equality(w, days)
            m.derived.append((w, "max", days))
            worked.append(w)
        m.within(sum(worked), None, person.max_weekends)


def _limits(m: Model) -> None:
    for person in m.problem.people:
        for limit in person.limits:
            m.at_most([works_on(m, person.id, d) for d in limit.days], limit.max_shifts)


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


def requests_family(m: Model) -> None:
    for r in m.problem.requests:
        lit = works_on(m, r.person, r.day) if r.shift is None else m.x.get((r.person, r.day, r.shift), 0)
        if r.on:
            m.objective.append((1 - lit, r.weight))
        else:
            m.objective.append((lit, r.weight))


def fairness_family(m: Model) -> None:
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


def minimal_change_family(m: Model, hint: Solution | None) -> None:
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
    worked: set[tuple[str, int, str]] = set()  # (person, day, shift) worked in one of the person's roles
    for pid, days in start.assignments.items():
        if pid in people:
            roles = people[pid].roles
            kept.update((pid, day, a.shift, a.role) for day, a in days.items())
            worked.update((pid, day, a.shift) for day, a in days.items() if a.role in roles)
    values: dict[int, int] = {}
    for key, var in m.x.items():
        values[var.index] = int(key in worked)
        roles = people[key[0]].roles
        if len(roles) > 1:
            for r in roles:
                values[m.role[(*key, r)].index] = int((*key, r) in kept)
    for var, kind, data in m.derived:  # in the order made: each follows from seats or earlier ones
        values[var.index] = _derived_value(kind, data, values)
    hint = m.cp.proto.solution_hint  # extended at once: appending one by one to the proto is slow
    hint.vars.extend(values.keys())
    hint.values.extend(values.values())


def _derived_value(kind: str, data: Any, values: Mapping[int, int]) -> int:
    if kind == "max":
        return max((values[v.index] for v in data), default=0)
    seats, preferred = data
    taken = sum(values[v.index] for v in seats)
    return max(0, preferred - taken) if kind == "under" else max(0, taken - preferred)


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
