"""A fast constructive heuristic: one person's line at a time, day by day, within that person's own rules.

For problems too large to hand to CP-SAT whole (a year for 150 people and 32 shift types is ~1.7 million
cells: building the model alone takes longer than the time given), a hard-feasible start has to come from
somewhere cheaper. Each person's line is built forward in time, taking on each day the shift that most
reduces the cost still open (uncovered seats first, then requests), subject to the person's rules: days off,
unavailable and fixed cells, per-type caps, rotation, maximum and minimum run lengths, minimum rest,
weekends, window limits and total minutes. Minimum totals are met by pace: a person falling behind the
share of minutes due by now works even where no seat is open. The cover each line takes is netted out before
the next line. ``repair`` (roster.solver.lns) fixes what a line still breaks; the neighbourhood search then
improves the whole.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict

from roster.solver.evaluate import person_violations
from roster.solver.problem import Assignment, Person, Problem
from roster.solver.seats import SeatLedger, request_weights, soft_cover_only

Roster = dict[str, dict[int, Assignment]]
WEEKEND_SLACK = 1  # weekends a line may work ahead of an even share of its limit


def build_lines(problem: Problem, seed: int = 0, order: list[str] | None = None, retries: int = 6) -> Roster:
    rng = random.Random(seed)
    open_seats: dict[tuple[int, str], int] = defaultdict(int)
    weights: dict[tuple[int, str], tuple[int, int]] = {}
    for c in problem.cover:
        if c.role is None or len(problem.roles) == 1:
            open_seats[(c.day, c.shift)] += max(c.preferred or 0, c.min)
            weights[(c.day, c.shift)] = (c.under_weight + (1000 if c.min else 0), c.over_weight)
    wishes = request_weights(problem)
    people = {p.id: p for p in problem.people}
    ids = order or sorted(people, key=lambda pid: rng.random())
    roster: Roster = {}
    for pid in ids:
        roster[pid] = _take(people[pid], _line(problem, people[pid], open_seats, weights, wishes, rng), open_seats)
    # A line that still breaks its person's rules is drawn again at a brisker pace, a few times.
    for pid in ids:
        for attempt in range(1, retries + 1):
            if not person_violations(problem, people[pid], roster[pid]):
                break
            for day, a in roster[pid].items():
                open_seats[(day, a.shift)] += 1
            line = _line(problem, people[pid], open_seats, weights, wishes, rng, 1.0 + 0.03 * attempt)
            roster[pid] = _take(people[pid], line, open_seats)
        _top_up(problem, people[pid], roster[pid])
    return roster


def _top_up(problem: Problem, person: Person, days: dict[int, Assignment]) -> None:
    """A line still short of its minimum minutes: lengthen worked days (a longer shift type the same day,
    rotation and caps kept) until it is not. The work/off pattern, and so every run rule, stays as it is."""
    shifts = {s.id: s for s in problem.shift_types}
    minutes = sum(shifts[a.shift].minutes for a in days.values())
    counts: dict[str, int] = defaultdict(int)
    for a in days.values():
        counts[a.shift] += 1
    for day in sorted(days):
        if minutes >= person.min_minutes:
            return
        if day in person.fixed:
            continue
        old = shifts[days[day].shift]
        prev, nxt = days.get(day - 1), days.get(day + 1)
        for s in sorted(problem.shift_types, key=lambda t: -t.minutes):
            if s.minutes <= old.minutes or (day, s.id) in person.unavailable:
                continue
            if counts[s.id] >= person.max_shifts.get(s.id, problem.days + 1):
                continue
            if (prev and s.id in shifts[prev.shift].forbidden_next) or (nxt and nxt.shift in s.forbidden_next):
                continue
            if person.max_minutes is not None and minutes - old.minutes + s.minutes > person.max_minutes:
                continue
            days[day] = Assignment(s.id, days[day].role)
            counts[old.id] -= 1
            counts[s.id] += 1
            minutes += s.minutes - old.minutes
            break


def _take(person: Person, line: dict[int, str], open_seats: dict[tuple[int, str], int]) -> dict[int, Assignment]:
    for day, shift in line.items():
        open_seats[(day, shift)] -= 1
    return {day: Assignment(shift, person.roles[0]) for day, shift in line.items()}


def _line(
    problem: Problem,
    person: Person,
    open_seats: dict[tuple[int, str], int],
    weights: dict[tuple[int, str], tuple[int, int]],
    wishes: dict[tuple[str, int, str | None], int],
    rng: random.Random,
    pace: float = 1.0,
) -> dict[int, str]:
    shifts = {s.id: s for s in problem.shift_types}
    blocked = set(person.days_off) | {d for d, s in person.fixed.items() if s is None}
    typical = sorted(s.minutes for s in problem.shift_types)[len(problem.shift_types) // 2] or 1
    weekend_of = {d: i for i, w in enumerate(problem.weekends) for d in w}
    open_after = [0] * (problem.days + 1)  # open days from day d to the end
    for d in range(problem.days - 1, -1, -1):
        open_after[d] = open_after[d + 1] + (d not in blocked)
    line: dict[int, str] = {}
    counts: dict[str, int] = defaultdict(int)
    minutes, run, off = 0, person.worked_before, person.off_before
    off_from_start = not (problem.outside_is_off or person.worked_before or person.off_before)
    weekends: set[int] = set()
    max_run = person.max_consecutive or problem.days
    for day in range(problem.days):
        if day in person.fixed:
            shift = person.fixed[day]
        elif day in blocked:
            shift = None
        else:
            shift = _choose(problem, person, day, line, counts, minutes, run, off, off_from_start, weekends,
                            weekend_of, open_after[day], typical, max_run, blocked, shifts, open_seats, weights,
                            wishes, rng, open_after[0], pace)  # fmt: skip
        if shift is None:
            run, off = 0, off + 1
            continue
        line[day] = shift
        counts[shift] += 1
        minutes += shifts[shift].minutes
        run, off, off_from_start = run + 1, 0, False
        if day in weekend_of:
            weekends.add(weekend_of[day])
    return line


def _choose(problem, person, day, line, counts, minutes, run, off, off_from_start, weekends, weekend_of, left,
            typical, max_run, blocked, shifts, open_seats, weights, wishes, rng, total, pace):  # noqa: ANN001, ANN202  # fmt: skip
    """Today's shift for one person (None = off), given the line so far."""
    working = run > 0 and (day - 1) in line
    if working and run >= max_run:
        return None
    if not working and not off_from_start and off < person.min_consecutive_off and (day > 0 or person.off_before):
        return None
    full = person.max_weekends is not None and len(weekends) >= person.max_weekends
    if full and (wk := weekend_of.get(day)) is not None and wk not in weekends:
        return None
    for limit in person.limits:
        if day in limit.days and sum(1 for d in limit.days if d in line) >= limit.max_shifts:
            return None
    if not working:  # a new run must be able to reach its minimum length
        for ahead in range(day + 1, min(problem.days, day + person.min_consecutive)):
            wk = weekend_of.get(ahead)
            if ahead in blocked or (full and wk is not None and wk not in weekends):
                return None
    yesterday = line.get(day - 1)
    candidates = []
    for sid, s in shifts.items():
        if (day, sid) in person.unavailable or counts[sid] >= person.max_shifts.get(sid, problem.days + 1):
            continue
        if yesterday and sid in shifts[yesterday].forbidden_next:
            continue
        if person.max_minutes is not None and minutes + s.minutes > person.max_minutes:
            continue
        under, over = weights.get((day, sid), (0, 0))
        gain = under if open_seats.get((day, sid), 0) > 0 else -over
        gain += wishes.get((person.id, day, sid), 0) + wishes.get((person.id, day, None), 0)
        if person.min_consecutive > run + 1 and not any(
            t not in s.forbidden_next and counts[t] < person.max_shifts.get(t, problem.days + 1) for t in shifts
        ):
            continue  # the run must go on tomorrow, and nothing this person may work can follow this shift
        candidates.append((gain + rng.random(), sid, s.minutes))
    if not candidates:
        return None
    gain, sid, length = max(candidates)
    must = working and run < person.min_consecutive
    need = person.min_minutes - minutes
    capacity = left * typical * max_run / (max_run + max(1, person.min_consecutive_off))
    due = pace * person.min_minutes * (1 - left / max(1, total))  # minutes due by now at an even pace
    behind = need > 0 and (need >= 0.7 * capacity or minutes < due)
    if person.max_minutes is not None:
        room = person.max_minutes - minutes
        if not must and room < length + typical * (person.min_consecutive - 1) and not working:
            return None
    # Nobody runs ahead of an even pace either: a line that takes every open seat early has spent its
    # minutes before the year is out, and the last months go uncovered.
    done = 1 - left / max(1, total)
    ahead = person.max_minutes is not None and minutes >= person.max_minutes * done + 2 * typical
    counted, early = _weekend_pace(problem, person, day, weekends, weekend_of)
    if early and not must:
        return None
    keep = must or (behind and pace > 1)  # a line drawn again at a brisker pace may spoil a weekend
    if not keep and _spoils_weekend(
        problem, person, day, run if working else 0, max_run, weekends, weekend_of, blocked, open_seats
    ):
        return None
    if must or behind or (gain > 0 and (not ahead or counted)):
        return sid
    return None


def _weekend_pace(
    problem: Problem, person: Person, day: int, weekends: set[int], weekend_of: dict[int, int]
) -> tuple[bool, bool]:
    """(``day`` is on a weekend the line already works, starting ``day``'s weekend now would be premature).

    Weekends are paced like minutes: a line that works every open weekend seat early has used its weekends
    by mid-horizon, and the last weekends go uncovered (on Instance20 nearly every seat left short was on a
    weekend). A weekend is started only within one of an even share of the limit (a line that did not work
    the weekend before: only once it is one behind that share, so weekends come in blocks, which whole
    weekends need: alternating worked and free weekends leaves too few days to work), and not on its last day
    (the limit counts it whole: its first day is then not worked and so wasted). A day of a weekend already
    counted costs the limit nothing, so it is worked whenever a seat is open there."""
    wk = weekend_of.get(day)
    if wk is None or person.max_weekends is None:
        return False, False
    if wk in weekends:
        return True, False
    due = person.max_weekends * (wk + 1) / max(1, len(problem.weekends))
    if wk > 0 and wk - 1 not in weekends:  # off weekends: stay off until behind
        return False, len(weekends) > due - WEEKEND_SLACK or weekend_of.get(day - 1) == wk
    return False, len(weekends) >= due + WEEKEND_SLACK or weekend_of.get(day - 1) == wk


def _spoils_weekend(problem, person, day, run, max_run, weekends, weekend_of, blocked, open_seats) -> bool:  # noqa: ANN001
    """Working ``day`` would leave a weekend half worked: the line takes a day off instead.

    A weekend counts whole against the limit however many of its days are worked, so a line whose run
    reaches its maximum on Saturday (Sunday then forced off) spends a weekend on one seat; on the long
    instances most single-day weekends came from that (Instance20: 150 of 170). So a weekend is started only
    when the run can go on to its last day and none of its days is blocked; and a working line that could
    not reach the end of the next wanted weekend (not early by the pace) stops the day that lets it be back
    on that weekend's first day after its minimum days off."""
    wk = weekend_of.get(day)
    if wk is not None and wk in weekends:
        return False
    nxt = wk if wk is not None else weekend_of.get(day + max(1, person.min_consecutive_off))
    if nxt is None:
        return False
    days = sorted(problem.weekends[nxt])
    if wk is not None:  # starting this weekend today
        return run + days[-1] - day + 1 > max_run or any(d in blocked for d in days if d > day)
    if run == 0 or days[0] - day != max(1, person.min_consecutive_off) or run + days[-1] - day + 1 <= max_run:
        return False
    early = _weekend_pace(problem, person, days[0], weekends, weekend_of)[1]
    if early or any(d in blocked for d in days):
        return False
    return all(any(open_seats.get((d, s.id), 0) > 0 for s in problem.shift_types) for d in days)


def retype(problem: Problem, roster: Roster, deadline: float | None = None, rounds: int = 3) -> Roster:
    """Local search that keeps every work/off pattern: a person working day d switches to another shift
    type that day when that lowers the cost (an uncovered seat taken from an over-covered or less costly
    cell, a request met). Runs, days off, weekends and rest stay as they are; caps per type, rotation with
    the days either side and total minutes are checked. Single-role cover only (the benchmark's shape).
    Stops at ``deadline`` (perf_counter seconds) if given."""
    if not soft_cover_only(problem):
        return roster
    state = _Retype(problem, roster)
    for _ in range(rounds):
        moved = 0
        for person in problem.people:
            if deadline is not None and time.perf_counter() > deadline:
                return roster
            moved += state.retype_line(person, roster.get(person.id, {}))
        if not moved:
            break
    return roster


class _Retype(SeatLedger):
    """What ``retype`` keeps up to date as it moves: seats per cell, the cells still short, the wishes."""

    def __init__(self, problem: Problem, roster: Roster) -> None:
        super().__init__(problem, roster)
        self.problem = problem
        self.shifts = {s.id: s for s in problem.shift_types}
        self.wished: dict[tuple[str, int], set[str]] = defaultdict(set)
        for r in problem.requests:
            if r.on and r.shift is not None:
                self.wished[(r.person, r.day)].add(r.shift)
        self.short: dict[int, set[str]] = defaultdict(set)  # day -> shift types with seats still open
        for (day, sid), c in self.cover.items():
            if self.seats[(day, sid)] < c.preferred:
                self.short[day].add(sid)

    def retype_line(self, person: Person, days: dict[int, Assignment]) -> int:
        """One pass over ``person``'s working days; the number of days moved to another shift type."""
        allowed = {sid for sid in self.shifts if person.max_shifts.get(sid, 1) != 0}
        counts: dict[str, int] = defaultdict(int)
        for a in days.values():
            counts[a.shift] += 1
        minutes = sum(self.shifts[a.shift].minutes for a in days.values())
        moved = 0
        for day in sorted(days):
            if day in person.fixed:
                continue
            old = days[day].shift
            # Only a short cell or a wished-for shift can pay for a swap: look at those alone.
            wanted = {sid for sid in self.short[day] if sid in allowed} | self.wished.get((person.id, day), set())
            best = self.best_swap(person, days, day, wanted, counts, minutes) if wanted else None
            if best is None:
                continue
            days[day] = Assignment(best, days[day].role)
            self.move_seat(day, old, best)
            counts[old] -= 1
            counts[best] += 1
            minutes += self.shifts[best].minutes - self.shifts[old].minutes
            moved += 1
        return moved

    def best_swap(  # noqa: PLR0913 - the facts of one person's day, gathered by the caller
        self, person: Person, days: dict, day: int, wanted: set[str], counts: dict[str, int], minutes: int
    ) -> str | None:
        """The shift type ``day`` should switch to within the person's rules, or None when none pays."""
        shifts, old = self.shifts, days[day].shift
        prev, nxt = days.get(day - 1), days.get(day + 1)
        best, best_gain = None, 0
        for sid in wanted:
            s = shifts[sid]
            if sid == old or (day, sid) in person.unavailable:
                continue
            if counts[sid] >= person.max_shifts.get(sid, self.problem.days + 1):
                continue
            if (prev and sid in shifts[prev.shift].forbidden_next) or (nxt and nxt.shift in s.forbidden_next):
                continue
            total = minutes - shifts[old].minutes + s.minutes
            if total < person.min_minutes or (person.max_minutes is not None and total > person.max_minutes):
                continue
            gain = self.gain_out((day, old)) + self.gain_in((day, sid))
            gain += self.wish(person.id, day, sid) - self.wish(person.id, day, old)
            if gain > best_gain:
                best, best_gain = sid, gain
        return best

    def move_seat(self, day: int, old: str, new: str) -> None:
        self.seats[(day, old)] -= 1
        self.seats[(day, new)] += 1
        for cell in ((day, old), (day, new)):
            c = self.cover.get(cell)
            if c is not None and self.seats[cell] < c.preferred:
                self.short[day].add(cell[1])
            else:
                self.short[day].discard(cell[1])


__all__ = ["build_lines", "retype"]
