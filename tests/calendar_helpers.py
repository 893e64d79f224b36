"""Test fixtures for calendar feeds: the seed bureau in the database and a planned roster built directly."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from roster.admin.current import document_of
from roster.admin.schema import BureauFile
from roster.shifts import generate_slots
from roster.storage.models.people import BureauConfig, Group, GroupMembership, Person
from roster.storage.models.shifts import Shift, ShiftAssignment

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "chuxiong.yaml"
UTC = dt.UTC


def load_example(**calendar: object) -> BureauFile:
    raw = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    if calendar:
        raw["calendar"] = {**(raw.get("calendar") or {}), **calendar}
    return BureauFile.model_validate(raw)


def apply_bureau(session: Session, bureau: BureauFile, now: dt.datetime) -> None:
    """What the admin apply does for our purposes: people, groups, memberships and the config row."""
    for p in bureau.people:
        person = session.get(Person, p.id) or Person(id=p.id)
        person.name, person.phone, person.email, person.rank = p.name, p.phone, p.email, p.rank
        person.roles, person.locale = list(p.roles), p.locale or bureau.bureau.locale
        person.calendar_reminder_minutes, person.channels, person.active = p.calendar_reminder_minutes, [], True
        session.merge(person)
    session.flush()
    for g in bureau.groups:
        session.merge(Group(id=g.id, name=g.name, sector=g.sector, leader_id=g.leader, active=True))
    session.flush()
    existing = set(session.execute(select(GroupMembership.group_id, GroupMembership.person_id)).tuples())
    for p in bureau.people:
        for gid in p.groups:
            if (gid, p.id) not in existing:
                session.add(GroupMembership(group_id=gid, person_id=p.id))
    document = document_of(bureau)
    sha = hashlib.sha256(json.dumps(document, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    session.add(BureauConfig(applied_at=now, sha256=sha, document=document))
    session.flush()


def plan(session: Session, bureau: BureauFile, start: dt.date, days: int, changed_at: dt.datetime) -> list[Shift]:
    """A simple rotation: leader p01..p08 and two officers p09..p44 per shift."""
    leaders = [p.id for p in bureau.people if "leader_on_duty" in p.roles]
    officers = [p.id for p in bureau.people if "duty_officer" in p.roles]
    shifts = []
    for i, slot in enumerate(generate_slots(start, days, bureau.shift_pattern, bureau.bureau.timezone)):
        shift = Shift(
            uid=slot.uid,
            duty_date=slot.duty_date,
            slot=slot.slot,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            changed_at=changed_at,
            revision=1,
        )
        shift.assignments = [
            ShiftAssignment(role="leader_on_duty", seat=0, person_id=leaders[i % len(leaders)]),
            ShiftAssignment(role="duty_officer", seat=0, person_id=officers[(2 * i) % len(officers)]),
            ShiftAssignment(role="duty_officer", seat=1, person_id=officers[(2 * i + 1) % len(officers)]),
        ]
        session.add(shift)
        shifts.append(shift)
    session.flush()
    return shifts


def reassign(session: Session, uid: str, role: str, seat: int, person_id: str, now: dt.datetime) -> Shift:
    """A re-plan of one seat, the way the planner records it: new person, revision + 1, changed_at = now."""
    shift = session.scalars(select(Shift).where(Shift.uid == uid)).one()
    assignment = next(a for a in shift.assignments if a.role == role and a.seat == seat)
    assignment.person_id = person_id
    shift.revision += 1
    shift.changed_at = now
    session.flush()
    return shift


def seat_holder(session: Session, uid: str, role: str, seat: int) -> str:
    shift = session.scalars(select(Shift).where(Shift.uid == uid)).one()
    return next(a.person_id for a in shift.assignments if a.role == role and a.seat == seat)
