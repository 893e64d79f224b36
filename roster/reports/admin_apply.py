"""Apply the admin file's ``reports:`` section: upsert reporting units (idempotent; removed units go inactive)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from roster.admin.schema import BureauFile
from roster.storage.models.reports import ReportUnit
from roster.timeutil import local_date_of


def _row_values(bureau: BureauFile, unit) -> dict:  # noqa: ANN001
    section = bureau.reports
    assert section is not None
    policy = section.policy_of(unit)
    person_contact = isinstance(unit.contact, str)
    return {
        "name": unit.name,
        "kind": unit.kind,
        "contact_person_id": unit.contact if person_contact else None,
        "contact": {} if person_contact else unit.contact.model_dump(mode="json"),
        "group_id": unit.group,
        "deadline": unit.deadline.strftime("%H:%M"),
        "grace_minutes": unit.grace,
        "days": unit.days,
        "policy_id": policy.id,
        "steps": [step.model_dump(mode="json") for step in policy.steps],
        "timezone": bureau.bureau.timezone,
        "active": True,
    }


def apply_section(session: Session, bureau: BureauFile, now: dt.datetime) -> list[str]:
    """Upsert every unit of the section in the caller's transaction; returns one line per change."""
    changes: list[str] = []
    units = bureau.reports.units if bureau.reports is not None else []
    existing = {u.id: u for u in session.scalars(select(ReportUnit))}
    today = local_date_of(now, bureau.bureau.timezone)
    for unit in units:
        values = _row_values(bureau, unit)
        row = existing.pop(unit.id, None)
        if row is None:
            session.add(ReportUnit(id=unit.id, active_from=unit.active_from or today, **values))
            changes.append(f"reports: added unit {unit.id} ({unit.name}), deadline {values['deadline']}")
            continue
        if unit.active_from is not None:
            values["active_from"] = unit.active_from
        elif not row.active:
            values["active_from"] = today  # reactivated: it owes nothing for the days it was gone
        changed = sorted(k for k, v in values.items() if getattr(row, k) != v)
        for key in changed:
            setattr(row, key, values[key])
        if changed:
            changes.append(f"reports: changed unit {unit.id}: {', '.join(changed)}")
    for row in existing.values():
        if row.active:
            row.active = False
            changes.append(f"reports: removed unit {row.id} (kept inactive with its history)")
    session.flush()
    return changes
