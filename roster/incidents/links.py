"""Where incidents meet duty operations: duty-log entries linked into an incident's timeline, and open
incidents awaiting a report listed among the handover's open items (``roster.duty.handover.ITEM_SOURCES``)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from roster.duty.items import HandoverContext, HandoverItem
from roster.incidents.clocks import open_clocks
from roster.incidents.errors import IncidentError, NotFound
from roster.incidents.ledger import facts_by_incident, get_incident, section_of
from roster.incidents.storage import insert_events
from roster.incidents.template import local_text
from roster.storage.models.incidents import CLOSED, Incident


def link_log_entry(session: Session, ref: str | int, seq: int, *, now: dt.datetime, by: str | None = None) -> bool:
    """Put duty-log entry ``seq`` on the incident's timeline (at the entry's own time); False if already there."""
    from roster.storage.models.duty import DutyLogEntry

    incident = get_incident(session, ref)
    entry = session.scalars(select(DutyLogEntry).where(DutyLogEntry.seq == seq)).first()
    if entry is None:
        raise NotFound("log", f"值班日志中没有第 {seq} 条", f"no duty-log entry #{seq}")
    row = dict(
        incident_id=incident.id,
        at=entry.at,
        kind="log",
        actor=entry.author_id,
        report_id=None,
        summary=f"值班日志 #{entry.seq}（{entry.category}）：{entry.text}",
        detail={"seq": entry.seq, "hash": entry.hash, "linked_by": by, "linked_at": now.isoformat()},
        event_key=f"incident-log|{incident.id}|{entry.seq}",
        outbox_key=None,
    )
    return insert_events(session, [row]) == 1


def awaiting_report(ctx: HandoverContext) -> list[HandoverItem]:
    """Handover open items: every clock still running on an incident not yet closed."""

    try:
        _, _, tz = section_of(ctx.session)
    except IncidentError:
        return []
    incidents = list(
        ctx.session.scalars(select(Incident).where(Incident.status != CLOSED, Incident.received_at <= ctx.now))
    )
    facts = facts_by_incident(ctx.session, incidents, ctx.now)
    items = []
    for incident in incidents:
        for clock in open_clocks(*facts[incident.id], ctx.now):
            state = "已超时" if clock.overdue(ctx.now) else "待报"
            items.append(
                HandoverItem(
                    f"incident:{incident.code}:{clock.key}",
                    "incidents",
                    f"突发事件 {incident.code} {incident.title}：{clock.label()}{state}",
                    f"时限 {local_text(clock.due_at, tz)}",
                )
            )
    return items
