"""Who is on duty: the leader on duty and duty officers at an instant, or on a local date.

Plain queries over stored shifts; no solver, no Prefect (``dutyflow now`` and escalation call these).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from roster.storage.models.people import Person
from roster.storage.models.shifts import Shift, ShiftAssignment

LEADER_ON_DUTY = "leader_on_duty"


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


def on_duty_at(session: Session, instant: dt.datetime) -> OnDuty:
    """The shift covering ``instant`` (UTC-aware) and its people; empty if no shift is planned then."""
    shift = session.scalars(
        select(Shift).where(Shift.starts_at <= instant, Shift.ends_at > instant).order_by(Shift.starts_at).limit(1)
    ).first()
    if shift is None:
        return OnDuty(at=instant, shift_uid=None, starts_at=None, ends_at=None)
    rows = session.execute(
        select(ShiftAssignment.role, Person.id, Person.name, Person.phone)
        .join(Person, Person.id == ShiftAssignment.person_id)
        .where(ShiftAssignment.shift_id == shift.id)
        .order_by(ShiftAssignment.role != LEADER_ON_DUTY, ShiftAssignment.role, ShiftAssignment.seat)
    ).all()
    people = [OnDutyPerson(person_id=pid, name=name, phone=phone, role=role) for role, pid, name, phone in rows]
    return OnDuty(at=instant, shift_uid=shift.uid, starts_at=shift.starts_at, ends_at=shift.ends_at, people=people)


def people_on_duty_on(session: Session, day: dt.date) -> set[str]:
    """Ids of everyone holding any shift that starts on local date ``day``."""
    return set(
        session.scalars(
            select(ShiftAssignment.person_id)
            .join(Shift, Shift.id == ShiftAssignment.shift_id)
            .where(Shift.duty_date == day)
        )
    )
