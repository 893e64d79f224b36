"""Who is on duty: the leader on duty and duty officers at an instant, or on a local date.

Plain queries over stored shifts; no solver, no Prefect (``dutyflow now`` and escalation call these). The
instant query is one SQL statement run either through a SQLAlchemy session or through a plain DB-API
connection (``roster.storage.plain``: ``dutyflow now`` imports no SQLAlchemy); this module imports neither.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from roster.storage.plain import PlainConnection

LEADER_ON_DUTY = "leader_on_duty"

# The shift covering :at (the earliest, should two overlap) and its seats, leader on duty first. A shift
# without seats yields one row whose seat columns are NULL.
ON_DUTY_SQL = """
SELECT s.uid, s.starts_at, s.ends_at, a.role, p.id, p.name, p.phone
FROM shifts AS s
LEFT JOIN shift_assignments AS a ON a.shift_id = s.id
LEFT JOIN people AS p ON p.id = a.person_id
WHERE s.id = (SELECT id FROM shifts WHERE starts_at <= :at AND ends_at > :at ORDER BY starts_at LIMIT 1)
ORDER BY a.role <> 'leader_on_duty', a.role, a.seat
"""


@dataclass(frozen=True)
class OnDutyPerson:
    person_id: str
    name: str
    phone: str
    role: str


@dataclass(frozen=True)
class OnDuty:
    at: dt.datetime
    shift_uid: str | None
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    people: list[OnDutyPerson] = field(default_factory=list)

    @property
    def leader_on_duty(self) -> OnDutyPerson | None:
        return next((p for p in self.people if p.role == LEADER_ON_DUTY), None)

    @property
    def officers(self) -> list[OnDutyPerson]:
        return [p for p in self.people if p.role != LEADER_ON_DUTY]


def on_duty_from_rows(instant: dt.datetime, rows: Iterable[tuple[Any, ...]]) -> OnDuty:
    """``ON_DUTY_SQL``'s rows (instants already aware UTC) as an ``OnDuty``; no rows: nothing planned."""
    rows = list(rows)
    if not rows:
        return OnDuty(at=instant, shift_uid=None, starts_at=None, ends_at=None)
    uid, starts_at, ends_at = rows[0][:3]
    people = [
        OnDutyPerson(person_id=pid, name=name, phone=phone, role=role)
        for _, _, _, role, pid, name, phone in rows
        if pid is not None
    ]
    return OnDuty(at=instant, shift_uid=uid, starts_at=starts_at, ends_at=ends_at, people=people)


def on_duty_at(session: Session, instant: dt.datetime) -> OnDuty:
    """The shift covering ``instant`` (UTC-aware) and its people; empty if no shift is planned then."""
    from sqlalchemy import bindparam, text

    from roster.storage.base import UTCDateTime

    statement = text(ON_DUTY_SQL).bindparams(bindparam("at", type_=UTCDateTime))
    rows = session.execute(statement, {"at": instant}).all()
    return on_duty_from_rows(instant, [(u, _utc(s), _utc(e), *rest) for u, s, e, *rest in rows])


def on_duty_plain(connection: PlainConnection, instant: dt.datetime) -> OnDuty:
    """``on_duty_at`` over a plain DB-API connection (the ``dutyflow now`` fast path)."""
    rows = connection.rows(ON_DUTY_SQL, at=instant)
    return on_duty_from_rows(
        instant, [(u, connection.instant(s), connection.instant(e), *rest) for u, s, e, *rest in rows]
    )


def _utc(value: Any) -> dt.datetime:
    from roster.storage.plain import PlainConnection

    return PlainConnection.instant(value)


def people_on_duty_on(session: Session, day: dt.date) -> set[str]:
    """Ids of everyone holding any shift that starts on local date ``day``."""
    from sqlalchemy import select

    from roster.storage.models.shifts import Shift, ShiftAssignment

    return set(
        session.scalars(
            select(ShiftAssignment.person_id)
            .join(Shift, Shift.id == ShiftAssignment.shift_id)
            .where(Shift.duty_date == day)
        )
    )
