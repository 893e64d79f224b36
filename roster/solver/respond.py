"""Best responses on long horizons: each person's whole line priced again alone, everyone else kept.

Where people meet only in the cover (``roster.solver.columns.decomposes``), what one person's line costs the
roster, the others kept, is its own requests less, on each cell it works, the under-cover weight where the cell
is short without the person, or plus the over-cover weight where it is not. Under those prices the sweep of
``roster.solver.linedp`` finds the cheapest line that keeps the person's rules over the whole horizon, in tens
of milliseconds on a year. A line that costs less replaces the person's, and the roster's cost falls by exactly
the difference. Passes over everyone, in a random order, run until one changes nothing (a local optimum of
one-person moves) or the time is up.

Why: the neighbourhood search (``roster.solver.lns``) frees windows of a few weeks, which cannot move the
rhythm of a year-long line (which days of the week its days off fall on, where its minutes go), and CP-SAT
takes seconds over a whole year's line. On Instance22 (a year, 50 people) passes from the matched start took
71607 to 48154 in 50 s, where the search alone had 50-52 thousand at 60 s (docs/benchmark.md).

Two people are priced at once (the sweep releases the GIL); the second's line is judged again on the roster
as the first left it, so a pass never makes the roster worse.
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from roster.solver import linedp
from roster.solver.evaluate import cost, seat_counts
from roster.solver.linedp import Line, Rules
from roster.solver.neighbourhoods import Neighbourhood
from roster.solver.pricing import line_cost, requests_by_person
from roster.solver.problem import Assignment, Cell, Problem, Solution
from roster.solver.windows import incumbent, restrict, write_back

Roster = dict[str, dict[int, Assignment]]
PRICE_S = 5.0  # a guard per person's pricing: a year's line is priced in 20-100 ms
# Weeks of a window where a whole line does not fit the sweep's grid (Instances 23 and 24: a year).
WINDOW_WEEKS = 13
ROUNDS = 4  # rounds over the windows the time is planned for (more run while time is left)
# A round that lowers the cost by less than this share of it ends the rounds: the search gains more then
# (Instance24 at 300 s: rounds from 84 s to 150 s gained 0.6%; the search then gains 1.5% in 10 s).
ROUND_GAIN = 0.01


class Responder:
    """The prices each person's line meets (the cover net of everyone else) and the sweep's rules per person,
    kept in step with the roster it changes."""

    def __init__(self, problem: Problem, roster: Roster) -> None:
        self.roster = roster
        self.cells = [(c.day, c.shift) for c in problem.cover]
        self.preferred = np.array([c.preferred or 0 for c in problem.cover])
        self.under = np.array([float(c.under_weight) for c in problem.cover])
        self.over = np.array([float(c.over_weight) for c in problem.cover])
        self.index = {cell: i for i, cell in enumerate(self.cells)}
        seats = seat_counts(Solution(roster))
        self.seats = np.array([seats[(day, shift, None)] for day, shift in self.cells])
        self.requests = requests_by_person(problem)
        self.roles = {p.id: p.roles[0] for p in problem.people}
        self.rules: dict[str, Rules] = {}
        for p in problem.people:
            rules = linedp.rules(problem, p, self.requests[p.id])
            if rules is not None:
                self.rules[p.id] = rules
        self._multipliers: dict[str, tuple[np.ndarray, float] | None] = {}
        self.gained = 0.0  # what the lines taken lowered the roster's cost by

    def line(self, pid: str) -> Line:
        return frozenset((d, a.shift) for d, a in self.roster.get(pid, {}).items())

    def prices(self, pid: str) -> dict[Cell, float]:
        """What working each cell is worth to the roster, ``pid``'s own seats taken off the cover."""
        seats = self.seats.copy()
        for cell in self.line(pid):
            if cell in self.index:
                seats[self.index[cell]] -= 1
        worth = np.where(seats < self.preferred, self.under, -self.over)
        return dict(zip(self.cells, worth.tolist(), strict=True))

    def value(self, pid: str, line: Line, prices: Mapping[Cell, float]) -> float:
        return line_cost(self.requests[pid], line) - sum(prices.get(cell, 0.0) for cell in line)

    def best(self, pid: str, deadline: float) -> Line | None:
        """The cheapest line the sweep finds for ``pid`` under the prices the roster sets now."""
        prices = self.prices(pid)
        swept = linedp.best_lines(
            self.rules[pid], prices, min(deadline, time.perf_counter() + PRICE_S), self._multipliers.get(pid)
        )
        self._multipliers[pid] = swept.multipliers
        return min(swept.lines, key=lambda line: self.value(pid, line, prices), default=None)

    def take(self, pid: str, line: Line) -> bool:
        """Give ``pid`` ``line`` where it costs less than theirs under the prices as they are now."""
        prices = self.prices(pid)
        gain = self.value(pid, self.line(pid), prices) - self.value(pid, line, prices)
        if gain <= linedp.PROVED:
            return False
        self.gained += gain
        for cell, step in [(c, -1) for c in self.line(pid)] + [(c, 1) for c in line]:
            if cell in self.index:
                self.seats[self.index[cell]] += step
        self.roster[pid] = {day: Assignment(shift, self.roles[pid]) for day, shift in line}
        return True


def respond(
    problem: Problem, roster: Roster, deadline: float, seed: int = 0, workers: int = 2, rounds: int | None = None
) -> int:
    """Best responses over ``roster`` (changed in place) until a pass changes nothing or ``deadline``
    (perf_counter seconds): over the whole horizon where the sweep's grid holds most people's lines, else over
    windows of WINDOW_WEEKS (``respond_windows``, at most ``rounds`` rounds). Returns how many lines were
    replaced."""
    responder = Responder(problem, roster)
    if 2 * len(responder.rules) >= len(problem.people) or problem.days <= 7 * WINDOW_WEEKS:
        return _passes(responder, deadline, seed, workers)
    return respond_windows(problem, roster, deadline, seed, workers, rounds)


def respond_windows(
    problem: Problem, roster: Roster, deadline: float, seed: int = 0, workers: int = 2, rounds: int | None = None
) -> int:
    """Best responses window by window, each window of WINDOW_WEEKS an exact sub-problem of its own
    (``roster.solver.windows.restrict``: the runs at its edges become each person's history, what is worked
    outside it comes off their totals), so that a line too long for the sweep's grid is priced a quarter at a
    time (the grid shrinks with the square of the days: the minutes' range shrinks with them).

    Rounds over the windows, each round's windows from a random week (a window settled is not settled once its
    edges move), until a round lowers the cost by less than ROUND_GAIN of it, ``rounds`` are done, or
    ``deadline``. The time is planned as ROUNDS rounds (or ``rounds``, if fewer), each window given an even share
    of it: on Instance24 a round given all the time spent it on its first windows, and later windows never had a
    pass (111 thousand at 120 s against 93 thousand in four rounds)."""
    rng = random.Random(seed)
    length = 7 * WINDOW_WEEKS
    everyone = tuple(p.id for p in problem.people)
    replaced, left = 0, float(cost(problem, roster))
    planned = min(ROUNDS, rounds or ROUNDS)
    for n in itertools.count():
        if time.perf_counter() >= deadline or (rounds is not None and n >= rounds):
            break
        start = 7 * rng.randrange(WINDOW_WEEKS)
        edges = sorted({0, problem.days} | set(range(start, problem.days, length)))
        windows = list(itertools.pairwise(edges))
        gained = 0.0
        for k, (first, last) in enumerate(windows):
            hood = Neighbourhood(everyone, first, last)
            sub_roster = {p: dict(days) for p, days in incumbent(roster, hood).assignments.items()}
            responder = Responder(restrict(problem, roster, hood), sub_roster)
            share = (deadline - time.perf_counter()) / (len(windows) * max(1, planned - n) - k)
            moved = _passes(responder, min(deadline, time.perf_counter() + share), rng.randrange(2**31), workers)
            if moved:
                write_back(roster, hood, Solution(sub_roster))
            replaced += moved
            gained += responder.gained
        if gained < ROUND_GAIN * left:
            break
        left -= gained
    return replaced


def _passes(responder: Responder, deadline: float, seed: int, workers: int) -> int:
    """Passes over everyone the sweep can price, in a random order, until one changes nothing or ``deadline``;
    how many lines were replaced."""
    people = sorted(responder.rules)
    rng = random.Random(seed)
    replaced = 0
    with ThreadPoolExecutor(max(1, workers)) as pool:
        while time.perf_counter() < deadline:
            order = rng.sample(people, len(people))
            moved = 0
            for n in range(0, len(order), max(1, workers)):
                if time.perf_counter() >= deadline:
                    break
                group = order[n : n + max(1, workers)]
                lines = list(pool.map(lambda pid: responder.best(pid, deadline), group))
                moved += sum(responder.take(pid, line) for pid, line in zip(group, lines, strict=True) if line)
            replaced += moved
            if not moved:
                break
    return replaced


__all__ = ["Responder", "respond", "respond_windows"]
