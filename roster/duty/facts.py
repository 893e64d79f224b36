"""Facts every duty decision starts from: the section in force, shifts with their people, contacts.

Gathered up front in a few queries; the decisions in ``checkin``, ``rollcall``, ``handover`` and ``check``
are plain functions over these values.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from roster.admin.current import NoBureauApplied, current_bureau
from roster.duty.schema import DutySection
from roster.storage.models.people import Person
from roster.storage.models.shifts import Shift, ShiftAssignment

LEADER_ON_DUTY = "leader_on_duty"


class DutyError(ValueError):
    """A refused request: ``field`` names what was wrong; the message is Chinese first, then English."""

    status = 422

    def __init__(self, field: str, zh: str, en: str, status: int | None = None) -> None:
        super().__init__(f"{field}: {zh} ({en})")
        self.field, self.zh, self.en = field, zh, en
        if status is not None:
            self.status = status

    def message(self, locale: str = "zh-CN") -> str:
        return self.en if locale == "en" else self.zh


@dataclass(frozen=True)
class DutySettings:
    """The admin file's duty section and what it needs from the rest of the file."""

    section: DutySection
    timezone: str
    head_id: str | None
    bureau_name: str


def duty_settings(session: Session, *, required: bool = True) -> DutySettings | None:
    """The section in force; ``None`` (or a clear error when ``required``) if the file has none."""
    try:
        bureau = current_bureau(session)
    except NoBureauApplied:
        if required:
            raise DutyError(
                "admin file", "尚未导入管理文件：请先运行 dutyflow apply FILE", "no admin file applied yet"
            ) from None
        return None
    if bureau.duty is None:
        if required:
            raise DutyError("duty", "管理文件没有 duty: 段，值班管理未启用", "the admin file has no duty: section")
        return None
    return DutySettings(bureau.duty, bureau.bureau.timezone, bureau.bureau.head, bureau.bureau.name)


@dataclass(frozen=True)
class ShiftFacts:
    uid: str
    duty_date: dt.date
    slot: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    people: tuple[tuple[str, str], ...]  # (person id, role), leader first

    @property
    def leader_id(self) -> str | None:
        return next((p for p, role in self.people if role == LEADER_ON_DUTY), None)

    def role_of(self, person_id: str) -> str | None:
        return next((role for p, role in self.people if p == person_id), None)

    def covers(self, instant: dt.datetime) -> bool:
        return self.starts_at <= instant < self.ends_at


def _plain(instant: dt.datetime) -> dt.datetime:
    return dt.datetime.fromtimestamp(instant.timestamp(), tz=dt.UTC)


def shifts_between(session: Session, start: dt.datetime, end: dt.datetime) -> list[ShiftFacts]:
    """Shifts overlapping ``[start, end)`` with their people, in time order (two queries)."""
    shifts = session.execute(
        select(Shift.id, Shift.uid, Shift.duty_date, Shift.slot, Shift.starts_at, Shift.ends_at)
        .where(Shift.starts_at < end, Shift.ends_at > start)
        .order_by(Shift.starts_at)
    ).all()
    if not shifts:
        return []
    seats: dict[int, list[tuple[str, str]]] = {}
    for shift_id, person_id, role in session.execute(
        select(ShiftAssignment.shift_id, ShiftAssignment.person_id, ShiftAssignment.role)
        .where(ShiftAssignment.shift_id.in_([s.id for s in shifts]))
        .order_by(
            ShiftAssignment.shift_id, ShiftAssignment.role != LEADER_ON_DUTY, ShiftAssignment.role, ShiftAssignment.seat
        )
    ):
        seats.setdefault(shift_id, []).append((person_id, role))
    return [
        ShiftFacts(s.uid, s.duty_date, s.slot, _plain(s.starts_at), _plain(s.ends_at), tuple(seats.get(s.id, [])))
        for s in shifts
    ]


def shift_at(session: Session, instant: dt.datetime) -> ShiftFacts | None:
    found = shifts_between(session, instant, instant + dt.timedelta(microseconds=1))
    return found[0] if found else None


def shift_by_uid(session: Session, uid: str) -> ShiftFacts | None:
    row = session.execute(select(Shift.starts_at).where(Shift.uid == uid)).first()
    return shift_at(session, _plain(row.starts_at)) if row else None


@dataclass(frozen=True)
class Contact:
    person_id: str
    name: str
    phone: str
    locale: str
    channels: tuple[tuple[str, str], ...]  # (kind, target), the first is used, the rest are fallbacks
    roles: tuple[str, ...] = ()
    active: bool = True


def contacts(session: Session, ids: set[str] | None = None) -> dict[str, Contact]:
    stmt = select(Person.id, Person.name, Person.phone, Person.locale, Person.channels, Person.roles, Person.active)
    if ids is not None:
        stmt = stmt.where(Person.id.in_(ids))
    return {
        row.id: Contact(
            row.id,
            row.name,
            row.phone,
            row.locale or "zh-CN",
            tuple((c["kind"], c["target"]) for c in row.channels or []),
            tuple(row.roles or []),
            row.active,
        )
        for row in session.execute(stmt)
    }


def person_or_error(session: Session, person_id: str, field: str) -> Contact:
    found = contacts(session, {person_id}).get(person_id)
    if found is None or not found.active:
        raise DutyError(field, f"没有在职人员 {person_id!r}", f"no active person {person_id!r}", status=404)
    return found


def write_lock(session: Session, key: int = 7420) -> None:
    """Serialize writers of the duty ledgers: a transaction-scoped advisory lock on PostgreSQL; on SQLite a
    write that changes nothing takes the database's write lock before anything is read."""
    from sqlalchemy import text

    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    else:
        session.execute(text("UPDATE duty_secrets SET id = id WHERE 0"))
