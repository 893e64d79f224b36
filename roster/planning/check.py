"""Hard-rule checks on stored shifts: gaps in cover and rule violations, named by rule, date and person.

Used by ``dutyflow coverage`` for a whole range and by swaps for the seats a swap would create. The
checks read stored facts only, so they also catch rosters edited by hand or planned under older rules.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from roster.admin.schema import BureauFile
from roster.planning.stored import StoredSeat, leave_by_person, on_leave, seats_between
from roster.shifts import generate_slots
from roster.storage.models.people import Leave
from roster.storage.models.people import Person as PersonRow

RULES = ("gap", "role", "leave", "double_seat", "rest", "consecutive", "monthly_max", "not_together")


@dataclass(frozen=True)
class Violation:
    rule: str  # one of RULES
    date: dt.date
    message: str
    people: tuple[str, ...] = ()


@dataclass
class Context:
    """Everything seat checks need: the bureau, leave, who is active, and all seats near the dates checked."""

    bureau: BureauFile
    leaves: dict[str, list[Leave]]
    active: set[str]
    seats: list[StoredSeat]

    def __post_init__(self) -> None:
        self.by_person: dict[str, list[StoredSeat]] = defaultdict(list)
        self.by_shift: dict[tuple[dt.date, str], list[StoredSeat]] = defaultdict(list)
        for s in self.seats:
            self.by_person[s.person].append(s)
            self.by_shift[(s.duty_date, s.slot)].append(s)


def load_context(session: Session, bureau: BureauFile, first: dt.date, last: dt.date) -> Context:
    """Seats from a margin before ``first`` (rest, consecutive runs, whole months) to after ``last``."""
    rules = bureau.rules
    margin = dt.timedelta(days=int(rules.min_rest_hours // 24) + rules.max_consecutive_duties + 2)
    lo = min(first.replace(day=1), first - margin)
    hi = max((last.replace(day=28) + dt.timedelta(days=4)).replace(day=1), last + margin)
    active = set(session.scalars(select(PersonRow.id).where(PersonRow.active)))
    return Context(bureau, leave_by_person(session, lo, hi), active, seats_between(session, lo, hi))


def seat_violations(ctx: Context, seat: StoredSeat) -> list[Violation]:
    """What is wrong with ``seat`` given every other seat in ``ctx`` (which must already include it)."""
    return [v for rule in _SEAT_RULES for v in rule(ctx, seat)]


def _membership(ctx: Context, seat: StoredSeat) -> list[Violation]:
    pid, day = seat.person, seat.duty_date
    person = ctx.bureau.person(pid)
    if person is None or pid not in ctx.active:
        return [Violation("role", day, f"{pid} is not an active member of the bureau", (pid,))]
    if seat.role not in person.roles:
        why = f"{pid} may not take the role {seat.role} (roles: {', '.join(person.roles)})"
        return [Violation("role", day, why, (pid,))]
    return []


def _leave(ctx: Context, seat: StoredSeat) -> list[Violation]:
    leave = on_leave(ctx.leaves, seat.person, seat.duty_date)
    if leave is None:
        return []
    why = f" ({leave.reason})" if leave.reason else ""
    text = f"{seat.person} is on leave {leave.first_day}..{leave.last_day}{why}"
    return [Violation("leave", seat.duty_date, text, (seat.person,))]


def _rest(ctx: Context, seat: StoredSeat) -> list[Violation]:
    pid, day, rules = seat.person, seat.duty_date, ctx.bureau.rules
    mine = [s for s in ctx.by_person[pid] if s is not seat]
    out: list[Violation] = []
    if any((s.duty_date, s.slot) == (day, seat.slot) for s in mine):
        out.append(Violation("double_seat", day, f"{pid} would hold two seats on the {day} {seat.slot} shift", (pid,)))
    rest = dt.timedelta(hours=rules.min_rest_hours)
    for other in mine:
        if (other.duty_date, other.slot) == (day, seat.slot):
            continue
        gap = max(other.starts_at - seat.ends_at, seat.starts_at - other.ends_at)
        if gap < rest:
            between = f"the {min(day, other.duty_date)} and {max(day, other.duty_date)} duties"
            text = f"{pid}: only {gap.total_seconds() / 3600:g} h between {between} "
            out.append(Violation("rest", day, text + f"(min_rest_hours {rules.min_rest_hours:g})", (pid,)))
    return out


def _consecutive(ctx: Context, seat: StoredSeat) -> list[Violation]:
    pid, day, limit = seat.person, seat.duty_date, ctx.bureau.rules.max_consecutive_duties
    dates = {s.duty_date for s in ctx.by_person[pid]}
    run_start = day
    while run_start - dt.timedelta(days=1) in dates:
        run_start -= dt.timedelta(days=1)
    run_end = day
    while run_end + dt.timedelta(days=1) in dates:
        run_end += dt.timedelta(days=1)
    run = (run_end - run_start).days + 1
    if run <= limit:
        return []
    text = f"{pid}: {run} duty days in a row {run_start}..{run_end} (max_consecutive_duties {limit})"
    return [Violation("consecutive", day, text, (pid,))]


def _monthly(ctx: Context, seat: StoredSeat) -> list[Violation]:
    pid, day, limit = seat.person, seat.duty_date, ctx.bureau.rules.max_duties_per_month
    in_month = sum(1 for s in ctx.by_person[pid] if (s.duty_date.year, s.duty_date.month) == (day.year, day.month))
    if in_month <= limit:
        return []
    text = f"{pid}: {in_month} duties in {day:%Y-%m} (max_duties_per_month {limit})"
    return [Violation("monthly_max", day, text, (pid,))]


def _not_together(ctx: Context, seat: StoredSeat) -> list[Violation]:
    pid, day = seat.person, seat.duty_date
    together = {s.person for s in ctx.by_shift[(day, seat.slot)] if s is not seat}
    out = []
    for a, b in ctx.bureau.rules.not_together:
        other = b if a == pid else a if b == pid else None
        if other in together:
            out.append(
                Violation("not_together", day, f"{pid} and {other} may not be on duty together ({day})", (pid, other))
            )
    return out


# In the order their violations are listed.
_SEAT_RULES = (_membership, _leave, _rest, _consecutive, _monthly, _not_together)


def coverage(session: Session, bureau: BureauFile, start: dt.date, days: int) -> list[Violation]:
    """Every gap (a slot without a shift, a role short of its requirement) and every broken rule."""
    last = start + dt.timedelta(days=days - 1)
    ctx = load_context(session, bureau, start, last)
    out: list[Violation] = []
    for slot in generate_slots(start, days, bureau.shift_pattern, bureau.bureau.timezone):
        seats = ctx.by_shift.get((slot.duty_date, slot.slot), [])
        label = "" if slot.slot == "full" else f" {slot.slot}"
        if not seats:
            out.append(Violation("gap", slot.duty_date, f"{slot.duty_date}{label}: no shift planned"))
            continue
        stored = seats[0]
        if (stored.starts_at, stored.ends_at) != (slot.starts_at, slot.ends_at):
            out.append(
                Violation(
                    "gap",
                    slot.duty_date,
                    f"{slot.duty_date}{label}: stored times differ from the shift pattern; re-plan",
                )
            )
        for role, need in bureau.requirements.items():
            have = sum(1 for s in seats if s.role == role)
            if have < need:
                out.append(
                    Violation("gap", slot.duty_date, f"{slot.duty_date}{label} {role}: {have} of {need} seats filled")
                )
    seen = set()
    for seat in ctx.seats:
        if start <= seat.duty_date <= last:
            for v in seat_violations(ctx, seat):
                key = (v.rule, v.message) if v.rule != "rest" else (v.rule, v.message.split(":")[0], v.message)
                if key not in seen:
                    seen.add(key)
                    out.append(v)
    return sorted(out, key=lambda v: (v.date, RULES.index(v.rule), v.message))
