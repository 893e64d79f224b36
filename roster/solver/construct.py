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
from collections import defaultdict

from roster.solver.evaluate import person_violations
from roster.solver.problem import Assignment, Person, Problem

Roster = dict[str, dict[int, Assignment]]


def build_lines(problem: Problem, seed: int = 0, order: list[str] | None = None, retries: int = 6) -> Roster:
    rng = random.Random(seed)
    open_seats: dict[tuple[int, str], int] = defaultdict(int)
    weights: dict[tuple[int, str], tuple[int, int]] = {}
    for c in problem.cover:
        if c.role is None or len(problem.roles) == 1:
            open_seats[(c.day, c.shift)] += max(c.preferred or 0, c.min)
            weights[(c.day, c.shift)] = (c.under_weight + (1000 if c.min else 0), c.over_weight)
    wishes: dict[tuple[str, int, str | None], int] = defaultdict(int)
    for r in problem.requests:
        wishes[(r.person, r.day, r.shift)] += r.weight if r.on else -r.weight
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
    return roster


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
    if must or behind or gain > 0:
        return sid
    return None


__all__ = ["build_lines"]
