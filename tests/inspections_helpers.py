"""Set up a bureau in a test database the way ``dutyflow apply`` would (people, groups, leave, sites)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from sqlalchemy.orm import Session

from roster.admin.current import document_of
from roster.admin.schema import BureauFile
from roster.inspections.admin_apply import apply_section
from roster.storage.models.people import BureauConfig, Group, GroupMembership, Leave, Person
from roster.storage.models.shifts import Shift, ShiftAssignment
from tests.planning_helpers import seed_document

UTC = dt.UTC


def seed_bureau() -> BureauFile:
    return BureauFile.model_validate(seed_document())


def install_bureau(session: Session, bureau: BureauFile, now: dt.datetime) -> None:
    """People, groups, memberships, leave, the BureauConfig row and the inspection sites; commits."""
    for p in bureau.people:
        existing = session.get(Person, p.id)
        if existing is None:
            session.add(
                Person(id=p.id, name=p.name, phone=p.phone, roles=list(p.roles), locale=p.locale or "zh-CN",
                       channels=[c.model_dump() for c in p.channels])
            )  # fmt: skip
    session.flush()
    for g in bureau.groups:
        if session.get(Group, g.id) is None:
            session.add(Group(id=g.id, name=g.name, sector=g.sector, leader_id=g.leader))
    session.flush()
    for p in bureau.people:
        for gid in p.groups:
            session.add(GroupMembership(group_id=gid, person_id=p.id))
    for span in bureau.leave:
        session.add(Leave(person_id=span.person, first_day=span.first_day, last_day=span.last_day, reason=span.reason))
    document = document_of(bureau)
    sha = hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()
    session.add(BureauConfig(applied_at=now, sha256=sha, document=document))
    apply_section(session, bureau, now)
    session.commit()


def put_on_duty(session: Session, day: dt.date, people: dict[str, str]) -> None:
    """A 24 h shift on ``day`` (08:30 Shanghai) held by ``people`` {person: role}."""
    start = dt.datetime(day.year, day.month, day.day, 0, 30, tzinfo=UTC)
    shift = Shift(uid=f"{day:%Y%m%d}-full@dutyflow", duty_date=day, slot="full", starts_at=start,
                  ends_at=start + dt.timedelta(hours=24), changed_at=start)  # fmt: skip
    shift.assignments = [
        ShiftAssignment(role=role, seat=i, person_id=pid) for i, (pid, role) in enumerate(sorted(people.items()))
    ]
    session.add(shift)
    session.commit()
