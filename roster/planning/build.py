"""Turn the bureau (admin file in force + stored shifts + leave) into a solver Problem for a horizon.

Day index d is local date start + d; a cell's shift type id is the slot name ("full", "day", "night").
Everything stored outside the horizon enters as data: rest after/before stored duties makes cells
unavailable, duties already stored in a month lower that month's limit, duties stored before the horizon
join the fairness ledger, and stored duties inside the horizon are the "previous" roster to change minimally.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from roster.admin.schema import BureauFile
from roster.holidays import DayKind, HolidayCalendar, HolidayDataMissing
from roster.planning.stored import StoredSeat, category_counts_before, leave_by_person, on_leave, seats_between
from roster.shifts import ShiftSlot, generate_slots
from roster.solver.problem import (
    Assignment,
    Cell,
    Conflict,
    Cover,
    FairnessTerm,
    NotTogether,
    Person,
    Problem,
    ShiftType,
    Solution,
    WindowLimit,
)
from roster.storage.models.people import Leave
from roster.storage.models.people import Person as PersonRow

CHANGE_WEIGHT = 1000  # one changed seat outweighs any fairness gain: re-plans move only what they must
FAIRNESS_SCALE = 10  # file weights are decimals; CP-SAT needs integers


class PlanningError(ValueError):
    """The horizon cannot be planned as asked (bad dates, missing holiday data); nothing was written."""


@dataclass(frozen=True)
class PlanningProblem:
    problem: Problem
    bureau: BureauFile
    start: dt.date
    days: int
    tz: str
    slots: tuple[ShiftSlot, ...]
    kinds: dict[dt.date, DayKind]
    requirements: dict[str, int]
    previous: dict[tuple[dt.date, str], list[StoredSeat]]  # stored seats inside the horizon
    outside: tuple[StoredSeat, ...]  # stored seats near the horizon (rest, months, consecutive)
    leaves: dict[str, list[Leave]]
    unavailable_why: dict[tuple[str, Cell], str]  # (person, cell) -> reason, for explanations
    frozen: frozenset[Cell]  # cells already started at ``now``: their people stay

    @property
    def end(self) -> dt.date:  # exclusive
        return self.start + dt.timedelta(days=self.days)

    def date_of(self, day: int) -> dt.date:
        return self.start + dt.timedelta(days=day)

    def cell_of(self, slot: ShiftSlot) -> Cell:
        return ((slot.duty_date - self.start).days, slot.slot)

    def slot_at(self, cell: Cell) -> ShiftSlot:
        return next(s for s in self.slots if self.cell_of(s) == cell)


def day_kinds(bureau: BureauFile, start: dt.date, days: int) -> dict[dt.date, DayKind]:
    calendar = HolidayCalendar.from_section(bureau.holidays)
    try:
        calendar.check_range(start, days)
        return {start + dt.timedelta(days=i): calendar.kind(start + dt.timedelta(days=i)) for i in range(days)}
    except HolidayDataMissing as exc:
        raise PlanningError(str(exc)) from None


def _month_days(start: dt.date, days: int) -> dict[tuple[int, int], frozenset[int]]:
    months: dict[tuple[int, int], set[int]] = defaultdict(set)
    for i in range(days):
        d = start + dt.timedelta(days=i)
        months[(d.year, d.month)].add(i)
    return {k: frozenset(v) for k, v in months.items()}


def _gap(a: tuple[dt.datetime, dt.datetime], b: tuple[dt.datetime, dt.datetime]) -> dt.timedelta:
    """Time between two intervals (negative when they overlap)."""
    return max(b[0] - a[1], a[0] - b[1])


def _rest_conflicts(slots: list[ShiftSlot], rest: dt.timedelta, cell_of) -> list[Conflict]:  # noqa: ANN001
    out = []
    for i, first in enumerate(slots):
        for second in slots[i + 1 :]:
            if second.starts_at - first.ends_at >= rest:
                break  # slots are in time order: later ones are even further away
            out.append(Conflict(cell_of(first), cell_of(second), "rest"))
    return out


def build_problem(session: Session, bureau: BureauFile, start: dt.date, days: int, now: dt.datetime) -> PlanningProblem:
    if days < 1:
        raise PlanningError("days must be at least 1")
    tz = bureau.bureau.timezone
    kinds = day_kinds(bureau, start, days)
    slots = generate_slots(start, days, bureau.shift_pattern, tz)
    rules = bureau.rules
    rest = dt.timedelta(hours=rules.min_rest_hours)
    requirements = {role: n for role, n in bureau.requirements.items() if n > 0}
    end = start + dt.timedelta(days=days)

    def cell_of(slot: ShiftSlot) -> Cell:
        return ((slot.duty_date - start).days, slot.slot)

    # Stored seats that can matter: the months touched, the rest margin and the consecutive run before.
    margin = dt.timedelta(days=int(rules.min_rest_hours // 24) + rules.max_consecutive_duties + 2)
    first = min(start.replace(day=1), start - margin)
    last_month_end = (end.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    last = max(last_month_end, end + margin)
    stored = seats_between(session, first, last)
    previous: dict[tuple[dt.date, str], list[StoredSeat]] = defaultdict(list)
    outside: list[StoredSeat] = []
    for seat in stored:
        if start <= seat.duty_date < end:
            previous[(seat.duty_date, seat.slot)].append(seat)
        else:
            outside.append(seat)

    active = set(session.scalars(select(PersonRow.id).where(PersonRow.active)))
    file_people = [p for p in bureau.people if p.id in active and set(p.roles) & set(requirements)]
    leaves = leave_by_person(session, start, end)
    frozen = frozenset(cell_of(s) for s in slots if s.starts_at <= now and previous.get((s.duty_date, s.slot)))
    months = _month_days(start, days)

    outside_by_person: dict[str, list[StoredSeat]] = defaultdict(list)
    for seat in outside:
        outside_by_person[seat.person].append(seat)
    unavailable_why: dict[tuple[str, Cell], str] = {}
    people: list[Person] = []
    for fp in file_people:
        why: dict[Cell, str] = {}
        for slot in slots:
            cell = cell_of(slot)
            if cell in frozen:
                held = {s.person for s in previous[(slot.duty_date, slot.slot)]}
                if fp.id not in held:
                    why[cell] = "shift already started"
                continue
            leave = on_leave(leaves, fp.id, slot.duty_date)
            if leave is not None:
                why[cell] = f"on leave {leave.first_day}..{leave.last_day}" + (
                    f" ({leave.reason})" if leave.reason else ""
                )
                continue
            for seat in outside_by_person[fp.id]:
                if _gap((seat.starts_at, seat.ends_at), (slot.starts_at, slot.ends_at)) < rest:
                    why[cell] = f"rest around the stored {seat.duty_date} duty"
                    break
        unavailable_why.update({(fp.id, cell): reason for cell, reason in why.items()})
        worked_before = 0
        mine = {s.duty_date for s in outside_by_person[fp.id]}
        while start - dt.timedelta(days=worked_before + 1) in mine:
            worked_before += 1
        limits = []
        for (year, month), month_days in months.items():
            already = sum(1 for s in outside_by_person[fp.id] if (s.duty_date.year, s.duty_date.month) == (year, month))
            limits.append(WindowLimit(f"{year}-{month:02d}", month_days, max(0, rules.max_duties_per_month - already)))
        people.append(
            Person(
                id=fp.id,
                roles=tuple(r for r in fp.roles if r in requirements),
                max_consecutive=rules.max_consecutive_duties,
                worked_before=worked_before,
                unavailable=frozenset(why),
                limits=tuple(limits),
            )
        )

    known = {p.id for p in people}
    cover = []
    for slot in slots:
        cell = cell_of(slot)
        for role, n in requirements.items():
            if cell in frozen:  # keep what is there; nothing to plan in a shift already under way
                n = sum(1 for s in previous[(slot.duty_date, slot.slot)] if s.role == role and s.person in known)
            cover.append(Cover(cell[0], cell[1], role, min=n, max=n))

    pairs = tuple(NotTogether(a, b) for a, b in rules.not_together if a in known and b in known)
    nominal = {s.slot: round(s.hours * 60) for s in reversed(slots)}  # minutes are informational here
    shift_types = tuple(ShiftType(name, minutes) for name, minutes in nominal.items())
    problem = Problem(
        days=days,
        shift_types=shift_types,
        roles=tuple(requirements),
        people=tuple(people),
        cover=tuple(cover),
        not_together=pairs,
        conflicts=tuple(_rest_conflicts(slots, rest, cell_of)) if rest > dt.timedelta(0) else (),
        fairness=_fairness_terms(session, bureau, start, slots, kinds, people, cover, cell_of),
        previous=_previous_solution(previous, start),
        change_weight=CHANGE_WEIGHT,
        name=f"{bureau.bureau.name} {start} +{days}d",
    )
    return PlanningProblem(
        problem=problem,
        bureau=bureau,
        start=start,
        days=days,
        tz=tz,
        slots=tuple(slots),
        kinds=kinds,
        requirements=requirements,
        previous=dict(previous),
        outside=tuple(outside),
        leaves=leaves,
        unavailable_why=unavailable_why,
        frozen=frozen,
    )


def slot_categories(slot: ShiftSlot, kind: DayKind) -> dict[str, bool]:
    """Which fairness categories a shift counts for. A holiday is not also a weekend; an adjusted workday
    (调休, a weekend day worked) is an ordinary day."""
    return {
        "duties": True,
        "nights": slot.is_night,
        "weekends": kind == DayKind.WEEKEND,
        "holidays": kind == DayKind.HOLIDAY,
    }


def _fairness_terms(session, bureau, start, slots, kinds, people, cover, cell_of) -> tuple[FairnessTerm, ...]:  # noqa: ANN001
    before = category_counts_before(session, start)
    weights = bureau.fairness.weights.model_dump()
    terms = []
    for category, weight in weights.items():
        scaled = round(weight * FAIRNESS_SCALE)
        cells = frozenset(cell_of(s) for s in slots if slot_categories(s, kinds[s.duty_date])[category])
        if not scaled or not cells:
            continue
        for role in dict.fromkeys(r for p in people for r in p.roles):
            group = tuple(p.id for p in people if role in p.roles)
            ledger = {}
            for pid in group:
                opening = bureau.fairness.ledger.get(pid)
                ledger[pid] = (getattr(opening, category) if opening else 0) + before.get(pid, {}).get(category, 0)
            total = None
            if all(len(p.roles) == 1 for p in people if p.id in group):  # then cover fixes the sum exactly
                total = sum(c.min for c in cover if c.role == role and (c.day, c.shift) in cells and c.min == c.max)
            terms.append(FairnessTerm(f"{category}/{role}", scaled, cells, group, ledger, total))
    return tuple(terms)


def _previous_solution(previous: dict[tuple[dt.date, str], list[StoredSeat]], start: dt.date) -> Solution | None:
    if not previous:
        return None
    out: dict[str, dict[int, Assignment]] = defaultdict(dict)
    for (day, slot), seats in previous.items():
        for seat in seats:
            out[seat.person][(day - start).days] = Assignment(slot, seat.role)
    return Solution(dict(out))
