"""Cover matching on a hard-feasible roster: move one person's worked day to a seat still open.

The person-by-person lines (``roster.solver.construct``) fill the open seats of the people built first; the
people built last must still reach their minimum minutes and so work where nobody is missing. On the long
benchmark instances that leaves hundreds of seats uncovered while as many others are over-covered, and the
neighbourhood search, moving a few people over a few weeks at a time, takes most of its budget to even that
out. ``exchange`` does it directly: for each cell short of its preferred cover, a person who is off that day
(and may work that shift) works it instead of a day of theirs on an over-covered cell (or on top of their
days, when their maximum minutes allow), whenever that lowers the whole roster's cost and the person's line
keeps every one of their rules. A move touches one person only, so people stay independent: a cheap local
check (runs, rest, caps, minutes, weekends around the two days) discards most candidates, and the exact
checker (``person_violations``) confirms each move before it is made.

Single-role cover without hard cover bounds only (the benchmark's shape), like ``construct.retype``.
"""

from __future__ import annotations

import math
import random
import time
from collections import defaultdict

from roster.solver.evaluate import person_violations
from roster.solver.problem import Assignment, Person, Problem
from roster.solver.seats import SeatLedger, soft_cover_only

Roster = dict[str, dict[int, Assignment]]
Move = tuple[int, str, int | None]  # (day taken, its shift type, day given up or None)
CHAIN_TRIES = 8  # links tried per short cell before an ejection chain gives up
# A round that fills fewer than this share of the short cells it tries ends the passes: the next would fill
# fewer still, and a cell that finds no move costs as much as one that does (Instance24's start: the first
# round filled 1473 seats in 15.8 s, the second 13 in 8.7 s, the third none in 8.6 s).
SETTLED_SHARE = 0.05


def exchange(
    problem: Problem,
    roster: Roster,
    deadline: float | None = None,
    seed: int = 0,
    rounds: int = 20,
    chain: int = 1,
) -> Roster:
    """Move worked days onto short cells (see the module docstring) until a pass over them fills few
    (``SETTLED_SHARE``) or none, ``rounds`` passes are done or ``deadline`` (perf_counter seconds) passes.
    People whose line breaks a rule are left alone. ``roster`` is changed in place and returned."""
    if not soft_cover_only(problem):
        return roster
    state = _Exchange(problem, roster)
    rng = random.Random(seed)
    for _ in range(rounds):
        short = [cell for cell, c in state.cover.items() if state.gain_in(cell) > 0]
        rng.shuffle(short)
        moved = 0
        for day, sid in short:
            if deadline is not None and time.perf_counter() > deadline:
                return roster
            while state.gain_in((day, sid)) > 0 and state.fill(day, sid, chain) > 0:
                moved += 1
        if moved < SETTLED_SHARE * len(short):
            break
    return roster


class _Exchange(SeatLedger):
    """Seats per cell and each person's line facts, kept up to date as days move."""

    def __init__(self, problem: Problem, roster: Roster) -> None:
        super().__init__(problem, roster)
        self.problem, self.roster = problem, roster
        self.shifts = {s.id: s for s in problem.shift_types}
        self.weekend_of = {d: i for i, w in enumerate(problem.weekends) for d in w}
        self.people = [p for p in problem.people if not person_violations(problem, p, roster.get(p.id, {}))]
        self.lines = {p.id: _Line(problem, p, roster.setdefault(p.id, {}), self.weekend_of) for p in self.people}
        # Who may work each shift type at all (a cap of 0 never changes): a third of the people on Instance24.
        self.takers = {s: [p for p in self.people if p.max_shifts.get(s, 1) != 0] for s in self.shifts}
        # Only a day on a cell with a surplus (one person fewer costs nothing) is worth giving up: per person,
        # those days, kept up to date through who works each cell.
        self.who: dict[tuple[int, str], set[str]] = defaultdict(set)
        # ... and what giving each up saves (the surplus seat's weight less the person's wish for it), which
        # changes only with the seats of that cell: kept so that the candidates need not price it again.
        self.spare: dict[str, dict[int, int]] = {p.id: {} for p in self.people}
        for pid, line in self.lines.items():
            for day, a in line.days.items():
                self.who[(day, a.shift)].add(pid)
                if self.gain_out((day, a.shift)) >= 0 and day not in line.person.fixed:
                    self.spare[pid][day] = self.give_up(pid, (day, a.shift))

    def fill(self, day: int, sid: str, chain: int = 0) -> int:
        """Make the best paying move that puts one more person on (day, sid); the gain made, 0 for none.

        With ``chain`` > 0 and no such move, a move that only passes the shortage on (the day given up was on
        a cell exactly covered) is tried, followed by a fill of the cell it left short (with ``chain`` - 1),
        and undone when that finds nothing: an ejection chain."""
        gain_in = self.gain_in((day, sid))
        candidates = [c for p in self.takers[sid] for c in self._candidates(p, day, sid, gain_in, spare=True)]
        for gain, _, pid, other in sorted(candidates, key=lambda c: (-c[0], c[1])):
            if self.lines[pid].allows((day, sid, other)) and self.lines[pid].exact((day, sid, other)):
                self.apply(pid, (day, sid, other))
                return gain
        if chain <= 0:
            return 0
        candidates = [c for p in self.takers[sid] for c in self._candidates(p, day, sid, gain_in, spare=False)]
        tries = 0
        for gain, _, pid, other in sorted(candidates, key=lambda c: (-c[0], c[1])):
            line = self.lines[pid]
            if tries >= CHAIN_TRIES or not (line.allows((day, sid, other)) and line.exact((day, sid, other))):
                continue
            tries += 1
            was = line.days[other].shift
            self.apply(pid, (day, sid, other))
            more = self.fill(other, was, chain - 1)
            if more > 0 and gain + more > 0:
                return gain + more
            self.apply(pid, (other, was, day))  # undo
        return 0

    def _candidates(
        self, person: Person, day: int, sid: str, gain_in: int, spare: bool
    ) -> list[tuple[int, int, str, int | None]]:
        """(gain, distance, person, day given up) of each move of ``person`` onto (day, sid): those that pay
        (``spare``: the day given up is on a cell with a surplus, or none is given up), or else those that
        give up a day on a cell exactly covered and cost nothing in themselves (the links of a chain)."""
        pid, line = person.id, self.lines[person.id]
        floor = 1 if spare else 0
        if line.could_retype(day, sid):  # works that day already: another shift type instead
            was = line.days[day].shift
            gain = gain_in + self.wish(pid, day, sid) + self.give_up(pid, (day, was))
            return [(gain, 0, pid, day)] if gain >= floor and (day in self.spare[pid]) == spare else []
        if not line.could_take(day, sid):
            return []
        allowed = line.gives_allowed(day, sid)
        if allowed is not None and not allowed:
            return []
        gives = self.spare[pid]
        if spare:
            given = gives if allowed is None else [d for d in allowed if d in gives]
            alone = allowed is None and line.room_for(sid)
            if not (given or alone):
                return []
            if not line.side_ok(day, (day, sid, None)):  # taking ``day`` alone breaks a rule: only giving up
                given, alone = [d for d in given if abs(d - day) <= line.longest], False  # a day near it can help
        else:  # links stay near ``day``: many more days are exactly covered than have a surplus
            near_day = range(day - line.longest, day + line.longest + 1)
            around = near_day if allowed is None else [d for d in allowed if abs(d - day) <= line.longest]
            given, alone = [d for d in around if d in line.days and d not in gives and d not in person.fixed], False
        base = gain_in + self.wish(pid, day, sid)
        out = [(base, 0, pid, None)] if alone else []
        kinds = line.kinds_to_give(sid)
        for other in given:
            was = line.days[other].shift
            if was not in kinds:  # allows() would refuse it: skip the pricing
                continue
            gain = base + (gives[other] if spare else self.give_up(pid, (other, was)))
            if gain >= floor:
                out.append((gain, abs(other - day), pid, other))
        return out

    def give_up(self, pid: str, cell: tuple[int, str]) -> int:
        """What ``pid`` giving up their day on ``cell`` saves: one seat fewer there, less their wish for it."""
        return self.gain_out(cell) - self.wish(pid, *cell)

    def apply(self, pid: str, move: Move) -> None:
        day, sid, other = move
        line = self.lines[pid]
        changed = [(day, sid)]
        if other is not None:
            changed.append((other, line.days[other].shift))
            self.who[changed[1]].discard(pid)
            self.spare[pid].pop(other, None)
            self.seats[changed[1]] -= 1
        self.seats[(day, sid)] += 1
        self.who[(day, sid)].add(pid)
        line.apply(move)
        for cell in changed:  # a cell's surplus may have come or gone for everyone working it
            spare = self.gain_out(cell) >= 0
            for worker in self.who[cell]:
                if spare and cell[0] not in self.lines[worker].person.fixed:
                    self.spare[worker][cell[0]] = self.give_up(worker, cell)
                else:
                    self.spare[worker].pop(cell[0], None)


class _Line:
    """One person's line (``days`` is the roster's own dict: moves write through) with its running totals."""

    def __init__(self, problem: Problem, person: Person, days: dict[int, Assignment], weekend_of: dict) -> None:
        self.problem, self.person, self.days, self.weekend_of = problem, person, days, weekend_of
        self.shifts = {s.id: s for s in problem.shift_types}
        self.counts: dict[str, int] = defaultdict(int)
        self.weekend_days: dict[int, int] = defaultdict(int)
        for day, a in days.items():
            self.counts[a.shift] += 1
            if day in weekend_of:
                self.weekend_days[weekend_of[day]] += 1
        self.minutes = sum(self.shifts[a.shift].minutes for a in days.values())
        self.worked_weekends = sum(1 for n in self.weekend_days.values() if n > 0)
        self.give_cache: dict[int, bool] = {}
        self.kinds_cache: dict[str, frozenset[str]] = {}
        self.freeing_cache: frozenset[int] | None = None
        self.longest = max(person.max_consecutive or 0, person.min_consecutive, person.min_consecutive_off) + 1

    def could_take(self, day: int, sid: str) -> bool:
        p = self.person
        return (
            day not in self.days
            and day not in p.days_off
            and day not in p.fixed
            and (day, sid) not in p.unavailable
            and p.max_shifts.get(sid, 1) != 0
        )

    def could_retype(self, day: int, sid: str) -> bool:
        p, a = self.person, self.days.get(day)
        return (
            a is not None
            and a.shift != sid
            and day not in p.fixed
            and (day, sid) not in p.unavailable
            and p.max_shifts.get(sid, 1) != 0
        )

    def kinds_to_give(self, sid: str) -> frozenset[str]:
        """The shift types of a day this person could give up for a day of ``sid``: the minutes stay within the
        person's range, and ``sid``'s count within its cap (allows()' first checks, by type: most candidates
        fail them where the minutes' range is one shift wide). Cached until this line changes."""
        if sid not in self.kinds_cache:
            p, minutes = self.person, self.minutes + self.shifts[sid].minutes
            full = self.counts[sid] >= p.max_shifts.get(sid, self.problem.days + 1)
            top = math.inf if p.max_minutes is None else p.max_minutes
            self.kinds_cache[sid] = frozenset(
                t
                for t, s in self.shifts.items()
                if p.min_minutes <= minutes - s.minutes <= top and (t == sid or not full)
            )
        return self.kinds_cache[sid]

    def gives_allowed(self, day: int, sid: str) -> frozenset[int] | None:
        """The days this person could give up to take (day, sid) past allows()' checks of the neighbours'
        successions and of the weekends' cap, which most candidates fail (Instance24 after the responses: 1.5
        million of 1.52): None where those checks pass whatever is given up (or nothing), else only those days
        (giving up nothing never passes). A sound filter: allows() still decides."""
        p, s = self.person, self.shifts[sid]
        prev, nxt = self.days.get(day - 1), self.days.get(day + 1)
        allowed = None
        if prev is not None and sid in self.shifts[prev.shift].forbidden_next:
            allowed = frozenset({day - 1})
        if nxt is not None and nxt.shift in s.forbidden_next:  # both neighbours would have to go: none passes
            allowed = frozenset({day + 1}) if allowed is None else frozenset()
        weekend = self.weekend_of.get(day)
        if (  # taking the day adds a weekend past the cap: only a day that frees another passes
            p.max_weekends is not None
            and weekend is not None
            and self.weekend_days[weekend] == 0
            and self.worked_weekends >= p.max_weekends
        ):
            allowed = self.freeing() if allowed is None else allowed & self.freeing()
        return allowed

    def freeing(self) -> frozenset[int]:
        """The days worked alone in their weekend: giving one up frees a weekend (cached until the line changes)."""
        if self.freeing_cache is None:
            alone = {w for w, n in self.weekend_days.items() if n == 1}
            self.freeing_cache = frozenset(d for d in self.days if self.weekend_of.get(d) in alone)
        return self.freeing_cache

    def room_for(self, sid: str) -> bool:
        cap = self.person.max_minutes
        return cap is None or self.minutes + self.shifts[sid].minutes <= cap

    def worked(self, day: int, move: Move) -> bool:
        taken, _, given = move
        return day == taken or (day != given and day in self.days)

    def allows(self, move: Move) -> bool:
        """A cheap check of the rules around the two days (exact() decides)."""
        day, sid, other = move
        p, s = self.person, self.shifts[sid]
        old = self.shifts[self.days[other].shift] if other is not None else None
        minutes = self.minutes + s.minutes - (old.minutes if old else 0)
        if minutes < p.min_minutes or (p.max_minutes is not None and minutes > p.max_minutes):
            return False
        if (old is None or old.id != sid) and self.counts[sid] >= p.max_shifts.get(sid, self.problem.days + 1):
            return False
        prev, nxt = self.days.get(day - 1), self.days.get(day + 1)
        if prev and day - 1 != other and sid in self.shifts[prev.shift].forbidden_next:
            return False
        if nxt and day + 1 != other and nxt.shift in s.forbidden_next:
            return False
        if p.max_weekends is not None and not self._weekends_ok(day, other):
            return False
        if other is not None and abs(other - day) > self.longest:  # the two sides are independent
            return self._give_ok(other) and self.side_ok(day, (day, sid, None))
        return self.side_ok(day, move) and (other is None or self.side_ok(other, move))

    def side_ok(self, x: int, move: Move) -> bool:
        """The runs through days ``x - 1 .. x + 1`` keep their length rules after ``move``."""
        return self._run_ok(x - 1, move) and self._run_ok(x, move) and self._run_ok(x + 1, move)

    def _give_ok(self, other: int) -> bool:
        """Whether giving up ``other`` alone keeps the runs around it (cached until this line changes)."""
        if other not in self.give_cache:
            self.give_cache[other] = self.side_ok(other, (-1, "", other))  # nothing taken: day -1 is never looked at
        return self.give_cache[other]

    def _weekends_ok(self, day: int, other: int | None) -> bool:
        taken, given = self.weekend_of.get(day), self.weekend_of.get(other)
        if taken == given:
            return True
        n = self.worked_weekends + (taken is not None and self.weekend_days[taken] == 0)
        n -= given is not None and self.weekend_days[given] == 1
        return n <= self.person.max_weekends

    def _run_ok(self, x: int, move: Move) -> bool:
        """The run of work or of days off through day ``x`` after ``move`` keeps its length rules (runs at the
        horizon's edges are left to exact())."""
        last = self.problem.days - 1
        if not 0 <= x <= last:
            return True
        value = self.worked(x, move)
        lo = hi = x
        while lo > 0 and hi - lo < self.longest and self.worked(lo - 1, move) == value:
            lo -= 1
        while hi < last and hi - lo < self.longest and self.worked(hi + 1, move) == value:
            hi += 1
        length, p = hi - lo + 1, self.person
        if value and p.max_consecutive is not None and length > p.max_consecutive:
            return False
        if lo == 0 or hi == last:
            return True
        return length >= (p.min_consecutive if value else p.min_consecutive_off)

    def exact(self, move: Move) -> bool:
        day, sid, other = move
        trial = dict(self.days)
        if other is not None:
            del trial[other]
        trial[day] = Assignment(sid, self.person.roles[0])
        return not person_violations(self.problem, self.person, trial)

    def apply(self, move: Move) -> None:
        day, sid, other = move
        self.give_cache.clear()
        self.kinds_cache.clear()
        self.freeing_cache = None
        if other is not None:
            old = self.days.pop(other)
            self.counts[old.shift] -= 1
            self.minutes -= self.shifts[old.shift].minutes
            if other in self.weekend_of:
                self.weekend_days[self.weekend_of[other]] -= 1
                self.worked_weekends -= self.weekend_days[self.weekend_of[other]] == 0
        self.days[day] = Assignment(sid, self.person.roles[0])
        self.counts[sid] += 1
        self.minutes += self.shifts[sid].minutes
        if day in self.weekend_of:
            self.weekend_days[self.weekend_of[day]] += 1
            self.worked_weekends += self.weekend_days[self.weekend_of[day]] == 1
