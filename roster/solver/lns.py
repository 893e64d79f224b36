"""Large-neighbourhood search around CP-SAT: for problems too large to solve whole in the time given.

A *neighbourhood* is a group of people over a window of days. ``restrict`` turns it into a small Problem of
the same model: the other people keep their incumbent shifts (their seats are taken off the cover), the
freed people keep theirs outside the window (``Person.fixed``), and only the freed cells are decided. CP-SAT
solves that, hinted with the incumbent, and the result is kept when the whole roster's cost does not rise
(equal moves are kept too: they let the search drift across plateaus of uncovered seats).

``repair`` makes a start roster hard-feasible person by person: everyone whose own rules it breaks is
re-solved with the others fixed. ``improve`` then runs the search until the time is up, growing the
neighbourhoods while CP-SAT proves them optimal quickly and shrinking them when it does not.

Exact for cover (hard and soft), requests, per-person rules, conflicts and not-together pairs (a pair with a
kept person becomes an unavailable cell or an off request); fairness terms are restricted to the freed people,
an approximation, but every move is accepted or refused on the whole roster's cost, so the search never
gets worse.
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from roster.solver.construct import build_lines
from roster.solver.cpsat import ProgressFn, solve
from roster.solver.evaluate import penalties, person_violations, seat_counts, violations
from roster.solver.problem import Assignment, Cover, Person, Problem, Request, Result, Solution

Roster = dict[str, dict[int, Assignment]]
# A repair only needs a feasible line; the search improves it afterwards.
REPAIR_PARAMS: dict[str, Any] = {"stop_after_first_solution": True}
# Construction windows are many and each is solved once: CP-SAT's presolve costs more than it saves there.
CONSTRUCT_PARAMS: dict[str, Any] = {"cp_model_presolve": False}


@dataclass(frozen=True)
class Neighbourhood:
    people: tuple[str, ...]
    first: int  # first freed day
    last: int  # first day after the window


def restrict(problem: Problem, roster: Mapping[str, Mapping[int, Assignment]], hood: Neighbourhood) -> Problem:
    """The sub-problem deciding only ``hood``'s cells, everything else kept as in ``roster``."""
    free = set(hood.people)
    window = range(hood.first, hood.last)
    kept = seat_counts(Solution({p: d for p, d in roster.items() if p not in free and d}))
    people = []
    for person in problem.people:
        if person.id not in free:
            continue
        days = roster.get(person.id, {})
        fixed = dict(person.fixed)
        for day in range(problem.days):
            if day not in window and day not in person.days_off:
                fixed[day] = a.shift if (a := days.get(day)) else None
        people.append(
            dataclasses.replace(
                person,
                fixed=fixed,
                unavailable=person.unavailable | _kept_partners(problem, person.id, free, roster, window),
            )
        )
    return dataclasses.replace(
        problem,
        people=tuple(people),
        cover=tuple(_net_cover(c, kept[(c.day, c.shift, c.role)]) for c in problem.cover if c.day in window),
        requests=tuple(r for r in problem.requests if r.person in free and r.day in window)
        + _soft_pairs(problem, free, roster, window),
        not_together=tuple(n for n in problem.not_together if n.a in free and n.b in free),
        fairness=tuple(
            dataclasses.replace(f, people=tuple(p for p in f.people if p in free), total=None) for f in problem.fairness
        ),
        previous=None
        if problem.previous is None
        else Solution(
            {
                p: {d: a for d, a in days.items() if d in window}
                for p, days in problem.previous.assignments.items()
                if p in free
            }
        ),
    )


def _net_cover(c: Cover, kept: int) -> Cover:
    """The cover still to be met by the freed people. Clamping at zero shifts both the old and the new cost
    of an over-covered cell by the same constant, so comparisons stay exact."""
    return dataclasses.replace(
        c,
        min=max(0, c.min - kept),
        max=None if c.max is None else max(0, c.max - kept),
        preferred=None if c.preferred is None else max(0, c.preferred - kept),
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


def cost(problem: Problem, roster: Mapping[str, Mapping[int, Assignment]]) -> int:
    return sum(penalties(problem, Solution(dict(roster))).values())


def _resolve(
    problem: Problem,
    roster: Roster,
    hood: Neighbourhood,
    time_limit_s: float,
    workers: int,
    seed: int,
    params: Any,
    soften: tuple[str, ...] = (),
) -> tuple[Result, int]:
    """Solve one neighbourhood; returns the result and the incumbent's cost on the same sub-problem."""
    sub = restrict(problem, roster, hood)
    before = Solution({p: roster.get(p, {}) for p in hood.people})
    result = solve(sub, time_limit_s, workers, seed=seed, params=params, hint=before, soften=soften)
    return result, cost(sub, before.assignments)


def _apply(roster: Roster, hood: Neighbourhood, solution: Solution) -> None:
    window = range(hood.first, hood.last)
    for pid in hood.people:
        days = {d: a for d, a in roster.get(pid, {}).items() if d not in window}
        days.update({d: a for d, a in solution.assignments.get(pid, {}).items() if d in window})
        roster[pid] = days


# The rules one person's line can break, softened while repairing (each breach costs SOFT_WEIGHT).
PERSON_RULES = ("minutes", "consecutive", "weekends", "limits")


def _breaches(problem: Problem, people: Mapping[str, Person], roster: Roster, ids: tuple[str, ...]) -> int:
    return sum(len(person_violations(problem, people[p], roster.get(p, {}))) for p in ids)


def repair(
    problem: Problem,
    start: Solution | None,
    deadline: float,
    workers: int = 2,
    seed: int = 0,
    params: Mapping[str, Any] | None = None,
) -> Roster | None:
    """Make ``start`` hard-feasible: each person whose own rules it breaks is re-solved alone over the whole
    horizon, the rest of the roster fixed (cover net of it), hinted with the broken line. None when time
    runs out first or a person's rules cannot be met at all."""
    people = {p.id: p for p in problem.people}
    roster: Roster = {p: dict(d) for p, d in (start.assignments if start else {}).items()}
    broken = [p.id for p in problem.people if person_violations(problem, p, roster.get(p.id, {}))]
    for pid in broken:
        left = deadline - time.perf_counter()
        if left <= 0:
            return None
        hood = Neighbourhood((pid,), 0, problem.days)
        result, _ = _resolve(problem, roster, hood, left, workers, seed, {**(params or {}), **REPAIR_PARAMS})
        if result.solution is None:
            return None
        _apply(roster, hood, result.solution)
        if person_violations(problem, people[pid], roster.get(pid, {})):
            return None
    return roster


def window_problem(problem: Problem, roster: Roster, people: tuple[str, ...], first: int, last: int) -> Problem:
    """Days ``first``..``last - 1`` of ``problem`` as a problem of their own (day 0 = ``first``) for ``people``,
    everything before ``first`` taken from ``roster`` as history: run lengths, yesterday's shift (rotation),
    and totals already worked (minutes, shifts per type, weekends) come off each person's bounds, which are
    prorated up to ``last`` (a little loosely) so that a roster built window by window stays on course for
    the whole horizon; the last window keeps the real bounds. Cover is net of the other people's seats."""
    span = range(first, last)
    slack = 2 * max((s.minutes for s in problem.shift_types), default=0) if last < problem.days else 0
    minutes = {s.id: s.minutes for s in problem.shift_types}
    forbidden = {s.id: s.forbidden_next for s in problem.shift_types}
    chosen = set(people)
    out = []
    for person in problem.people:
        if person.id not in chosen:
            continue
        days = roster.get(person.id, {})
        before = [days.get(d) for d in range(first)]
        counts = Counter(a.shift for a in before if a)
        worked = sum(minutes[a.shift] for a in before if a)
        run = next((i for i, a in enumerate(reversed(before)) if a is None), len(before))
        off = next((i for i, a in enumerate(reversed(before)) if a is not None), len(before))
        weekends = sum(1 for w in problem.weekends if any(d < first and days.get(d) for d in w))
        yesterday = before[-1] if before else None
        # Prorate by the days the person can work (a long leave early in the year shifts the work later).
        open_days = problem.days - len(person.days_off)
        share = (last - sum(1 for d in person.days_off if d < last)) / open_days if open_days else 1.0
        out.append(
            dataclasses.replace(
                person,
                min_minutes=max(0, int(person.min_minutes * share) - slack - worked),
                max_minutes=None
                if person.max_minutes is None
                else max(0, int(person.max_minutes * share) + slack - worked),
                max_shifts={
                    s: max(0, (cap if not slack else min(cap, int(cap * share) + 2)) - counts[s])
                    for s, cap in person.max_shifts.items()
                },
                max_weekends=None
                if person.max_weekends is None
                else max(
                    0,
                    (
                        person.max_weekends
                        if not slack
                        else min(person.max_weekends, int(person.max_weekends * share) + 2)
                    )
                    - weekends,
                ),
                days_off=frozenset(d - first for d in person.days_off if d in span),
                unavailable=frozenset((d - first, s) for d, s in person.unavailable if d in span)
                | (frozenset((0, t) for t in forbidden[yesterday.shift]) if yesterday else frozenset()),
                fixed={d - first: s for d, s in person.fixed.items() if d in span},
                limits=(),
                worked_before=run if first else person.worked_before,
                off_before=off if first else person.off_before,
            )
        )
    kept = seat_counts(Solution({p: d for p, d in roster.items() if p not in chosen and d}))
    return dataclasses.replace(
        problem,
        days=last - first,
        people=tuple(out),
        cover=tuple(
            dataclasses.replace(_net_cover(c, kept[(c.day, c.shift, c.role)]), day=c.day - first)
            for c in problem.cover
            if c.day in span
        ),
        requests=tuple(
            dataclasses.replace(r, day=r.day - first) for r in problem.requests if r.person in chosen and r.day in span
        ),
        weekends=tuple(w2 for w in problem.weekends if (w2 := frozenset(d - first for d in w if d in span))),
        conflicts=tuple(
            dataclasses.replace(c, first=(c.first[0] - first, c.first[1]), second=(c.second[0] - first, c.second[1]))
            for c in problem.conflicts
            if c.first[0] in span and c.second[0] in span
        ),
        not_together=tuple(n for n in problem.not_together if n.a in chosen and n.b in chosen),
        fairness=(),
        previous=None,
        outside_is_off=problem.outside_is_off and last == problem.days and first == 0,
    )


def _shifted(solution: Solution, offset: int) -> Solution:
    return Solution({p: {d + offset: a for d, a in days.items()} for p, days in solution.assignments.items()})


def construct(
    problem: Problem,
    deadline: float,
    workers: int = 2,
    seed: int = 0,
    width: int = 28,
    cells: int = 20_000,
) -> Roster:
    """Rolling horizon: window by window in time order (each person's totals prorated up to the window's
    end), a group of people at a time (the cover net of the groups already placed), earlier days fixed. A
    window a group cannot meet is solved with its rules softened, and left for ``repair``."""
    roster: Roster = {}
    ids = [p.id for p in problem.people]
    per_day = max(1, len(problem.shift_types))
    width = min(problem.days, width)  # whole weeks from day 0: no weekend is cut by a window's edge
    size = max(1, min(len(ids), cells // (width * per_day)))
    groups = [tuple(ids[i : i + size]) for i in range(0, len(ids), size)]
    windows = [(a, min(problem.days, a + width)) for a in range(0, problem.days, width)]
    if windows[-1][1] - windows[-1][0] < width // 2 and len(windows) > 1:  # fold a short tail into the last
        windows[-2:] = [(windows[-2][0], problem.days)]
    calls = len(groups) * len(windows)
    for first, last in windows:
        for group in groups:
            left = deadline - time.perf_counter()
            limit = max(1.0, left / calls)
            calls -= 1
            part = window_problem(problem, roster, group, first, last)
            result = solve(part, limit, workers, seed=seed, params=CONSTRUCT_PARAMS)
            if result.solution is None:
                result = solve(part, 2 * limit, workers, seed=seed, params=CONSTRUCT_PARAMS, soften=PERSON_RULES)
            if result.solution is not None:
                _apply(roster, Neighbourhood(group, first, last), _shifted(result.solution, first))
    return roster


@dataclass
class _Sizes:
    """Adaptive neighbourhood size in freed cells: grows after quick optimal sub-solves, shrinks after slow
    ones."""

    cells: float
    lowest: float = 200.0
    highest: float = 60_000.0

    def update(self, proved: bool) -> None:
        factor = 1.15 if proved else 0.85
        self.cells = min(self.highest, max(self.lowest, self.cells * factor))


def _neighbourhood(problem: Problem, rng: random.Random, cells: float) -> Neighbourhood:
    """A random group of people over a random window, about ``cells`` (person, day, shift) cells in all."""
    ids = [p.id for p in problem.people]
    per_day = max(1, len(problem.shift_types))
    kind = rng.random()
    if kind < 0.4:  # a few people over the whole horizon: swaps of whole lines
        width = problem.days
    elif kind < 0.8:  # more people over a week or a few
        width = min(problem.days, 7 * rng.randint(1, 4))
    else:  # everyone over a few days: re-deals the cover there
        width = max(2, min(problem.days, int(cells / (len(ids) * per_day))))
    count = max(2, min(len(ids), int(cells / (width * per_day))))
    if count * width * per_day > 2 * cells and width > 2:  # too wide for two people: narrow the window
        width = max(2, int(cells / (count * per_day)))
    first = rng.randrange(0, problem.days - width + 1)
    return Neighbourhood(tuple(sorted(rng.sample(ids, count))), first, first + width)


def improve(
    problem: Problem,
    roster: Roster,
    deadline: float,
    workers: int = 2,
    seed: int = 0,
    progress: ProgressFn | None = None,
    started: float | None = None,
    params: Mapping[str, Any] | None = None,
    sub_time_s: float = 2.0,
    cells: float = 3000.0,
    on_step: Callable[[Neighbourhood, int, int | None], None] | None = None,
) -> tuple[Roster, int]:
    """Neighbourhood search from the hard-feasible ``roster`` until ``deadline`` (perf_counter seconds).
    Returns the best roster and its cost."""
    rng = random.Random(seed)
    sizes = _Sizes(cells)
    best = cost(problem, roster)
    started = time.perf_counter() if started is None else started
    step = 0
    while (left := deadline - time.perf_counter()) > 0.05:
        hood = _neighbourhood(problem, rng, sizes.cells)
        result, old = _resolve(problem, roster, hood, min(left, sub_time_s), workers, seed + step, params)
        step += 1
        sizes.update(result.status == "optimal")
        if result.solution is None or result.objective is None or result.objective > old:
            continue
        _apply(roster, hood, result.solution)
        if result.objective < old:
            best += result.objective - old
            if progress:
                progress({"objective": best, "bound": None, "seconds": time.perf_counter() - started})
        if on_step:
            on_step(hood, result.objective, old)
    return roster, best


def solve_lns(
    problem: Problem,
    time_limit_s: float,
    workers: int = 2,
    seed: int = 0,
    start: Solution | None = None,
    progress: ProgressFn | None = None,
    params: Mapping[str, Any] | None = None,
) -> Result:
    """Repair ``start`` (or an empty roster) into a feasible one, then improve it until the time is up."""
    started = time.perf_counter()
    deadline = started + time_limit_s
    if start is None:
        start = Solution(build_lines(problem, seed))
    roster = repair(problem, start, deadline, workers, seed, params=params)
    if roster is None:
        return Result("unknown", None, None, {}, None, time.perf_counter() - started)
    if progress:
        progress({"objective": cost(problem, roster), "bound": None, "seconds": time.perf_counter() - started})
    roster, _ = improve(problem, roster, deadline, workers, seed, progress, started, params)
    solution = Solution({p: d for p, d in roster.items() if d})
    breakdown = penalties(problem, solution)
    status = "feasible" if not violations(problem, solution) else "unknown"
    return Result(status, sum(breakdown.values()), None, breakdown, solution, time.perf_counter() - started)


__all__ = ["Neighbourhood", "cost", "improve", "repair", "restrict", "solve_lns"]
