"""Exact window sub-problems for the neighbourhood search (``roster.solver.lns``): a group of people over a
window of days as a small Problem of the same model, everything else kept as in the incumbent roster.

Exact for cover (hard and soft), requests, per-person rules, conflicts and not-together pairs (a pair with a
kept person becomes an unavailable cell or an off request); fairness terms are restricted to the freed people,
an approximation (the search judges every move on the whole roster's cost).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Mapping

from roster.solver.neighbourhoods import Neighbourhood
from roster.solver.problem import Assignment, Cover, Person, Problem, Request, Solution


def incumbent(roster: Mapping[str, Mapping[int, Assignment]], hood: Neighbourhood) -> Solution:
    """The roster's cells of ``hood``, its days counted from the window's first."""
    window = range(hood.first, hood.last)
    return Solution({p: {d - hood.first: a for d, a in roster.get(p, {}).items() if d in window} for p in hood.people})


def write_back(roster: dict[str, dict[int, Assignment]], hood: Neighbourhood, solution: Solution) -> None:
    """Write a sub-problem's solution (its days counted from the window's first) back into ``roster``."""
    window = range(hood.first, hood.last)
    for pid in hood.people:
        days = {d: a for d, a in roster.get(pid, {}).items() if d not in window}
        days.update({d + hood.first: a for d, a in solution.assignments.get(pid, {}).items()})
        roster[pid] = days


def restrict(problem: Problem, roster: Mapping[str, Mapping[int, Assignment]], hood: Neighbourhood) -> Problem:
    """Days ``hood.first``..``hood.last - 1`` for ``hood.people`` as a problem of their own (its day 0 is
    ``hood.first``), everything else kept as in ``roster``: the runs just before and after the window become
    each person's history on both sides, the shifts on the days next to it block the rotations they forbid,
    what is worked outside it comes off each person's totals (minutes, shifts per type, weekends, window
    limits), and the kept people's seats come off the cover. Only the freed cells are modelled, so a window
    of a year-long roster builds in milliseconds. A window should not cut a weekend (see
    neighbourhoods.whole_weekends)."""
    free = set(hood.people)
    span = range(hood.first, hood.last)
    kept = _kept_seats(roster, free, span)
    minutes = {s.id: s.minutes for s in problem.shift_types}
    people = tuple(
        _windowed(problem, p, roster.get(p.id, {}), free, roster, span, minutes) for p in problem.people if p.id in free
    )
    first = hood.first

    def shift(day: int) -> int:
        return day - first

    previous = problem.previous
    return dataclasses.replace(
        problem,
        days=len(span),
        people=people,
        cover=tuple(
            _net_cover(c, kept[(c.day, c.shift, c.role)], shift(c.day)) for c in problem.cover if c.day in span
        ),
        requests=tuple(
            dataclasses.replace(r, day=shift(r.day)) for r in problem.requests if r.person in free and r.day in span
        )
        + _soft_pairs(problem, free, roster, span),
        weekends=tuple(w2 for w in problem.weekends if (w2 := frozenset(shift(d) for d in w if d in span))),
        conflicts=tuple(
            dataclasses.replace(c, first=(shift(c.first[0]), c.first[1]), second=(shift(c.second[0]), c.second[1]))
            for c in problem.conflicts
            if c.first[0] in span and c.second[0] in span
        ),
        not_together=tuple(n for n in problem.not_together if n.a in free and n.b in free),
        fairness=tuple(
            dataclasses.replace(
                f,
                people=tuple(p for p in f.people if p in free),
                cells=frozenset((shift(d), s) for d, s in f.cells if d in span),
                total=None,
            )
            for f in problem.fairness
        ),
        previous=None
        if previous is None
        else Solution(
            {
                p: {shift(d): a for d, a in days.items() if d in span}
                for p, days in previous.assignments.items()
                if p in free
            }
        ),
        outside_is_off=problem.outside_is_off and hood.first == 0 and hood.last == problem.days,
    )


def _windowed(
    problem: Problem,
    person: Person,
    days: Mapping[int, Assignment],
    free: set[str],
    roster: Mapping[str, Mapping[int, Assignment]],
    span: range,
    minutes: Mapping[str, int],
) -> Person:
    first, last = span.start, span.stop
    counts: Counter[str] = Counter()
    worked = 0
    for d, a in days.items():
        if d < first or d >= last:
            counts[a.shift] += 1
            worked += minutes[a.shift]
    weekends = sum(1 for w in problem.weekends if any((d < first or d >= last) and d in days for d in w))
    blocked = _boundary_blocked(problem, days, first, last)
    return dataclasses.replace(
        person,
        min_minutes=max(0, person.min_minutes - worked),
        max_minutes=None if person.max_minutes is None else person.max_minutes - worked,
        max_shifts={s: cap - counts.get(s, 0) for s, cap in person.max_shifts.items()},
        max_weekends=None if person.max_weekends is None else person.max_weekends - weekends,
        days_off=frozenset(d - first for d in person.days_off if d in span),
        unavailable=frozenset((d - first, s) for d, s in person.unavailable if d in span)
        | frozenset(blocked)
        | frozenset((d - first, s) for d, s in _kept_partners(problem, person.id, free, roster, span)),
        fixed={d - first: s for d, s in person.fixed.items() if d in span},
        limits=tuple(
            dataclasses.replace(
                lim,
                days=frozenset(d - first for d in lim.days if d in span),
                max_shifts=lim.max_shifts - sum(1 for d in lim.days if d not in span and d in days),
            )
            for lim in person.limits
        ),
        **_edge_history(problem, person, days, first, last),
    )


def _kept_seats(
    roster: Mapping[str, Mapping[int, Assignment]], free: set[str], span: range
) -> Counter[tuple[int, str, str | None]]:
    """Seats taken by the kept people on the window's days, as ``seat_counts`` counts them."""
    seats: Counter[tuple[int, str, str | None]] = Counter()
    first, last = span.start, span.stop
    for pid, days in roster.items():
        if pid in free or not days:
            continue
        if len(days) > len(span):  # a short window of a long line: look its days up
            cells = [(d, days[d]) for d in span if d in days]
        else:
            cells = [(d, a) for d, a in days.items() if first <= d < last]
        for d, a in cells:
            seats[(d, a.shift, a.role)] += 1
            seats[(d, a.shift, None)] += 1
    return seats


def _boundary_blocked(problem: Problem, days: Mapping[int, Assignment], first: int, last: int) -> set[tuple[int, str]]:
    """Cells of the window that the shifts kept just outside it forbid (a night before an early, ...)."""
    forbidden = {s.id: s.forbidden_next for s in problem.shift_types}
    blocked: set[tuple[int, str]] = set()
    if first > 0 and (yesterday := days.get(first - 1)):
        blocked |= {(0, t) for t in forbidden[yesterday.shift]}
    if last < problem.days and (tomorrow := days.get(last)):
        blocked |= {(last - 1 - first, s) for s, f in forbidden.items() if tomorrow.shift in f}
    return blocked


def _run_length(days: Mapping[int, Assignment], day_range: range, working: bool) -> int:
    """How many days of ``day_range``, in its order, are worked (or off) before the first that is not."""
    n = 0
    for d in day_range:
        if (d in days) != working:
            break
        n += 1
    return n


def _edge_history(
    problem: Problem, person: Person, days: Mapping[int, Assignment], first: int, last: int
) -> dict[str, int]:
    """The runs of work and of days off just before and after the window, as its edges' history."""
    before, after = range(first - 1, -1, -1), range(last, problem.days)
    off_min = person.min_consecutive_off
    history = {
        "worked_before": person.worked_before,
        "off_before": person.off_before,
        "worked_after": person.worked_after,
        "off_after": person.off_after,
    }
    if first > 0:
        history["worked_before"] = _edge_run(_run_length(days, before, True), first, person.worked_before)
        history["off_before"] = _edge_run(
            _run_length(days, before, False), first, person.off_before, person.worked_before, off_min
        )
    if last < problem.days:
        to_edge = problem.days - last
        history["worked_after"] = _edge_run(_run_length(days, after, True), to_edge, person.worked_after)
        history["off_after"] = _edge_run(
            _run_length(days, after, False), to_edge, person.off_after, person.worked_after, off_min
        )
    return history


def _edge_run(length: int, to_edge: int, history: int, other: int | None = None, minimum: int = 0) -> int:
    """A run of ``length`` days just outside a window, as that window's history. A run reaching the horizon's
    edge (``to_edge`` days) goes on with the person's own history beyond it; a run of days off reaching an
    edge with no history there is exempt from the minimum (an unbounded run), so it counts as long enough."""
    if length < to_edge:
        return length
    if history:
        return length + history
    return max(length, minimum) if other == 0 else length


def _net_cover(c: Cover, kept: int, day: int) -> Cover:
    """The cover still to be met by the freed people, on the window's ``day``. Clamping at zero shifts both
    the old and the new cost of an over-covered cell by the same constant, so comparisons stay exact."""
    return Cover(  # built directly: dataclasses.replace costs more than the rest of the window's set-up
        day,
        c.shift,
        c.role,
        max(0, c.min - kept),
        None if c.max is None else max(0, c.max - kept),
        None if c.preferred is None else max(0, c.preferred - kept),
        c.under_weight,
        c.over_weight,
    )


def _kept_partners(
    problem: Problem, pid: str, free: set[str], roster: Mapping[str, Mapping[int, Assignment]], window: range
) -> frozenset[tuple[int, str]]:
    cells = set()
    for n in problem.not_together:
        if n.weight is None and pid in (n.a, n.b):
            other = n.b if n.a == pid else n.a
            if other not in free:
                cells.update((d, a.shift) for d, a in roster.get(other, {}).items() if d in window)
    return frozenset(cells)


def _soft_pairs(
    problem: Problem, free: set[str], roster: Mapping[str, Mapping[int, Assignment]], window: range
) -> tuple[Request, ...]:
    out = []
    for n in problem.not_together:
        if n.weight is None or (n.a in free) == (n.b in free):
            continue
        mine, other = (n.a, n.b) if n.a in free else (n.b, n.a)
        out += [Request(mine, d, a.shift, n.weight, on=False) for d, a in roster.get(other, {}).items() if d in window]
    return tuple(out)


__all__ = ["restrict"]
