"""Upsert the admin file's sites into ``inspection_sites`` (called by the core ``dutyflow apply``).

Ids are stable: a changed site is updated in place, a removed one is deactivated (its visits and results
stay), a returning one is reactivated. Same file twice: no changes, no lines.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from roster.storage.models.inspections import InspectionSite

_FIELDS = ("name", "site_type", "sector", "address", "contact_name", "contact_phone")


def apply_section(session: Session, bureau, now: dt.datetime) -> list[str]:  # noqa: ANN001
    section = bureau.inspections
    wanted: dict[str, dict[str, str]] = {}
    if section is not None:
        for site in section.sites:
            wanted[site.id] = {
                "name": site.name,
                "site_type": site.type,
                "sector": section.sector_of(site),
                "address": site.address,
                "contact_name": site.contact.name,
                "contact_phone": site.contact.phone,
            }
    existing = {row.id: row for row in session.scalars(select(InspectionSite))}
    changes: list[str] = []
    added: list[dict] = []
    for site_id, values in wanted.items():
        row = existing.get(site_id)
        if row is None:
            added.append({"id": site_id, "active": True, "updated_at": now, **values})
            changes.append(f"inspections: site {site_id} added ({values['name']})")
            continue
        changed = [f for f in _FIELDS if getattr(row, f) != values[f]]
        if changed or not row.active:
            for f in changed:
                setattr(row, f, values[f])
            if not row.active:
                row.active = True
                changes.append(f"inspections: site {site_id} reactivated")
            if changed:
                changes.append(f"inspections: site {site_id} changed ({', '.join(changed)})")
            row.updated_at = now
    for site_id, row in sorted(existing.items()):
        if site_id not in wanted and row.active:
            row.active = False
            row.updated_at = now
            changes.append(f"inspections: site {site_id} deactivated ({row.name}); its history is kept")
    if added:  # one multi-row statement: a city's thousands of sites as ORM objects took most of an apply
        session.execute(insert(InspectionSite), added)
    session.flush()
    return changes
