"""Column generation and a dive: whole lines chosen by a linear program, for rosters whose people meet only in
the cover.

When every hard rule belongs to one person and the only soft term shared between people is the preferred
cover (the public nurse-rostering benchmark; a bureau problem without fairness terms or pairs), a roster is
one *line* (a person's shifts over the horizon) per person, and its cost is the lines' own costs (requests)
plus the cover's under/over penalties. The *master* linear program chooses a convex mix of known lines per
person; its dual prices say what one more seat on each cell is worth. *Pricing* finds each person's best line
under those prices, its requests minus the prices of the cells worked (``roster.solver.pricing``: a compiled
day-by-day sweep, and a one-person CP-SAT model of the same generic rules where the sweep proves nothing).
Lines whose reduced cost is negative join the master; when none does, the LP value is a lower bound of every
roster's cost, and before that each round whose pricing bounds every line gives one too (the Lagrangian bound), so
the root stops once that bound meets the LP value in whole units. The root prices at prices smoothed towards
those of its best bound, and stops after ``ROOT_SHARE`` of the time in any case, so that the dive can price.

The LP's mix is usually fractional, so a *dive* turns it into a roster: once the LP is settled, the people
whose line it chooses wholly, or else the ``FIX_SHARE`` of the free people whose line it chooses most (more
when time is short), keep that line; the master is priced again for the others (at most ``DIVE_ROUNDS``
rounds, ``SETTLED_DIVE_ROUNDS`` after a settled root, fewer once a step's own Lagrangian bound meets its LP), and
so on until everyone has a line. Every line meets
its person's rules, so every roster the dive ends with is hard-feasible; the start's lines are columns from the
first round, so the dive never ends without one, and when time runs out it finishes on the columns it has.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from roster.solver import linedp
from roster.solver.master import Column, Master
from roster.solver.pricing import PRICE_SCALE, Line, Pricer, line_cost, requests_by_person
from roster.solver.problem import Assignment, Cell, Problem, Request
from roster.solver.seats import soft_cover_only

Roster = dict[str, dict[int, Assignment]]
# Pricing is exact up to its prices' rounding (``PRICE_SCALE``), so the bound less the most that can hide
# (``_rounding``) is a lower bound; the bound reported is that, rounded up to the integer costs.
# Pricing rounds the root needs at least to lead the dive (it takes 13-33 to be priced out on Instances 9-17):
# the dive is not begun when pricing the first people says that building everyone's pricer and that many rounds
# would not fit in the time (``_pricers_in_time``), and given up (the start kept) when the root's second round
# says the rest would not. Once past that, the root runs to its cap (ROOT_SHARE): a later give-up wasted what it
# had spent (Instance13 at 60 s: 20 s, 5389 against 4714). 10 rather than 20 since the cap: at 60 s on a slow
# machine Instances 15, 17 and 18 dive instead of giving up, 4707, 6011 and 5142 against 5701, 6918 and 5640
# (docs/benchmark.md).
ROOT_ROUNDS = 10
SAMPLE = 4  # people priced to time a round: see _pricers_in_time
FIX_AT = 0.999  # a line the LP chooses wholly is kept in the dive: see _to_keep
# Else the most chosen lines of at least this share of the free people (at least one), more when the time left
# asks for it (_fix_share): the finer the dive, the nearer its roster stays to the LP. At 0.1 Instance13's dive
# ended at 166 s of its 255 s, 1552 against the LP's 1348; at 0.03 it spends them, 1457-1465 (1354-1355 after the
# search).
# One at a time was too slow for Instance12's 60 people in 60 s (docs/benchmark.md).
FIX_SHARE = 0.03
LATE_FIX_SHARE = 0.25  # once the time is up: no more pricing, and the rest fixed in a few LP solves
# Pricing rounds at most after each fixing step of the dive. More after a settled root (priced out, or its bound
# met), whose steps re-settle in a few rounds (Instance12's dive at 50 s: 4044 against 4582 with 5); fewer after a
# root cut short, whose steps would eat the time that the later steps need (Instance19: 15423 against 6361).
DIVE_ROUNDS = 5
SETTLED_DIVE_ROUNDS = 15
ROOT_SHARE = 0.6  # of the dive's time, at most, for the root: see _root_end
EARLY_STOP_SHARE = 0.25  # of the dive's time: see _late
EPSILON = 1e-6
SMOOTHING = 0.5  # of the best-bound prices in the pricing (Wentges): see _generate


def decomposes(problem: Problem) -> bool:
    """True when people meet only in the preferred cover (one role, no hard cover bounds: ``seats.
    soft_cover_only``; one cover per cell, the master's row), with no fairness terms, pairs or minimal-change
    terms."""
    return (
        soft_cover_only(problem)
        and len({(c.day, c.shift) for c in problem.cover}) == len(problem.cover)
        and not problem.fairness
        and not problem.not_together
        and (problem.previous is None or not problem.change_weight)
    )


class _OutOfTime(Exception):
    """The root's second round says that ROOT_ROUNDS would not fit before the deadline."""


@dataclass(frozen=True)
class DiveResult:
    roster: Roster  # the dive's roster, or the start when the dive was not begun
    bound: int | None  # the root's best lower bound of every roster's cost; None when no round was proved
    columns: int
    seconds: float
    begun: bool = True


def dive(
    problem: Problem, start: Mapping[str, Mapping[int, Assignment]], deadline: float, workers: int = 2
) -> DiveResult:
    """A roster by column generation and a dive from the hard-feasible ``start`` (whose lines are the first
    columns), until ``deadline`` (perf_counter seconds) at most. Not begun, or given up (the start returned),
    when the pricing would not fit in the time (``_pricers_in_time``, and ``_generate`` at the root)."""
    began = time.perf_counter()
    requests = requests_by_person(problem)
    master = Master(problem)
    for person in problem.people:
        line = frozenset((d, a.shift) for d, a in start.get(person.id, {}).items())
        master.add(person.id, line, line_cost(requests[person.id], line))
    pricers = _pricers_in_time(problem, master, requests, deadline, workers)
    if pricers is None:
        return _not_begun(start, master, began)
    kept = master.kept  # (read only here: Master.keep fixes a line)
    with ThreadPoolExecutor(max(1, workers)) as pool:
        pricing = _Pricing(pricers, pool, deadline, began)
        slack = _rounding(problem)
        try:
            lower = _generate(master, pricing, kept, rounds=None, slack=slack)
        except _OutOfTime:
            return _not_begun(start, master, began)
        step_rounds = SETTLED_DIVE_ROUNDS if pricing.settled else DIVE_ROUNDS
        # Until a step is timed: its rounds at the root's pace, LP solves included.
        pricing.step_s = step_rounds * (time.perf_counter() - began) / max(1, pricing.rounds)
        while len(kept) < len(problem.people):
            step_began = time.perf_counter()
            for column in _to_keep(master, kept, _fix_share(pricing), pricing.settled):
                master.keep(column)
            _generate(master, pricing, kept, rounds=step_rounds, slack=slack)
            pricing.step_s = (pricing.step_s + time.perf_counter() - step_began) / 2
    roles = {p.id: p.roles[0] for p in problem.people}
    roster = {pid: {d: Assignment(s, roles[pid]) for d, s in c.line} for pid, c in kept.items()}
    bound = None if lower is None else _whole(lower - slack)
    if bound is not None and _no_negative_weight(problem):  # no roster costs less than nothing
        bound = max(bound, 0)
    return DiveResult(roster, bound, len(master.columns), time.perf_counter() - began)


def _no_negative_weight(problem: Problem) -> bool:
    """Whether every cost term (requests, the cover) weighs at least nothing, so every roster costs at least 0:
    the Lagrangian bound of an early root can lie far below that (-3751 on Instance13)."""
    weights = [r.weight for r in problem.requests]
    weights += [w for c in problem.cover for w in (c.under_weight, c.over_weight)]
    return min(weights, default=0) >= 0


def _not_begun(start: Mapping[str, Mapping[int, Assignment]], master: Master, began: float) -> DiveResult:
    return DiveResult(
        {p: dict(d) for p, d in start.items()}, None, len(master.columns), time.perf_counter() - began, False
    )


def _pricers_in_time(
    problem: Problem, master: Master, requests: Mapping[str, tuple[Request, ...]], deadline: float, workers: int
) -> dict[str, Pricer] | None:
    """Everyone's pricer, or None when building and pricing the first SAMPLE people's says that the pricers and
    ROOT_ROUNDS rounds of pricing would not fit before ``deadline`` (a year's lines, or 120 people). A few, since
    the sweep proves most lines in one pass and a few only after a dozen (Instance19: 12 ms against 0.3 s).
    Each sample is priced within its share of the time left at most: past it the answer is already no (on
    Instance24 a year's line went to CP-SAT for its 5 s, a twelfth of a 60 s budget, to learn that)."""
    linedp.warm()
    _, prices, convexity = master.solve()
    sample = problem.people[:SAMPLE]
    share = max(1, workers) / (ROOT_ROUNDS * len(problem.people))
    built_s = priced_s = 0.0
    pricers = {}
    for n, person in enumerate(sample, 1):
        began = time.perf_counter()
        pricer = pricers[person.id] = Pricer(problem, person, requests[person.id])
        built = time.perf_counter()
        enough = min(deadline, built + share * (deadline - built))
        pricer.best(prices, enough, _improves(pricer, prices, convexity[person.id]))
        built_s, priced_s = built_s + built - began, priced_s + time.perf_counter() - built
        needed = (built_s + priced_s / max(1, workers) * ROOT_ROUNDS) * len(problem.people) / n
        if needed > deadline - time.perf_counter():  # no need to price the rest of the sample to know
            return None
    return pricers | {p.id: Pricer(problem, p, requests[p.id]) for p in problem.people[len(sample) :]}


def _rounding(problem: Problem) -> float:
    """The most the prices' rounding can hide from pricing: half a unit on each cell of the line found best under
    the rounded prices and half a unit on each cell of the truly best one, for each person."""
    return len(problem.people) * problem.days * 1.0 / PRICE_SCALE


@dataclass
class _Pricing:
    pricers: Mapping[str, Pricer]
    pool: ThreadPoolExecutor
    deadline: float
    began: float  # when the dive began
    round_s: float = 0.0  # how long the last round of pricing took
    rounds: int = 0  # rounds priced so far
    step_s: float = 0.0  # how long a dive step takes, its pricing and LP solves: a moving average
    centre: Mapping[Cell, float] | None = None  # the prices of the best bound so far, for the next dive step
    settled: bool = False  # whether the last ``_generate`` ended priced out, or at the root on its bound


def _late(pricing: _Pricing) -> bool:
    """Whether the root has used more than EARLY_STOP_SHARE of the dive's time: only then does it stop once its
    bound is settled. Before that the rounds left are cheap, and a fully priced-out LP leads the dive better
    (Instance3 proved by the dive alone in 24 of 25 runs priced out, 22 of 25 stopped early)."""
    return time.perf_counter() - pricing.began > EARLY_STOP_SHARE * (pricing.deadline - pricing.began)


def _root_end(pricing: _Pricing) -> float:
    """When the root stops pricing, priced out or not: after ROOT_SHARE of the dive's time, so that a root
    that would take it all (Instance19 at 300 s: 255 s, its LP 11% above its bound) leaves the dive time to
    price. A dive without pricing fixes lines the LP chose beside others, not each other: 11468 against a
    bound of 2903 there."""
    return pricing.began + ROOT_SHARE * (pricing.deadline - pricing.began)


def _fix_share(pricing: _Pricing) -> float:
    """The share of the free people the dive's next step fixes: the one that spends the time left, at least
    FIX_SHARE. A step's pricing and LP solves shrink with the people left free, so fixing a share s a step takes
    about step_s / s in all. Timed whole: on Instance20 the LP solves are 85% of a step (11 s, against 1.5 s of
    pricing), and a pace set by the pricing alone ran out of time and fixed the rest unpriced (18136 against
    the bound's 4683)."""
    left = pricing.deadline - time.perf_counter()
    if left <= 0:
        return LATE_FIX_SHARE
    return max(FIX_SHARE, pricing.step_s / left)


def _generate(
    master: Master, pricing: _Pricing, kept: Mapping[str, Column], rounds: int | None, slack: float = 0.0
) -> float | None:
    """Price and add lines until none improves the LP, ``rounds`` are done or the deadline passes.

    Every fully proved round also gives a lower bound, the Lagrangian bound (``_price_round``): at the root
    (``rounds`` None: the dive's first call, nobody kept yet) of every roster's cost, in a dive step of every roster
    that keeps the lines kept so far (``_kept_part``). Rounds price at a mix of the prices of the best bound so far
    and the LP's (Wentges' smoothing, SMOOTHING): the LP's own prices swing from round to round, the mix reaches the
    bound in fewer rounds; a dive step begins at the mix with the best prices of the step before. A round at the
    mix that adds nothing is priced again at the LP's prices, which alone can show the LP priced out. A call stops
    as soon as the best bound, less ``slack`` (what the prices' rounding can hide) and rounded up to the integer
    costs, meets the LP value rounded the same way (the root only once it is ``_late``): more rounds could lower the
    LP value but not raise that integer bound. Returns the best such bound seen (the LP value when priced out), or
    None."""
    root = rounds is None
    done, lower, centre, exact = 0, None, None if root else pricing.centre, False
    pricing.settled = False
    while root or done < rounds:
        value, prices, convexity = master.solve()
        began = time.perf_counter()
        if began >= (_root_end(pricing) if root else pricing.deadline):
            return lower
        done += 1
        pricing.rounds += 1
        at = prices if centre is None or exact else _mix(centre, prices, SMOOTHING)
        added, bounded, cheapest = _price_round(master, pricing, kept, at, (prices, convexity))
        pricing.round_s = time.perf_counter() - began
        if bounded:
            bound = master.fixed_part(at) + cheapest + _kept_part(pricing, kept, at)
            if lower is None or bound > lower:
                lower = bound
                centre = pricing.centre = at
            if not added and at is prices:
                pricing.settled = True
                return max(lower, value)
            if _whole(lower - slack) >= _whole(value - slack) and (not root or _late(pricing)):
                master.solve()  # the lines just added change the LP the dive reads next
                pricing.settled = True
                return lower
        if not added and at is prices:  # the LP solved above is unchanged: the dive reads its values next
            pricing.settled = True
            return lower
        exact = not added  # a mis-price at the mix: the LP's own prices next
        # The root's first round prices the start's lines, an easy round; the second's time says whether
        # ROOT_ROUNDS would fit before the deadline.
        if root and done == 2 and pricing.round_s * (ROOT_ROUNDS - done) > pricing.deadline - began:
            raise _OutOfTime
    master.solve()
    return lower


def _kept_part(pricing: _Pricing, kept: Mapping[str, Column], at: Mapping[Cell, float]) -> float:
    """The Lagrangian bound's part of the people the dive has kept: each one's only line, under ``at``."""
    return sum(pricing.pricers[pid].value(column.line, at) for pid, column in kept.items())


def _mix(centre: Mapping[Cell, float], prices: Mapping[Cell, float], share: float) -> dict[Cell, float]:
    """``share`` of ``centre`` and the rest of ``prices``, cell by cell; both lie between each row's bounds
    (-over_weight, under_weight), and so does the mix."""
    return {cell: share * centre[cell] + (1 - share) * price for cell, price in prices.items()}


def _price_round(
    master: Master,
    pricing: _Pricing,
    kept: Mapping[str, Column],
    at: Mapping[Cell, float],
    lp: tuple[Mapping[Cell, float], Mapping[str, float]],
) -> tuple[int, bool, float]:
    """Each free person's best lines under the prices ``at`` into the master where they improve it at the
    LP's prices and convexity prices ``lp``: how many were added, whether every pricing bounded its best line,
    and the sum of those lower bounds of each person's cheapest line's cost less the prices ``at`` of its cells
    (with ``Master.fixed_part(at)``, a Lagrangian bound at ``at``)."""
    prices, convexity = lp
    pricers = pricing.pricers
    improves = {pid: _improves(pricer, prices, convexity[pid]) for pid, pricer in pricers.items() if pid not in kept}
    jobs = {pid: pricing.pool.submit(pricers[pid].best, at, pricing.deadline, test) for pid, test in improves.items()}
    added, bounded, cheapest = 0, True, 0.0
    for pid, job in jobs.items():
        priced = job.result()
        bounded &= math.isfinite(priced.lower)
        cheapest += priced.lower
        for line in priced.lines:
            if improves[pid](line) and master.add(pid, line, pricers[pid].cost(line)):
                added += 1
    return added, bounded, cheapest


def _improves(pricer: Pricer, prices: Mapping[Cell, float], convexity: float) -> Callable[[Line], bool]:
    """Whether a line of ``pricer``'s person would improve the master: its reduced cost is negative."""
    return lambda line: pricer.value(line, prices) - convexity < -EPSILON


def _whole(value: float) -> int:
    """The least integer cost at or above ``value``."""
    return math.ceil(value - EPSILON)


def _to_keep(master: Master, kept: Mapping[str, Column], share: float, settled: bool) -> list[Column]:
    """The lines the LP chooses at least FIX_AT when it is ``settled`` (priced out, or its bound met), or else
    the most chosen lines of the ``share`` of the free people whose LP line is most chosen (at least one). An
    LP still pricing chooses a line wholly when nobody's better lines are known yet: a root stopped after no
    round at all chose every start line wholly, and fixing them all left the start as it was."""
    best: dict[str, tuple[float, Column]] = {}
    for column in master.columns:
        if column.person in kept or column.var is None:
            continue
        value = column.var.solution_value()
        if value > best.get(column.person, (-1.0, column))[0]:
            best[column.person] = (value, column)
    ranked = sorted(best.values(), key=lambda vc: -vc[0])
    sure = [c for v, c in ranked if v >= FIX_AT] if settled else []
    return sure or [c for _, c in ranked[: max(1, math.ceil(share * len(ranked)))]]


__all__ = ["DiveResult", "Master", "decomposes", "dive"]
