"""A person's best line by dynamic programming over the days, for pricing (``roster.solver.pricing``).

A line is walked day by day through a state that holds what the rules need to know of the days before: the run
being worked (its length and the forbidden-successor group of its last shift) or the run off (its length, up to
the minimum), whether that run touches an unknown start (then it is not held to the minimum lengths), and, on a
grid beside the state, the minutes worked so far (in units of the shift lengths' common divisor) and the
weekends worked. One sweep over the days keeps each state's cheapest prefix and finds the cheapest line that
meets every rule it tracks, in milliseconds where CP-SAT takes 0.2-4 s on 12-52-week lines.

What the sweep does not track, it prices: a cap on one shift type's count (and the weekends, when tracking them
would not fit in memory) gets a non-negative multiplier per shift, a Lagrangian relaxation. The sweep's value
less the multipliers times the caps is then a lower bound of the person's best line (weak duality); a
subgradient step raises the multiplier of each cap the line breaks, and a line that keeps every cap is a line
to offer. It is proved best once its cost meets the best bound. The multipliers start from the person's last
pricing's, which the next prices rarely move far. Where the relaxation proves nothing (its duality gap: a fifth
of the lines of Instances 14, 17 and 19 at random prices, each then priced again by CP-SAT), the cap priced
highest is tracked on the grid instead, its count beside the weekends, and the sweeps begin again: exact where
that was the only cap that binds. The runs just before and after the horizon (a window's edges) start and end
the walk. Rules the sweep cannot walk (window limits, rest conflicts, weekends of more than two days) leave the
person to CP-SAT alone (``rules`` returns None).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from roster.solver.problem import Cell, Person, Problem, Request, ShiftType
from roster.solver.sweep import _sweep

Line = frozenset[Cell]
# Tracked grid cells (days x states x minutes x weekends x a tracked cap's count) at most: past it the weekends
# and the caps are priced instead. 16 M cells of choices are 32 MB; a year's lines for 50 people with their
# weekends would be 440 MB. 32 M tracked Instance21's weekends and proved its lines, but made each 50-100 ms
# (docs/benchmark.md).
GRID_CELLS = 16_000_000
MINUTE_CELLS = 10_000  # minute counts on the grid at most
# Subgradient steps at most per pricing: on Instance19 at the start's prices 28 of 40 lines are proved within 16
# steps and 26 within 8, in half the time (each step is a sweep, 15 ms there).
STEPS = 8
STALL = 3  # steps without a better bound before the step is halved
PROVED = 1e-6  # a line whose cost is this close to the bound is best (the costs are sums of weights and prices)
INF = math.inf


@dataclass(frozen=True)
class Rules:
    """One person's rules as the sweep's arrays (``rules`` builds them once; the prices change each round)."""

    shifts: tuple[str, ...]
    requests_on: np.ndarray  # [day, shift]: what working it costs in requests; inf where it may not be worked
    requests_off: np.ndarray  # [day]: what a day off costs in requests; inf where the day must be worked
    minutes: np.ndarray  # [shift]: its length in units
    group: np.ndarray  # [shift]: its forbidden-successor group
    allowed: np.ndarray  # [group, shift]: whether the shift may follow the group's
    caps: np.ndarray  # [shift]: the cap on its count where it can bind, else -1
    weekend: np.ndarray  # [day]: 0 not a weekend day, 1 a weekend's first, 2 its second
    max_weekends: int  # -1 when it does not bind
    track_weekends: bool
    cells: int  # the grid's cells (days x states x minutes, x weekends where tracked)
    run_max: int  # the longest run worked tracked: max_consecutive, or min_consecutive when there is no maximum
    capped: bool  # whether run_max is a maximum
    min_on: int
    off_max: int
    min_off: int
    m_lo: int
    m_hi: int
    start_known: bool  # the days before the horizon are off
    end_held: bool  # a run worked that touches the horizon's end is held to min_on
    history: np.ndarray  # worked_before, off_before, worked_after, off_after: the runs just outside the horizon


def rules(problem: Problem, person: Person, requests: Sequence[Request]) -> Rules | None:
    """The sweep's arrays for ``person``, or None when a rule is beyond it or the grid too large."""
    if person.limits or problem.conflicts:
        return None
    weekend = _weekend_days(problem)
    if weekend is None:
        return None
    shifts = tuple(s.id for s in problem.shift_types)
    on, off = _request_costs(problem, person, requests, shifts)
    group, allowed = _groups(problem)
    minutes, m_lo, m_hi = _minute_grid(problem, person)
    if minutes is None:
        return None
    usable = np.isfinite(on).sum(axis=0)
    caps = _binding_caps(person, shifts, usable, minutes, m_hi)
    weekends_in = int((weekend == 1).sum())
    max_weekends = person.max_weekends if person.max_weekends is not None and person.max_weekends < weekends_in else -1
    run_max = person.max_consecutive or max(1, person.min_consecutive)
    off_max = max(1, person.min_consecutive_off)
    states = 2 * int(group.max() + 1) * run_max + 2 * off_max
    if states * (len(shifts) + 1) >= 2**15:  # the choices are int16
        return None
    cells = problem.days * states * (m_hi + 1)
    track = max_weekends >= 0 and cells * (max_weekends + 1) <= GRID_CELLS
    if cells > GRID_CELLS:
        return None
    return Rules(
        shifts=shifts,
        requests_on=on,
        requests_off=off,
        minutes=minutes,
        group=group,
        allowed=allowed,
        caps=caps,
        weekend=weekend,
        max_weekends=max_weekends,
        track_weekends=track,
        cells=cells * (max_weekends + 1 if track else 1),
        run_max=run_max,
        capped=person.max_consecutive is not None,
        min_on=person.min_consecutive,
        off_max=off_max,
        min_off=person.min_consecutive_off,
        m_lo=m_lo,
        m_hi=m_hi,
        start_known=problem.outside_is_off,
        end_held=problem.outside_is_off,
        history=np.array([person.worked_before, person.off_before, person.worked_after, person.off_after], np.int64),
    )


def _binding_caps(
    person: Person, shifts: tuple[str, ...], usable: np.ndarray, minutes: np.ndarray, m_hi: int
) -> np.ndarray:
    """Each shift's cap on its count where it can bind, else -1: not where it is at least the days the shift
    may be worked, or the most shifts of its length the minutes' maximum leaves room for."""
    caps = np.full(len(shifts), -1)
    for i, s in enumerate(shifts):
        cap = person.max_shifts.get(s, -1)
        room = m_hi // minutes[i] if minutes[i] > 0 and m_hi > 0 else usable[i]
        if 0 < cap < min(usable[i], room):
            caps[i] = cap
    return caps


def _weekend_days(problem: Problem) -> np.ndarray | None:
    """Each day's place in its weekend (0 none, 1 first, 2 second), or None for weekends the sweep cannot walk:
    longer than two days, not consecutive, or sharing days."""
    weekend = np.zeros(problem.days, np.int8)
    for days in problem.weekends:
        ordered = sorted(d for d in days if 0 <= d < problem.days)
        if len(ordered) > 2 or (len(ordered) == 2 and ordered[1] != ordered[0] + 1):
            return None
        for place, day in enumerate(ordered, 1):
            if weekend[day]:
                return None
            weekend[day] = place
    return weekend


def _request_costs(
    problem: Problem, person: Person, requests: Sequence[Request], shifts: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """What each (day, shift) and each day off costs in requests (``pricing.line_cost``'s rule), with inf where
    the person may not work the cell (days off, shifts capped at 0, unavailable, days fixed otherwise)."""
    on = np.zeros((problem.days, len(shifts)))
    off = np.zeros(problem.days)
    for r in requests:
        for i, s in enumerate(shifts):
            if (r.shift is None or r.shift == s) != r.on:
                on[r.day, i] += r.weight
        if r.on:
            off[r.day] += r.weight
    may_work = np.ones(on.shape, np.bool_)
    may_rest = np.ones(problem.days, np.bool_)
    for i, s in enumerate(shifts):
        may_work[:, i] = person.max_shifts.get(s, 1) != 0
    for day, shift in person.unavailable:
        if 0 <= day < problem.days and shift in shifts:
            may_work[day, shifts.index(shift)] = False
    may_work[[d for d in person.days_off if 0 <= d < problem.days], :] = False
    for day, shift in person.fixed.items():  # a day fixed overrides the rest
        may_work[day, :] = False
        if shift is not None:
            may_work[day, shifts.index(shift)] = True
            may_rest[day] = False
    return np.where(may_work, on, INF), np.where(may_rest, off, INF)


def _groups(problem: Problem) -> tuple[np.ndarray, np.ndarray]:
    """Each shift's group (shifts with the same forbidden successors) and which shifts may follow each group."""
    forbidden = [s.forbidden_next for s in problem.shift_types]
    distinct = list(dict.fromkeys(forbidden))
    group = np.array([distinct.index(f) for f in forbidden], np.int64)
    allowed = np.array([[s.id not in f for s in problem.shift_types] for f in distinct], np.bool_)
    return group, allowed


def _minute_grid(problem: Problem, person: Person) -> tuple[np.ndarray | None, int, int]:
    """The shifts' lengths in units of their common divisor and the bounds on the total in those units (all 0
    when no bound applies; the most a line can work when there is no maximum). None past MINUTE_CELLS."""
    lengths = [s.minutes for s in problem.shift_types]
    if not person.min_minutes and person.max_minutes is None:
        return np.zeros(len(lengths), np.int64), 0, 0
    unit = math.gcd(*lengths) or 1
    m_lo = -(-person.min_minutes // unit)
    most = problem.days * max(lengths) // unit
    m_hi = most if person.max_minutes is None else min(most, person.max_minutes // unit)
    if m_hi > MINUTE_CELLS:
        return None, 0, 0
    return np.array([n // unit for n in lengths], np.int64), m_lo, m_hi


@dataclass(frozen=True)
class Priced:
    """The lines a pricing found (each meets every rule) and a lower bound of the best line's cost under the
    prices (-inf when unknown); ``proved`` when the cheapest line found meets it."""

    lines: list[Line]
    lower: float
    proved: bool
    multipliers: tuple[np.ndarray, float] | None = None  # the caps' and the weekends' at the best bound


def best_lines(
    rules: Rules,
    prices: Mapping[Cell, float],
    deadline: float = INF,
    start: tuple[np.ndarray, float] | None = None,
) -> Priced:
    """The person's cheapest lines under ``prices`` (its requests less the prices of the cells worked), the best
    last; no more subgradient steps once ``deadline`` (perf_counter seconds) has passed. The caps are priced
    first, from the multipliers ``start`` (the last pricing's, which the next prices rarely move far); where
    that proves nothing, the cap with the highest multiplier is tracked on the grid instead (``_to_track``), which
    closes the relaxation's duality gap where it was the only cap that binds."""
    price = np.zeros_like(rules.requests_on)
    column = {s: i for i, s in enumerate(rules.shifts)}
    for (day, shift), p in prices.items():
        price[day, column[shift]] = p
    base = rules.requests_on - price
    if start is None:
        start = (np.zeros(len(rules.shifts)), 0.0)
    relaxed = _subgradient(rules, base, rules.caps, -1, deadline, start)
    tracked = _to_track(rules, relaxed.multipliers)
    if relaxed.proved or tracked < 0 or time.perf_counter() > deadline:
        return relaxed
    caps = np.where(np.arange(len(rules.caps)) == tracked, -1, rules.caps)
    multipliers, weekend_price = relaxed.multipliers or start
    exact = _subgradient(rules, base, caps, tracked, deadline, (np.where(caps >= 0, multipliers, 0.0), weekend_price))
    lines = [line for line in relaxed.lines if line not in exact.lines] + exact.lines
    return Priced(lines, max(relaxed.lower, exact.lower), exact.proved, relaxed.multipliers)


def _to_track(rules: Rules, multipliers: tuple[np.ndarray, float] | None) -> int:
    """The binding cap to track on the grid: of those whose count still fits in GRID_CELLS, the one the
    relaxation priced highest (the tightest before any price); -1 when none fits."""
    fits = np.flatnonzero((rules.caps >= 0) & (rules.cells * (rules.caps + 1) <= GRID_CELLS))
    if not len(fits):
        return -1
    if multipliers is not None and multipliers[0][fits].max() > 0:
        return int(fits[np.argmax(multipliers[0][fits])])
    return int(fits[np.argmin(rules.caps[fits])])


def _subgradient(
    rules: Rules,
    base: np.ndarray,
    caps: np.ndarray,
    tracked: int,
    deadline: float,
    start: tuple[np.ndarray, float],
) -> Priced:
    """Sweeps with the ``caps`` (and the weekends, where not tracked) priced by multipliers from ``start``,
    raised by subgradient steps, and the cap of shift ``tracked`` (if any) on the grid."""
    binding = caps >= 0
    relax_weekends = rules.max_weekends >= 0 and not rules.track_weekends
    multipliers, weekend_price = start
    k_hi = int(rules.caps[tracked]) if tracked >= 0 else 0
    theta, stalled = 1.0, 0
    lower, upper, lines, best = -INF, INF, [], None
    for n in range(STEPS if binding.any() or relax_weekends else 1):
        if n and time.perf_counter() > deadline:
            break
        value, worked = _sweep_rules(rules, base + multipliers, weekend_price, tracked, k_hi)
        if not math.isfinite(value):
            return Priced([], INF, True)  # no line meets the rules
        counts = np.bincount(worked[worked >= 0], minlength=len(rules.shifts))
        weekends = _weekends_worked(rules.weekend, worked)
        priced_caps = float(multipliers @ np.where(binding, caps, 0)) + weekend_price * max(rules.max_weekends, 0)
        bound = value - priced_caps
        stalled = 0 if bound > lower + PROVED else stalled + 1
        if bound > lower:
            lower, best = bound, (multipliers, weekend_price)
        over = np.where(binding, counts - caps, 0)
        weekends_over = weekends - rules.max_weekends if relax_weekends else 0
        if over.max(initial=0) <= 0 and weekends_over <= 0:
            cost = value - float(multipliers @ counts) - weekend_price * weekends
            if cost < upper - PROVED:
                lines.append(_line(rules.shifts, worked))
                upper = cost
        if math.isfinite(upper) and upper - lower <= PROVED * max(1.0, abs(upper)):
            return Priced(lines, lower, True, best)
        # A Polyak step towards the best line's cost (or a little past the bound before one is known), halved
        # after STALL steps that did not raise the bound (Held and Karp).
        if stalled >= STALL:
            theta, stalled = theta / 2, 0
        over = np.where((multipliers <= 0) & (over < 0), 0, over)  # a multiplier at 0 stays there
        weekends_over = 0 if weekend_price <= 0 and weekends_over < 0 else weekends_over
        norm = float(over @ over) + weekends_over**2
        if norm == 0:
            break
        target = upper if math.isfinite(upper) else bound + 0.05 * abs(bound) + 1.0
        step = theta * (target - bound) / norm
        multipliers = np.maximum(0.0, multipliers + step * over)
        weekend_price = max(0.0, weekend_price + step * weekends_over)
    return Priced(lines, lower, False, best)


def _line(shifts: tuple[str, ...], worked: np.ndarray) -> Line:
    return frozenset((day, shifts[t]) for day, t in enumerate(worked.tolist()) if t >= 0)


def _weekends_worked(weekend: np.ndarray, worked: np.ndarray) -> int:
    on = worked >= 0
    first = (weekend == 1) & on
    second_alone = (weekend == 2) & on & ~np.concatenate(([False], on[:-1]))
    return int(first.sum() + second_alone.sum())


def _sweep_rules(
    rules: Rules, on: np.ndarray, weekend_price: float, tracked: int = -1, k_hi: int = 0
) -> tuple[float, np.ndarray]:
    return _sweep(
        on, rules.requests_off, rules.weekend, weekend_price, rules.minutes, rules.group, rules.allowed,
        rules.run_max, rules.capped, rules.min_on, rules.off_max, rules.min_off, rules.m_lo, rules.m_hi,
        rules.max_weekends if rules.track_weekends else -1, tracked, k_hi, rules.start_known,
        rules.end_held, rules.history,
    )  # fmt: skip


def warm() -> None:
    """Compile the sweep (or load it from numba's cache) now, so that timing a first pricing measures the
    pricing: the first compile takes seconds."""
    problem = Problem(1, (ShiftType("D", 480),), ("r",), (Person("p", ("r",), min_minutes=1),), ())
    found = rules(problem, problem.people[0], ())
    assert found is not None
    best_lines(found, {(0, "D"): 1.0})
