"""What a person sees of an incident: its facts, severity history, reports, open clocks and the timeline (with
each delivery's state read from the outbox). Shared by ``incidents show``, the incident page and the .docx."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from roster.incidents.clocks import Clock, open_clocks
from roster.incidents.ledger import facts_of, get_incident
from roster.incidents.reports import name_of, reports_of
from roster.storage.models.incidents import CLOSED, Incident, IncidentEvent, IncidentLevel, IncidentReport
from roster.storage.models.outbox import OutboxMessage
from roster.storage.models.people import Person


@dataclass(frozen=True)
class IncidentView:
    incident: Incident
    level_name: str
    levels: list[IncidentLevel]
    reports: list[IncidentReport]
    clocks: list[Clock]
    timeline: list[dict[str, Any]]
    names: dict[str, str]  # person id -> name, for everyone mentioned

    def person(self, person_id: str | None) -> str:
        return self.names.get(person_id or "", person_id or "")

    def as_dict(self, now: dt.datetime) -> dict[str, Any]:
        i = self.incident
        return {
            "id": i.id,
            "code": i.code,
            "title": i.title,
            "category": i.category,
            "source": i.source,
            "place": i.place,
            "facts": i.facts,
            "severity": i.level_id,
            "severity_name": self.level_name,
            "status": i.status,
            "received_at": i.received_at.isoformat(),
            "registered_at": i.registered_at.isoformat(),
            "registered_by": i.registered_by,
            "phone_reported_at": i.phone_reported_at.isoformat() if i.phone_reported_at else None,
            "ended_at": i.ended_at.isoformat() if i.ended_at else None,
            "closed_at": i.closed_at.isoformat() if i.closed_at else None,
            "severity_history": [
                {"severity": lv.level_id, "at": lv.changed_at.isoformat(), "by": lv.changed_by, "reason": lv.reason}
                for lv in self.levels
            ],
            "reports": [report_dict(r) for r in self.reports],
            "clocks": [
                {"clock": c.key, "name": c.label(), "due_at": c.due_at.isoformat(), "overdue": c.overdue(now)}
                for c in self.clocks
            ],
            "timeline": self.timeline,
        }


def report_dict(r: IncidentReport) -> dict[str, Any]:
    return {
        "id": r.id,
        "name": name_of(r),
        "kind": r.kind,
        "seq": r.seq,
        "status": r.status,
        "version": r.version,
        "fields": r.fields,
        "text": r.text,
        "drafted_at": r.drafted_at.isoformat(),
        "drafted_by": r.drafted_by,
        "signed_at": r.signed_at.isoformat() if r.signed_at else None,
        "signed_by": r.signed_by,
        "sent_at": r.sent_at.isoformat() if r.sent_at else None,
        "due_at": r.due_at.isoformat() if r.due_at else None,
        "on_time": r.on_time,
    }


def _timeline(session: Session, incident_id: int) -> list[dict[str, Any]]:
    events = session.scalars(
        select(IncidentEvent)
        .where(IncidentEvent.incident_id == incident_id)
        .order_by(IncidentEvent.at, IncidentEvent.id)
    ).all()
    keys = [e.outbox_key for e in events if e.outbox_key]
    delivery = {
        row.dedup_key: (row.status, row.sent_at)
        for row in session.execute(
            select(OutboxMessage.dedup_key, OutboxMessage.status, OutboxMessage.sent_at).where(
                OutboxMessage.dedup_key.in_(keys)
            )
        )
    }
    rows = []
    for e in events:
        status, sent_at = delivery.get(e.outbox_key or "", (None, None))
        rows.append(
            {
                "at": e.at.isoformat(),
                "kind": e.kind,
                "actor": e.actor,
                "summary": e.summary,
                "report_id": e.report_id,
                "delivery": status,
                "delivered_at": sent_at.isoformat() if sent_at else None,
                **({"due_at": e.detail["due_at"]} if e.detail.get("due_at") else {}),
            }
        )
    return rows


def incident_view(session: Session, ref: str | int, now: dt.datetime) -> IncidentView:
    incident = get_incident(session, ref)
    facts, level, sent = facts_of(session, incident, now)
    levels = list(
        session.scalars(
            select(IncidentLevel).where(IncidentLevel.incident_id == incident.id).order_by(IncidentLevel.changed_at)
        )
    )
    reports = reports_of(session, incident.id)
    timeline = _timeline(session, incident.id)
    mentioned = {incident.registered_by, *(r.signed_by for r in reports), *(e["actor"] for e in timeline)}
    names = dict(session.execute(select(Person.id, Person.name).where(Person.id.in_(mentioned - {None}))).all())
    clocks = [] if incident.status == CLOSED else open_clocks(facts, level, sent, now)
    return IncidentView(incident, level.name, levels, reports, clocks, timeline, names)
