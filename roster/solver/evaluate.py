"""Check and score a Solution against its Problem in plain Python, independently of the CP-SAT model.

``violations`` lists every broken hard rule (empty = feasible); ``penalties`` gives the soft cost per term
family. Tests use both to check the solver; solve() reports ``penalties`` as its breakdown, so the objective
it returns is the true cost of the roster it returns.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping

from roster.solver.problem import Assignment, Person, Problem, Solution


def _blocks(seq: list[bool], value: bool) -> list[tuple[int, int]]:
    """(start, length) of each maximal run of ``value``."""
    runs, start = [], None
    for i, v in enumerate([*seq, not value]):
        if v == value and start is None:
            start = i
        elif v != value and start is not None:
            runs.append((start, i - start))
            start = None
    return runs


def _edge_known(problem: Problem, person: Person) -> tuple[bool, bool]:
    """Whether the run touching day 0 / the last day is a complete run (so minimum lengths apply)."""
    return (problem.outside_is_off or person.worked_before > 0 or person.off_before > 0, problem.outside_is_off)


def _consecutive_violations(problem: Problem, person: Person, worked: list[bool]) -> list[str]:
    out: list[str] = []
    start_known, end_known = _edge_known(problem, person)
    for value, minimum, maximum, what in (
        (True, person.min_consecutive, person.max_consecutive, "shifts"),
        (False, person.min_consecutive_off, None, "days off"),
    ):
        history = person.worked_before if value else person.off_before
        if problem.outside_is_off and not value:
            history = max(history, 1)  # the outside counts as off: a leading off-run is not short
        after = person.worked_after if value else person.off_after
        ends_known = end_known or after > 0 or (person.off_after if value else person.worked_after) > 0
        if (
            worked
            and start_known
            and 0 < history < minimum
            and worked[0] != value
            and (value or not problem.outside_is_off)
        ):
            out.append(f"{person.id}: only {history} consecutive {what} before day 0 (min {minimum})")
        if worked and 0 < after < minimum and worked[-1] != value:
            out.append(f"{person.id}: only {after} consecutive {what} after the last day (min {minimum})")
        for start, length in _blocks(worked, value):
            touches_start, touches_end = start == 0, start + length == problem.days
            total = length + (history if touches_start else 0) + (after if touches_end else 0)
            if maximum is not None and total > maximum:
                out.append(f"{person.id}: {total} consecutive {what} from day {start} (max {maximum})")
            if (touches_start and not start_known) or (touches_end and not ends_known):
                continue
            if not value and (touches_start or touches_end) and problem.outside_is_off:
                continue  # an off-run at the edge continues outside
            if total < minimum:
                out.append(f"{person.id}: only {total} consecutive {what} from day {start} (min {minimum})")
    return out


def person_violations(problem: Problem, person: Person, days: Mapping[int, Assignment]) -> list[str]:
    """The hard rules one person's own roster breaks (rules between people are checked by violations)."""
    out: list[str] = []
    pid = person.id
    minutes = {s.id: s.minutes for s in problem.shift_types}
    forbidden = {s.id: s.forbidden_next for s in problem.shift_types}
    for day, a in days.items():
        if a.role not in person.roles:
            out.append(f"{pid}: day {day} role {a.role} not eligible")
        if day in person.days_off or (day, a.shift) in person.unavailable:
            out.append(f"{pid}: day {day} {a.shift} unavailable")
        nxt = days.get(day + 1)
        if nxt and nxt.shift in forbidden[a.shift]:
            out.append(f"{pid}: {nxt.shift} on day {day + 1} may not follow {a.shift}")
    for day, shift in person.fixed.items():
        kept = days.get(day)
        if (kept.shift if kept else None) != shift:
            out.append(f"{pid}: day {day} must be {shift or 'off'}")
    per_type = Counter(a.shift for a in days.values())
    for shift, cap in person.max_shifts.items():
        if per_type[shift] > cap:
            out.append(f"{pid}: {per_type[shift]} x {shift} (max {cap})")
    total = sum(minutes[a.shift] for a in days.values())
    if total < person.min_minutes or (person.max_minutes is not None and total > person.max_minutes):
        out.append(f"{pid}: {total} minutes outside [{person.min_minutes}, {person.max_minutes}]")
    worked = [d in days for d in range(problem.days)]
    out += _consecutive_violations(problem, person, worked)
    if person.max_weekends is not None:
        n = sum(any(worked[d] for d in w) for w in problem.weekends)
        if n > person.max_weekends:
            out.append(f"{pid}: {n} weekends (max {person.max_weekends})")
    for limit in person.limits:
        n = sum(worked[d] for d in limit.days)
        if n > limit.max_shifts:
            out.append(f"{pid}: {n} shifts in {limit.label} (max {limit.max_shifts})")
    for c in problem.conflicts:
        a, b = days.get(c.first[0]), days.get(c.second[0])
        if a and b and a.shift == c.first[1] and b.shift == c.second[1]:
            out.append(f"{pid}: works both {c.first} and {c.second} ({c.label})")
    return out


def seat_counts(solution: Solution) -> Counter[tuple[int, str, str | None]]:
    """(day, shift, role) and (day, shift, None) -> people working it."""
    seats: Counter[tuple[int, str, str | None]] = Counter()
    for days in solution.assignments.values():
        for day, a in days.items():
            seats[(day, a.shift, a.role)] += 1
            seats[(day, a.shift, None)] += 1
    return seats


def violations(problem: Problem, solution: Solution) -> list[str]:
    out: list[str] = []
    people = {p.id: p for p in problem.people}
    for pid in solution.assignments:
        if pid not in people:
            out.append(f"{pid}: not in the problem")
    for person in problem.people:
        out += person_violations(problem, person, solution.assignments.get(person.id, {}))
    seats = seat_counts(solution)
    for c in problem.cover:
        n = seats[(c.day, c.shift, c.role)]
        if n < c.min or (c.max is not None and n > c.max):
            out.append(f"cover day {c.day} {c.shift} {c.role or 'any'}: {n} not in [{c.min}, {c.max}]")
    for pair in problem.not_together:
        if pair.weight is None:
            for day in range(problem.days):
                a, b = solution.on(pair.a, day), solution.on(pair.b, day)
                if a and b and a.shift == b.shift:
                    out.append(f"{pair.a} and {pair.b} together on day {day} {a.shift}")
    return out


def fairness_counts(problem: Problem, solution: Solution) -> dict[str, dict[str, int]]:
    """category -> person -> ledger + cells worked (for every person named by a fairness term)."""
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for term in problem.fairness:
        for pid in term.people:
            days = solution.assignments.get(pid, {})
            worked = sum((d, a.shift) in term.cells for d, a in days.items())
            counts[term.category][pid] = term.ledger.get(pid, 0) + worked
    return dict(counts)


def penalties(problem: Problem, solution: Solution) -> dict[str, int]:
    out: Counter[str] = Counter()
    seats = seat_counts(solution)
    for c in problem.cover:
        if c.preferred is None:
            continue
        n = seats[(c.day, c.shift, c.role)]
        out["cover_under"] += c.under_weight * max(0, c.preferred - n)
        out["cover_over"] += c.over_weight * max(0, n - c.preferred)
    for r in problem.requests:
        a = solution.on(r.person, r.day)
        hit = a is not None and (r.shift is None or a.shift == r.shift)
        if hit != r.on:
            out["requests"] += r.weight
    for pair in problem.not_together:
        if pair.weight is not None:
            for day in range(problem.days):
                a, b = solution.on(pair.a, day), solution.on(pair.b, day)
                if a and b and a.shift == b.shift:
                    out["not_together"] += pair.weight
    for term in problem.fairness:
        values = []
        for pid in term.people:
            days = solution.assignments.get(pid, {})
            values.append(term.ledger.get(pid, 0) + sum((d, a.shift) in term.cells for d, a in days.items()))
        if values:
            out[f"fairness:{term.category}"] += term.weight * (max(values) - min(values))
    if problem.previous is not None and problem.change_weight:
        for pid, days in problem.previous.assignments.items():
            for day, a in days.items():
                if solution.on(pid, day) != a:
                    out["change"] += problem.change_weight
    return {k: v for k, v in sorted(out.items())}


def cost(problem: Problem, roster: Mapping[str, Mapping[int, Assignment]]) -> int:
    """A roster's whole soft cost: the sum of its ``penalties``."""
    return sum(penalties(problem, Solution(dict(roster))).values())
