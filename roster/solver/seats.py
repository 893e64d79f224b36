"""Seats and wishes as the constructive passes see them (``construct.retype``, ``exchange``): how many people
work each cell, and what one person more or fewer on a cell, or on a day they asked for or against, is worth.

Both passes handle the benchmark's shape only: one role and soft cover (``soft_cover_only``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from roster.solver.problem import Assignment, Problem

Cell = tuple[int, str]  # (day, shift type)
Wishes = dict[tuple[str, int, str | None], int]


def soft_cover_only(problem: Problem) -> bool:
    """One role and no hard cover bounds: the only shape the constructive passes move seats in."""
    return len(problem.roles) == 1 and not any(c.min or c.max is not None for c in problem.cover)


def request_weights(problem: Problem) -> Wishes:
    """(person, day, shift or None for any) -> what working it is worth: + for a request on, - for one off."""
    wishes: Wishes = defaultdict(int)
    for r in problem.requests:
        wishes[(r.person, r.day, r.shift)] += r.weight if r.on else -r.weight
    return wishes


class SeatLedger:
    """Seats per cell of a roster, and the cost of one more or one fewer; the passes keep ``seats`` current."""

    def __init__(self, problem: Problem, roster: Mapping[str, Mapping[int, Assignment]]) -> None:
        self.cover = {(c.day, c.shift): c for c in problem.cover if c.preferred is not None}
        self.seats: dict[Cell, int] = defaultdict(int)
        for days in roster.values():
            for day, a in days.items():
                self.seats[(day, a.shift)] += 1
        self.wishes = request_weights(problem)

    # A cell's cost with n seats is under_weight * max(0, preferred - n) + over_weight * max(0, n - preferred);
    # the two below are its change for one seat more or fewer, worked out (the passes call them millions of times).
    def gain_in(self, cell: Cell) -> int:
        """What one more person on ``cell`` saves."""
        c = self.cover.get(cell)
        if c is None:
            return 0
        return c.under_weight if self.seats[cell] < c.preferred else -c.over_weight

    def gain_out(self, cell: Cell) -> int:
        """What one person fewer on ``cell`` saves (negative: it costs)."""
        c = self.cover.get(cell)
        if c is None:
            return 0
        return c.over_weight if self.seats[cell] > c.preferred else -c.under_weight

    def wish(self, pid: str, day: int, sid: str) -> int:
        """What ``pid`` working ``sid`` on ``day`` is worth by their requests (for that shift, and for any)."""
        return self.wishes.get((pid, day, sid), 0) + self.wishes.get((pid, day, None), 0)
