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


@dataclass(frozen=True)
class PlanningFacts:
    """Everything ``decide_problem`` needs, gathered from the database up front."""

    bureau: BureauFile
    start: dt.date
    days: int
    now: dt.datetime
    kinds: dict[dt.date, DayKind]
    slots: tuple[ShiftSlot, ...]
    stored: tuple[StoredSeat, ...]  # stored seats that can matter (see ``stored_window``)
    active: frozenset[str]  # ids of active people
    leaves: dict[str, list[Leave]]
    counts_before: dict[str, dict[str, int]]  # fairness categories of stored duties before ``start``


def build_problem(session: Session, bureau: BureauFile, start: dt.date, days: int, now: dt.datetime) -> PlanningProblem:
    """Gather the planning facts for ``days`` from ``start`` and turn them into a solver problem."""
    return decide_problem(gather_facts(session, bureau, start, days, now))


def gather_facts(session: Session, bureau: BureauFile, start: dt.date, days: int, now: dt.datetime) -> PlanningFacts:
    if days < 1:
        raise PlanningError("days must be at least 1")
    end = start + dt.timedelta(days=days)
    first, last = stored_window(bureau, start, end)
    return PlanningFacts(
        bureau=bureau,
        start=start,
        days=days,
        now=now,
        kinds=day_kinds(bureau, start, days),
        slots=tuple(generate_slots(start, days, bureau.shift_pattern, bureau.bureau.timezone)),
        stored=tuple(seats_between(session, first, last)),
        active=frozenset(session.scalars(select(PersonRow.id).where(PersonRow.active))),
        leaves=leave_by_person(session, start, end),
        counts_before=category_counts_before(session, start),
    )


def stored_window(bureau: BureauFile, start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """Stored seats that can matter: the months touched, the rest margin and the consecutive run before."""
    rules = bureau.rules
    margin = dt.timedelta(days=int(rules.min_rest_hours // 24) + rules.max_consecutive_duties + 2)
    last_month_end = (end.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return min(start.replace(day=1), start - margin), max(last_month_end, end + margin)


def decide_problem(facts: PlanningFacts) -> PlanningProblem:
    """Pure: the solver problem for the gathered facts (availability, limits, cover, fairness, previous)."""
    bureau, start, slots = facts.bureau, facts.start, facts.slots
    rest = dt.timedelta(hours=bureau.rules.min_rest_hours)
    requirements = {role: n for role, n in bureau.requirements.items() if n > 0}
    end = start + dt.timedelta(days=facts.days)
    previous: dict[tuple[dt.date, str], list[StoredSeat]] = defaultdict(list)
    outside: list[StoredSeat] = []
    for seat in facts.stored:
        if start <= seat.duty_date < end:
            previous[(seat.duty_date, seat.slot)].append(seat)
        else:
            outside.append(seat)
    cell_of = _cell_function(start)
    frozen = frozenset(cell_of(s) for s in slots if s.starts_at <= facts.now and previous.get((s.duty_date, s.slot)))
    outside_by_person: dict[str, list[StoredSeat]] = defaultdict(list)
    for seat in outside:
        outside_by_person[seat.person].append(seat)
    context = _PersonContext(facts, requirements, rest, previous, frozen, _month_days(start, facts.days))
    unavailable_why: dict[tuple[str, Cell], str] = {}
    people: list[Person] = []
    for fp in bureau.people:
        if fp.id in facts.active and set(fp.roles) & set(requirements):
            person, why = context.person(fp, outside_by_person[fp.id])
            people.append(person)
            unavailable_why.update({(fp.id, cell): reason for cell, reason in why.items()})
    cover = _cover(slots, requirements, frozen, previous, {p.id for p in people}, cell_of)
    known = {p.id for p in people}
    problem = Problem(
        days=facts.days,
        shift_types=tuple(ShiftType(name, minutes) for name, minutes in _nominal_minutes(slots).items()),
        roles=tuple(requirements),
        people=tuple(people),
        cover=tuple(cover),
        not_together=tuple(NotTogether(a, b) for a, b in bureau.rules.not_together if a in known and b in known),
        conflicts=tuple(_rest_conflicts(list(slots), rest, cell_of)) if rest > dt.timedelta(0) else (),
        fairness=_fairness_terms(facts.counts_before, bureau, slots, facts.kinds, people, cover, cell_of),
        previous=_previous_solution(previous, start),
        change_weight=CHANGE_WEIGHT,
        name=f"{bureau.bureau.name} {start} +{facts.days}d",
    )
    return PlanningProblem(
        problem=problem,
        bureau=bureau,
        start=start,
        days=facts.days,
        tz=bureau.bureau.timezone,
        slots=slots,
        kinds=facts.kinds,
        requirements=requirements,
        previous=dict(previous),
        outside=tuple(outside),
        leaves=facts.leaves,
        unavailable_why=unavailable_why,
        frozen=frozen,
    )


def _cell_function(start: dt.date):  # noqa: ANN202 - ShiftSlot -> Cell
    def cell_of(slot: ShiftSlot) -> Cell:
        return ((slot.duty_date - start).days, slot.slot)

    return cell_of


def _nominal_minutes(slots: tuple[ShiftSlot, ...]) -> dict[str, int]:
    """Each shift type's length in minutes (informational; the first slot of a type gives it)."""
    return {s.slot: round(s.hours * 60) for s in reversed(slots)}


@dataclass(frozen=True)
class _PersonContext:
    facts: PlanningFacts
    requirements: dict[str, int]
    rest: dt.timedelta
    previous: dict[tuple[dt.date, str], list[StoredSeat]]
    frozen: frozenset[Cell]
    months: dict[tuple[int, int], frozenset[int]]

    def person(self, fp, outside: list[StoredSeat]) -> tuple[Person, dict[Cell, str]]:  # noqa: ANN001
        """The solver's view of one person: unavailable cells (with why), the run before, monthly limits."""
        rules = self.facts.bureau.rules
        why = dict(filter(None, (self._unavailable(fp.id, slot, outside) for slot in self.facts.slots)))
        worked_before = 0
        mine = {s.duty_date for s in outside}
        while self.facts.start - dt.timedelta(days=worked_before + 1) in mine:
            worked_before += 1
        limits = []
        for (year, month), month_days in self.months.items():
            already = sum(1 for s in outside if (s.duty_date.year, s.duty_date.month) == (year, month))
            limits.append(WindowLimit(f"{year}-{month:02d}", month_days, max(0, rules.max_duties_per_month - already)))
        person = Person(
            id=fp.id,
            roles=tuple(r for r in fp.roles if r in self.requirements),
            max_consecutive=rules.max_consecutive_duties,
            worked_before=worked_before,
            unavailable=frozenset(why),
            limits=tuple(limits),
        )
        return person, why

    def _unavailable(self, person_id: str, slot: ShiftSlot, outside: list[StoredSeat]) -> tuple[Cell, str] | None:
        """Why ``person_id`` cannot take ``slot`` (a shift under way, leave, rest around a stored duty)."""
        cell = ((slot.duty_date - self.facts.start).days, slot.slot)
        if cell in self.frozen:
            held = {s.person for s in self.previous[(slot.duty_date, slot.slot)]}
            return None if person_id in held else (cell, "shift already started")
        leave = on_leave(self.facts.leaves, person_id, slot.duty_date)
        if leave is not None:
            reason = f" ({leave.reason})" if leave.reason else ""
            return cell, f"on leave {leave.first_day}..{leave.last_day}{reason}"
        for seat in outside:
            if _gap((seat.starts_at, seat.ends_at), (slot.starts_at, slot.ends_at)) < self.rest:
                return cell, f"rest around the stored {seat.duty_date} duty"
        return None


def _cover(slots, requirements, frozen, previous, known, cell_of) -> list[Cover]:  # noqa: ANN001
    cover = []
    for slot in slots:
        cell = cell_of(slot)
        for role, n in requirements.items():
            if cell in frozen:  # keep what is there; nothing to plan in a shift already under way
                n = sum(1 for s in previous[(slot.duty_date, slot.slot)] if s.role == role and s.person in known)
            cover.append(Cover(cell[0], cell[1], role, min=n, max=n))
    return cover


def slot_categories(slot: ShiftSlot, kind: DayKind) -> dict[str, bool]:
    """Which fairness categories a shift counts for. A holiday is not also a weekend; an adjusted workday
    (调休, a weekend day worked) is an ordinary day."""
    return {
        "duties": True,
        "nights": slot.is_night,
        "weekends": kind == DayKind.WEEKEND,
        "holidays": kind == DayKind.HOLIDAY,
    }


def _fairness_terms(before, bureau, slots, kinds, people, cover, cell_of) -> tuple[FairnessTerm, ...]:  # noqa: ANN001
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
