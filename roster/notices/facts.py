"""Facts reminders and notices are computed from: stored shifts with their seats, and the people to tell."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from roster.admin.schema import LEADER_ON_DUTY, BureauFile
from roster.notices.texts import DutyLine
from roster.storage.models.people import Person
from roster.storage.models.shifts import Shift, ShiftAssignment
from roster.timeutil import as_utc


@dataclass(frozen=True)
class ShiftFacts:
    uid: str
    duty_date: dt.date
    starts_at: dt.datetime  # UTC
    ends_at: dt.datetime  # UTC
    revision: int
    seats: tuple[tuple[str, str], ...]  # (role, person id), leader on duty first

    def roles_of(self, person_id: str) -> list[str]:
        return [role for role, pid in self.seats if pid == person_id]


def load_shifts(session: Session, *where: ColumnElement[bool]) -> list[ShiftFacts]:
    """Stored shifts matching ``where`` (by start), each with its seats."""
    shifts = list(session.execute(select(Shift).where(*where).order_by(Shift.starts_at)).scalars())
    if not shifts:
        return []
    seats: dict[int, list[tuple[str, int, str]]] = {}
    for shift_id, role, seat, pid in session.execute(
        select(ShiftAssignment.shift_id, ShiftAssignment.role, ShiftAssignment.seat, ShiftAssignment.person_id).where(
            ShiftAssignment.shift_id.in_([s.id for s in shifts])
        )
    ):
        seats.setdefault(shift_id, []).append((role, seat, pid))
    out = []
    for s in shifts:
        ordered = sorted(seats.get(s.id, []), key=lambda r: (r[0] != LEADER_ON_DUTY, r[0], r[1]))
        seated = tuple((role, pid) for role, _, pid in ordered)
        out.append(ShiftFacts(s.uid, s.duty_date, as_utc(s.starts_at), as_utc(s.ends_at), s.revision, seated))
    return out


@dataclass(frozen=True)
class Recipient:
    id: str
    name: str
    locale: str  # "zh-CN" or "en"
    channel: dict[str, str] | None  # the first of the person's channels; None: no way to reach them


def recipients(session: Session) -> dict[str, Recipient]:
    """Every person by id (inactive ones too: they are still named on old shifts, but never messaged)."""
    out = {}
    for person in session.scalars(select(Person)):
        channel = person.channels[0] if person.active and person.channels else None
        out[person.id] = Recipient(person.id, person.name, "en" if person.locale == "en" else "zh-CN", channel)
    return out


class Lines:
    """Turns shifts into ``DutyLine`` for one reader's language (role names from the admin file)."""

    def __init__(self, bureau: BureauFile, people: dict[str, Recipient]) -> None:
        self.zone = zoneinfo.ZoneInfo(bureau.bureau.timezone)
        self.people = people
        self.role_names = {
            "zh-CN": {r.id: r.name for r in bureau.roles},
            "en": {r.id: r.name_en or r.id.replace("_", " ").capitalize() for r in bureau.roles},
        }

    def line(self, shift: ShiftFacts, role: str, locale: str) -> DutyLine:
        names = self.role_names[locale]
        team = [(names.get(r, r), self.people[p].name if p in self.people else p) for r, p in shift.seats]
        start, end = shift.starts_at.astimezone(self.zone), shift.ends_at.astimezone(self.zone)
        return DutyLine(start, end, names.get(role, role), team)
