"""Set up a bureau in a test database without the admin engineer's apply: people, leave, the file in force."""

from __future__ import annotations

import copy
import datetime as dt
import functools
import hashlib
import json
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from sqlalchemy.orm import Session

from roster.admin.current import document_of
from roster.admin.schema import BureauFile
from roster.storage.models.people import BureauConfig, Leave, Person

SEED = Path(__file__).resolve().parent.parent / "examples" / "chuxiong.yaml"


def seed_document() -> dict[str, Any]:
    """The seed file as plain data (YAML 1.2, as the admin loader reads it), a fresh copy each call."""
    return copy.deepcopy(_seed_document())


@functools.cache
def _seed_document() -> dict[str, Any]:  # parsed once per test process: ruamel's constructor takes 0.07-0.25 s
    return YAML(typ="safe").load(SEED.read_text(encoding="utf-8"))


def seed_bureau(**overrides: Any) -> BureauFile:
    data = seed_document()
    data.update(overrides)
    return BureauFile.model_validate(data)


def small_bureau(
    leaders: int = 3,
    officers: int = 5,
    *,
    tz: str = "Asia/Shanghai",
    rules: dict[str, Any] | None = None,
    requirements: dict[str, int] | None = None,
    leave: list[dict[str, Any]] | None = None,
    shift_pattern: dict[str, Any] | None = None,
    ledger: dict[str, Any] | None = None,
) -> BureauFile:
    people = [
        {"id": f"l{i}", "name": f"Leader {i}", "phone": f"1380000{i:04d}", "roles": ["leader_on_duty"]}
        for i in range(1, leaders + 1)
    ] + [
        {"id": f"o{i}", "name": f"Officer {i}", "phone": f"1390000{i:04d}", "roles": ["duty_officer"]}
        for i in range(1, officers + 1)
    ]
    data: dict[str, Any] = {
        "bureau": {"name": "Test bureau", "timezone": tz},
        "people": people,
        "requirements": requirements or {"leader_on_duty": 1, "duty_officer": 2},
        "rules": rules or {"min_rest_hours": 24, "max_consecutive_duties": 1, "max_duties_per_month": 31},
        "leave": leave or [],
    }
    if shift_pattern:
        data["shift_pattern"] = shift_pattern
    if ledger:
        data["fairness"] = {"ledger": ledger}
    return BureauFile.model_validate(data)


def stored_document(bureau: BureauFile) -> dict[str, Any]:
    """document_of, with clock times as HH:MM: on main (87f0157) document_of dumps "08:30:00", which the
    schema's HH:MM parser refuses when current_bureau re-validates it (reported to the lead)."""
    document = document_of(bureau)
    pattern = document["shift_pattern"]
    for key in ("handover", "night_starts"):
        if pattern.get(key):
            pattern[key] = pattern[key][:5]
    return document


def install_bureau(session: Session, bureau: BureauFile, now: dt.datetime) -> None:
    """People (active), leave and the applied document, as apply would leave them. Re-callable."""
    file_ids = {p.id for p in bureau.people}
    for row in session.query(Person).all():
        row.active = row.id in file_ids
    for p in bureau.people:
        row = session.get(Person, p.id)
        if row is None:
            session.add(Person(id=p.id, name=p.name, phone=p.phone, roles=list(p.roles), channels=[]))
        else:
            row.roles, row.active = list(p.roles), True
    session.query(Leave).delete()
    for lv in bureau.leave:
        session.add(Leave(person_id=lv.person, first_day=lv.first_day, last_day=lv.last_day, reason=lv.reason))
    document = stored_document(bureau)
    sha = hashlib.sha256(json.dumps(document, sort_keys=True, default=str).encode()).hexdigest()
    session.add(BureauConfig(applied_at=now, sha256=sha, document=document))
    session.commit()


def clear_roster(session: Session) -> None:
    """Forget every shift, audit entry, leave and applied file (hypothesis examples share one database)."""
    from roster.storage.models.shifts import AuditEntry, Shift, ShiftAssignment

    for model in (ShiftAssignment, Shift, AuditEntry, Leave, BureauConfig):
        session.query(model).delete()
    session.commit()


def stored_roster(session: Session) -> dict[tuple[dt.date, str], dict[str, Any]]:
    """(date, slot) -> {uid, revision, changed_at, starts_at, ends_at, seats: {(role, seat): (row id, person)}}."""
    from roster.storage.models.shifts import Shift
    from roster.timeutil import as_utc

    out = {}
    for shift in session.query(Shift).order_by(Shift.starts_at):
        out[(shift.duty_date, shift.slot)] = {
            "uid": shift.uid,
            "revision": shift.revision,
            "changed_at": as_utc(shift.changed_at),
            "starts_at": as_utc(shift.starts_at),
            "ends_at": as_utc(shift.ends_at),
            "seats": {(a.role, a.seat): (a.id, a.person_id) for a in shift.assignments},
        }
    return out
