"""Large-neighbourhood search around CP-SAT: for problems too large to solve whole in the time given.

A *neighbourhood* is a group of people over a window of days. ``restrict`` (``roster.solver.windows``)
turns it into a small Problem of the same model: the other people keep their incumbent shifts (their seats are
taken off the cover), the freed people keep theirs outside the window (``Person.fixed``), and only the freed
cells are decided. CP-SAT solves that, hinted with the incumbent, and the result is kept when the whole
roster's cost does not rise (equal moves are kept too: they let the search drift across plateaus of uncovered
seats).

``repair`` makes a start roster hard-feasible person by person: everyone whose own rules it breaks is
re-solved with the others fixed. ``improve`` then runs the search until the time is up; which part of the
roster to free next (random, or aimed at a cell short of cover) and how large is ``roster.solver.neighbourhoods``.
Two neighbourhoods apart from each other are solved at once (``LANES``, ``improve``'s ``lanes``).

Exact for cover (hard and soft), requests, per-person rules, conflicts and not-together pairs (a pair with a
kept person becomes an unavailable cell or an off request); fairness terms are restricted to the freed people,
an approximation, but every move is accepted or refused on the whole roster's cost, so the search never
gets worse.
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from roster.solver import columns
from roster.solver.breaks import Rates, plan_break
from roster.solver.construct import build_lines, retype
from roster.solver.cpsat import ProgressFn, solve
from roster.solver.evaluate import cost, penalties, person_violations, violations
from roster.solver.exchange import exchange
from roster.solver.neighbourhoods import Neighbourhood, ShortCells, Sizes, pick
from roster.solver.problem import Assignment, Cell, Problem, Result, Solution
from roster.solver.respond import respond
from roster.solver.windows import incumbent, restrict, write_back

Roster = dict[str, dict[int, Assignment]]
RETYPE_SHARE = 0.2  # of the budget, at most, for the type-swapping pass over the constructed lines
# Of the budget, at most, for column generation and its dive (roster.solver.columns) where people meet only in
# the cover; the search polishes its roster in the rest.
DIVE_SHARE = 0.85
# Of the budget, at most, for the first best responses (roster.solver.respond) where people meet only in the
# cover; the search's breaks respond again where that pays (roster.solver.breaks). Instance24 at 300 s: 82617
# against 83894 with 0.5, whose first responses ran 110 s while a matching pass every 20 s gained 1-5 thousand.
RESPOND_SHARE = 0.3
EXCHANGE_SHARE = 0.3  # of the budget, by when the cover matching of the repaired start stops (seconds at most)
# The search's moves open new matches (after 30 s on Instance20 a pass gained 3% in 0.7 s, ~5x the search's rate
# then): a pass in each of the search's breaks (roster.solver.breaks), bounded by EXCHANGE_BREAK_S. Where it
# settles that takes under a second; on Instance24 a pass after a round of responses takes 2.5-3.5 s (80202 at
# 300 s, against 82344 and 82617 when cut at 2 s).
EXCHANGE_BREAK_S = 4.0
RESPOND_BREAK_S = 20.0  # a round of best responses in a break, at most (roster.solver.breaks)
# Per neighbourhood: many quick moves beat a few slow ones (measured, docs/benchmark.md). The work is bounded in
# CP-SAT's deterministic time, so a loaded machine makes fewer moves, not worse ones; the wall-time cap is a guard.
SUB_DETERMINISTIC_S = 0.05
SUB_TIME_S = 1.0
# Neighbourhoods solved at once, each on all the workers: a sub-solve on two workers keeps only about one core
# busy (presolve is sequential, and the second worker idles on a small problem), so two side by side keep both
# (60 s wall: about 1.9 cores instead of 1.5). One worker per sub-solve instead did worse per CPU second on
# Instance10 (docs/benchmark.md).
LANES = 2
# A repair only needs a feasible line; the search improves it afterwards.
REPAIR_PARAMS: dict[str, Any] = {"stop_after_first_solution": True}
FIRST_CELLS = 3000.0  # first neighbourhood size in freed cells; Sizes grows or shrinks it as sub-solves prove optimal
PICK_TRIES = 10  # draws for a neighbourhood apart from those being solved, before waiting for one of them


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
    before = incumbent(roster, hood)
    result = solve(sub, time_limit_s, workers, seed=seed, params=params, hint=before, soften=soften)
    return result, cost(sub, before.assignments)


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
        write_back(roster, hood, result.solution)
        if person_violations(problem, people[pid], roster.get(pid, {})):
            return None
    return roster


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
    cells: float | Sizes = FIRST_CELLS,
    on_step: Callable[[Neighbourhood, int, int | None], None] | None = None,
    max_steps: int | None = None,
    lanes: int = 1,
    floor: int | None = None,
) -> tuple[Roster, int]:
    """Neighbourhood search from the hard-feasible ``roster`` until ``deadline`` (perf_counter seconds),
    after ``max_steps`` neighbourhoods, or once the cost is down to ``floor`` (a lower bound: the roster is
    then optimal). Returns the best roster and its cost.

    ``lanes`` neighbourhoods are solved at once (threads: CP-SAT releases the GIL), each on ``workers``
    CP-SAT workers. Neighbourhoods solved together share no person or no day, and one whose roster around it
    changed while it was solved is judged again on the roster as it now is (``_still_good``)."""
    rng = random.Random(seed)
    sizes = cells if isinstance(cells, Sizes) else Sizes(cells)  # a Sizes goes on adapting across calls
    best = cost(problem, roster)
    started = time.perf_counter() if started is None else started
    step = version = 0
    short = ShortCells(problem, roster)
    running: dict[Future[Result], tuple[Neighbourhood, int, Solution, int]] = {}
    with ThreadPoolExecutor(max(1, lanes)) as pool:
        while True:
            while len(running) < max(1, lanes) and (max_steps is None or step < max_steps) and best != floor:
                left = deadline - time.perf_counter()
                hood = _pick_apart(problem, roster, rng, sizes.cells, [h for h, *_ in running.values()], short.cells())
                if left <= 0.05 or hood is None:
                    break
                sub, before = restrict(problem, roster, hood), incumbent(roster, hood)
                job = pool.submit(
                    solve, sub, min(left, sub_time_s), workers, seed=seed + step, params=params, hint=before
                )
                running[job] = (hood, version, before, cost(sub, before.assignments))
                step += 1
            if not running:
                return roster, best
            for job in wait(running, return_when=FIRST_COMPLETED).done:
                hood, seen, before, old = running.pop(job)
                result = job.result()
                sizes.update(result.status == "optimal")
                # seen != version: other neighbourhoods were written back while this one was solved
                change = _accept(problem, roster, hood, result, old, before, stale=seen != version)
                if change is None:
                    continue
                old, new = change
                short.moved(hood, before, result.solution)  # type: ignore[arg-type]  # written back: not None
                version += 1
                if new < old:
                    best += new - old
                    if progress:
                        progress({"objective": best, "bound": None, "seconds": time.perf_counter() - started})
                if on_step:
                    on_step(hood, new, old)


def _accept(
    problem: Problem, roster: Roster, hood: Neighbourhood, result: Result, old: int, before: Solution, stale: bool
) -> tuple[int, int] | None:
    """Write ``result`` back into ``roster`` if it is no worse; its (cost before, cost after), or None.
    A ``stale`` result (the roster around it changed meanwhile) is judged again on the roster as it now is."""
    new = result.objective
    if result.solution is None or new is None or new > old:
        return None
    if stale:
        judged = _still_good(problem, roster, hood, before, result.solution)
        if judged is None:
            return None
        old, new = judged
    write_back(roster, hood, result.solution)
    return old, new


def _pick_apart(
    problem: Problem,
    roster: Roster,
    rng: random.Random,
    cells: float,
    busy: list[Neighbourhood],
    short: list[Cell],
) -> Neighbourhood | None:
    """The next neighbourhood sharing no person or no day with each of ``busy``; None after a few tries.
    ``short``: the roster's ``short_cells``."""
    for _ in range(PICK_TRIES if busy else 1):
        hood = pick(problem, roster, rng, cells, short)
        if all(_apart(hood, other) for other in busy):
            return hood
    return None


def _apart(a: Neighbourhood, b: Neighbourhood) -> bool:
    return a.last <= b.first or b.last <= a.first or not set(a.people) & set(b.people)


def _still_good(
    problem: Problem, roster: Roster, hood: Neighbourhood, before: Solution, found: Solution
) -> tuple[int, int] | None:
    """(old, new) cost of ``hood`` on the roster as it is now, or None when ``found`` no longer keeps the hard
    rules or costs more. Neighbourhoods solved together are apart (``_apart``), so ``hood``'s own cells are
    as they were; what can have changed is the cover net of the others and, for a person in both, the days
    outside the window (totals, runs at its edges): the window's sub-problem is built again and checked."""
    if incumbent(roster, hood) != before:
        return None
    sub = restrict(problem, roster, hood)
    if violations(sub, found):
        return None
    old, new = cost(sub, before.assignments), cost(sub, found.assignments)
    return (old, new) if new <= old else None


def feasible_start(problem: Problem, deadline: float, workers: int = 2, seed: int = 0) -> Roster | None:
    """A hard-feasible roster fast: lines built person by person, the few that still break a rule re-solved."""
    return repair(problem, Solution(build_lines(problem, seed)), deadline, workers, seed)


def solve_lns(
    problem: Problem,
    time_limit_s: float,
    workers: int = 2,
    seed: int = 0,
    start: Solution | None = None,
    progress: ProgressFn | None = None,
    params: Mapping[str, Any] | None = None,
) -> Result:
    """Repair ``start`` (or lines built person by person) into a feasible roster; where people meet only in
    the cover, match its cover and give each person their best line against everyone else's
    (``roster.solver.respond``, within RESPOND_SHARE of the time), then replace it by the dive's roster of
    column generation when that costs less (``roster.solver.columns``, within DIVE_SHARE of the time; its LP
    bound becomes the result's bound); match its cover (``roster.solver.exchange``), then improve it until the
    time is up (``_search``: the neighbourhood search, broken by matching and rounds of best responses)."""
    started = time.perf_counter()
    # Leave time to check and score the roster at the end (about 1 s per million cells).
    cells = problem.days * len(problem.people) * len(problem.shift_types)
    deadline = started + time_limit_s - min(0.1 * time_limit_s, 1.5e-6 * cells)
    if start is None:  # lines, then their shift types swapped where that pays (a few seconds at most)
        lines = build_lines(problem, seed)
        start = Solution(retype(problem, lines, started + RETYPE_SHARE * time_limit_s))
    roster = repair(problem, start, deadline, workers, seed, params=params)
    if roster is None:
        return Result("unknown", None, None, {}, None, time.perf_counter() - started)
    if RESPOND_SHARE and columns.decomposes(problem):
        exchange(problem, roster, started + EXCHANGE_SHARE * time_limit_s, seed)
        respond(problem, roster, min(deadline, started + RESPOND_SHARE * time_limit_s), seed, workers)
    roster, bound = dive_first(problem, roster, min(deadline, started + DIVE_SHARE * time_limit_s), workers)
    # At least a break's worth of matching, even when the responses or the dive ran past its share: on
    # Instance24 the first break after long responses gained 4.5 thousand (5%) in 2 s.
    matched = max(started + EXCHANGE_SHARE * time_limit_s, time.perf_counter() + EXCHANGE_BREAK_S)
    exchange(problem, roster, min(deadline, matched), seed)
    found = cost(problem, roster)
    if progress:
        progress({"objective": found, "bound": bound, "seconds": time.perf_counter() - started})
    if bound is None or found > bound:  # else the dive's roster is proved optimal
        roster = _search(problem, roster, started, deadline, workers, seed, progress, params, bound)
    solution = Solution({p: d for p, d in roster.items() if d})
    breakdown = penalties(problem, solution)
    objective = sum(breakdown.values())
    status = "unknown" if violations(problem, solution) else "optimal" if bound == objective else "feasible"
    return Result(status, objective, bound, breakdown, solution, time.perf_counter() - started)


def dive_first(problem: Problem, roster: Roster, deadline: float, workers: int) -> tuple[Roster, int | None]:
    """The dive's roster (``roster.solver.columns``) where it costs less than the hard-feasible ``roster``, else
    ``roster``; and the dive's lower bound. ``roster`` and None where people meet in more than the cover."""
    if not columns.decomposes(problem):
        return roster, None
    dived = columns.dive(problem, roster, deadline, workers)
    return (dived.roster if cost(problem, dived.roster) < cost(problem, roster) else roster), dived.bound


def _search(
    problem: Problem,
    roster: Roster,
    started: float,
    deadline: float,
    workers: int,
    seed: int,
    progress: ProgressFn | None,
    params: Mapping[str, Any] | None,
    floor: int | None = None,
) -> Roster:
    """The neighbourhood search until ``deadline`` or down to ``floor``, in segments, each followed by a break:
    a cover-matching pass (at most EXCHANGE_BREAK_S) and, where people meet only in the cover, a round of best
    responses (at most RESPOND_BREAK_S) before it. How long each segment runs and which breaks respond is
    ``roster.solver.breaks.plan_break``'s decision over the gain per second each part has shown."""
    sub_params = {"max_deterministic_time": SUB_DETERMINISTIC_S, **(params or {})}
    lanes, sizes = LANES if workers > 1 else 1, Sizes(FIRST_CELLS)
    rates, can_respond = Rates(), bool(RESPOND_SHARE) and columns.decomposes(problem)
    best = cost(problem, roster)
    for number in itertools.count():
        plan = plan_break(rates, number, can_respond)
        began = time.perf_counter()
        stop = min(deadline, began + plan.segment_s)
        roster, found = improve(
            problem,
            roster,
            stop,
            workers,
            seed + number,
            progress,
            started,
            sub_params,
            SUB_TIME_S,
            sizes,
            lanes=lanes,
            floor=floor,
        )
        rates.record("search", best - found, time.perf_counter() - began)
        best = found
        if stop >= deadline or best == floor:
            return roster
        best = _break(problem, roster, rates, plan.respond, best, deadline, seed + number, workers, number)
        if progress:
            progress({"objective": best, "bound": floor, "seconds": time.perf_counter() - started})
    return roster  # not reached: the loop returns at the deadline


def _break(
    problem: Problem,
    roster: Roster,
    rates: Rates,
    responds: bool,
    best: int,
    deadline: float,
    seed: int,
    workers: int,
    number: int,
) -> int:
    """Break ``number`` of the search on ``roster`` (whose cost is ``best``): a round of best responses where
    ``responds`` (its gain per second recorded in ``rates``), then a cover-matching pass; the new cost."""
    if responds:
        began = time.perf_counter()
        respond(problem, roster, min(deadline, began + RESPOND_BREAK_S), seed, workers, rounds=1)
        found = cost(problem, roster)
        rates.record("respond", best - found, time.perf_counter() - began, number)
        best = found
    exchange(problem, roster, min(deadline, time.perf_counter() + EXCHANGE_BREAK_S), seed)
    return cost(problem, roster)


__all__ = ["Neighbourhood", "cost", "dive_first", "feasible_start", "improve", "repair", "restrict", "solve_lns"]
