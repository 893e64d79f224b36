"""Which part of a roster the neighbourhood search (roster.solver.lns) frees next.

A *neighbourhood* is a group of people over a window of days. Two kinds are drawn:

- **random**: a random group of people over a random window of whole weeks, or everyone over a few days;
- **aimed at a short cell**: a cell whose preferred cover is not met, and people who could work it (not
  already on it, allowed to work that shift type that day) over a window around it, or everyone over the
  few days around it. An uncovered seat can only be filled by someone who could work it, and random groups
  rarely contain them: on the 4-week benchmark instances nearly all of the remaining cost is uncovered seats;
- **one person's line** (``LINE_SHARE``, horizons longer than ``MAX_WEEKS`` only): someone who could take a
  short cell, alone over a long window around it (the whole horizon, up to ``LINE_CELLS`` cells). On the long
  instances the seats left short are weekend seats while many people work a single day of their weekends,
  their days off falling on Sunday and Monday every week: re-solving the whole line can move that rhythm,
  which windows of a few weeks cannot.

Sizes are counted in freed (person, day, shift type) cells and adapt (``Sizes``): they grow while CP-SAT
proves the sub-problems optimal within their time, and shrink when it does not.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass

from roster.solver.evaluate import seat_counts
from roster.solver.problem import Assignment, Cell, Person, Problem, Solution

AIMED_SHARE = 0.6  # of the neighbourhoods, when some cell is short of its preferred cover
WHOLE_DAYS_SHARE = 0.3  # of the neighbourhoods: everyone over a few days (re-deals the cover there)
MAX_WEEKS = 8  # longest window of a few people
ROOMY_SHARE = 0.5  # of a group aimed at a short cell: people with the minutes left to work it
# One person's line over a long window (the whole horizon up to LINE_CELLS freed cells): it can move the
# rhythm of a line (which days of the week its days off fall on) so that it works whole weekends. Instance20,
# 120 CPU s, seeds 0-1: 11,274/9,964 -> 9,803/9,171; whole year on Instance22 worse (the lines too long
# for the sub-solve's work bound), 13 weeks better; on 4-week Instance9 worse (docs/benchmark.md). Only for
# horizons longer than MAX_WEEKS: on shorter ones a group of people over the whole horizon is drawn anyway.
LINE_SHARE = 0.3
LINE_CELLS = 1200.0


@dataclass(frozen=True)
class Neighbourhood:
    people: tuple[str, ...]
    first: int  # first freed day
    last: int  # first day after the window


@dataclass
class Sizes:
    """Adaptive neighbourhood size in freed cells: grows after quick optimal sub-solves, shrinks after slow
    ones."""

    cells: float
    lowest: float = 200.0
    highest: float = 60_000.0

    def update(self, proved: bool) -> None:
        factor = 1.15 if proved else 0.85
        self.cells = min(self.highest, max(self.lowest, self.cells * factor))


def short_cells(problem: Problem, roster: Mapping[str, Mapping[int, Assignment]]) -> list[Cell]:
    """Cells with fewer people than their preferred cover, where that costs something."""
    return ShortCells(problem, roster).cells()


class ShortCells:
    """A roster's ``short_cells``, its seats counted once and then moved with each neighbourhood written back:
    counting the whole roster again before each draw took 19 ms on Instance22 (a year, 50 people), 12% of the
    search's main thread, and nearly every draw follows a move (equal moves are kept)."""

    def __init__(self, problem: Problem, roster: Mapping[str, Mapping[int, Assignment]]) -> None:
        self._wanted = [c for c in problem.cover if c.under_weight and c.preferred]
        self._seats = seat_counts(Solution(roster))
        self._cells: list[Cell] | None = None

    def cells(self) -> list[Cell]:
        if self._cells is None:
            self._cells = [
                (c.day, c.shift) for c in self._wanted if self._seats[(c.day, c.shift, c.role)] < c.preferred
            ]
        return self._cells

    def moved(self, hood: Neighbourhood, before: Solution, after: Solution) -> None:
        """``hood``'s cells went from ``before`` to ``after`` (days counted from the window's first)."""
        for solution, step in ((before, -1), (after, 1)):
            for days in solution.assignments.values():
                for day, a in days.items():
                    self._seats[(hood.first + day, a.shift, a.role)] += step
                    self._seats[(hood.first + day, a.shift, None)] += step
        self._cells = None


def pick(
    problem: Problem,
    roster: Mapping[str, Mapping[int, Assignment]],
    rng: random.Random,
    cells: float,
    short: list[Cell] | None = None,
) -> Neighbourhood:
    """The next neighbourhood of about ``cells`` freed cells (see the module docstring). ``short``: the
    roster's ``short_cells`` when the caller has them (several draws on the same roster)."""
    if problem.days > 7 * MAX_WEEKS and rng.random() < LINE_SHARE:
        return line_hood(problem, roster, rng, short)
    if rng.random() >= AIMED_SHARE:
        short = []
    elif short is None:
        short = short_cells(problem, roster)
    if short:
        return aimed(problem, roster, rng, cells, rng.choice(short))
    return random_hood(problem, rng, cells)


def line_hood(
    problem: Problem,
    roster: Mapping[str, Mapping[int, Assignment]],
    rng: random.Random,
    short: list[Cell] | None = None,
) -> Neighbourhood:
    """One person's line over a long window (``_line_window``) around a cell short of cover, someone who could
    take that cell; anyone around any day when no cell is short."""
    short = short_cells(problem, roster) if short is None else short
    if short:
        day, shift = rng.choice(short)
        able = [p.id for p in problem.people if _could_work(p, day, shift) and _shift_on(roster, p.id, day) != shift]
        if able:
            return _line_window(problem, rng.choice(able), day, rng)
    return _line_window(problem, rng.choice(problem.people).id, rng.randrange(problem.days), rng)


def _line_window(problem: Problem, pid: str, day: int, rng: random.Random) -> Neighbourhood:
    """``pid`` alone over whole weeks around ``day``: the whole horizon, or LINE_CELLS freed cells."""
    width = min(problem.days, max(7, int(LINE_CELLS / max(1, len(problem.shift_types))) // 7 * 7))
    first = max(0, min(problem.days - width, day - rng.randrange(width)))
    return _widened(problem, (pid,), first, first + width)


def _could_work(person: Person, day: int, shift: str) -> bool:
    return (
        person.max_shifts.get(shift, 1) != 0
        and day not in person.days_off
        and (day, shift) not in person.unavailable
        and day not in person.fixed
    )


def _shift_on(roster: Mapping[str, Mapping[int, Assignment]], pid: str, day: int) -> str | None:
    a = roster.get(pid, {}).get(day)
    return None if a is None else a.shift


def aimed(
    problem: Problem,
    roster: Mapping[str, Mapping[int, Assignment]],
    rng: random.Random,
    cells: float,
    cell: Cell,
) -> Neighbourhood:
    """People who could take the short ``cell`` over a window around it, or everyone over days around it."""
    day, shift = cell
    per_day = max(1, len(problem.shift_types))
    if rng.random() < WHOLE_DAYS_SHARE:
        width = max(2, int(cells / (len(problem.people) * per_day)))  # _widened keeps it inside the horizon
        first = max(0, min(problem.days - width, day - rng.randrange(width)))
        return _widened(problem, tuple(p.id for p in problem.people), first, first + width)
    width = min(problem.days, 7 * rng.randint(1, MAX_WEEKS))
    first = max(0, min(problem.days - width, day - rng.randrange(width)))
    candidates = [p for p in problem.people if _could_work(p, day, shift) and _shift_on(roster, p.id, day) != shift]
    if not candidates:  # nobody could take it (leave, caps): nothing to aim at
        return random_hood(problem, rng, cells)
    count = max(2, min(len(candidates), int(cells / (width * per_day))))
    # Filling the seat takes one more shift from someone (there is rarely a spare one elsewhere): people with
    # the minutes left to work it go first, at least half of the group when there are enough of them.
    minutes = {s.id: s.minutes for s in problem.shift_types}
    roomy = [p.id for p in candidates if _minutes_left(p, roster.get(p.id, {}), minutes) >= minutes[shift]]
    first_pick = rng.sample(roomy, min(len(roomy), max(1, int(count * ROOMY_SHARE)))) if ROOMY_SHARE else []
    rest = [p.id for p in candidates if p.id not in first_pick]
    chosen = first_pick + rng.sample(rest, min(len(rest), count - len(first_pick)))
    return _widened(problem, tuple(sorted(chosen)), first, first + width)


def _minutes_left(person: Person, days: Mapping[int, Assignment], minutes: Mapping[str, int]) -> float:
    if person.max_minutes is None:
        return float("inf")
    return person.max_minutes - sum(minutes[a.shift] for a in days.values())


def random_hood(problem: Problem, rng: random.Random, cells: float) -> Neighbourhood:
    """A random group of people over a random window of about ``cells`` (person, day, shift) cells in all.
    Windows start on a multiple of 7 days and last whole weeks where they can (day 0 is a Monday in the
    weekend convention), so no weekend is cut by a window's edge."""
    ids = [p.id for p in problem.people]
    per_day = max(1, len(problem.shift_types))
    weeks = max(1, problem.days // 7)
    if rng.random() < WHOLE_DAYS_SHARE:  # everyone over a few days: re-deals the cover there
        width = int(cells / (len(ids) * per_day))
        count = len(ids)
    else:  # a few people over several weeks: moves and swaps of stretches of lines
        width = 7 * rng.randint(1, min(weeks, MAX_WEEKS))
        count = int(cells / (width * per_day))
    if width < 7 or problem.days < 7:
        width = max(2, min(problem.days, width))
        first = rng.randrange(0, problem.days - width + 1)
    else:
        width = min(problem.days // 7 * 7, width // 7 * 7)
        first = 7 * rng.randrange(0, (problem.days - width) // 7 + 1)
    count = max(2, min(len(ids), count))
    return _widened(problem, tuple(sorted(rng.sample(ids, count))), first, first + width)


def _widened(problem: Problem, people: tuple[str, ...], first: int, last: int) -> Neighbourhood:
    first, last = whole_weekends(problem, first, last)
    return Neighbourhood(people, max(0, first), min(problem.days, last))  # a window never leaves the horizon


def whole_weekends(problem: Problem, first: int, last: int) -> tuple[int, int]:
    """Widen [first, last) to every weekend it cuts: a weekend worked on its outside day would count again
    inside (safe, since stricter, but it would refuse moves that are in fact allowed)."""
    changed = True
    while changed:
        changed = False
        for w in problem.weekends:
            inside = [d for d in w if first <= d < last]
            if inside and len(inside) < len(w):
                first, last, changed = min(first, *w), max(last, max(w) + 1), True
    return first, last
