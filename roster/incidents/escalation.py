"""One incident tick: every open clock of every open incident, computed from stored facts, run through the
same step timing as missed daily reports (``roster.reports.escalation.plan_unit_day``), alerts written to the
outbox under keys (incident, clock, deadline, step, repeat, recipient, channel).

A checker that was down catches up (every step still fires, repeats collapse to the newest); a repeated or
concurrent tick finds every key taken and adds nothing. A severity change moves a clock's deadline, which
is a new key: the alerts start over for the new deadline, and the old ones stay in the timeline.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from notifications.outbox import dedup_key, enqueue_many, message_to
from roster.admin.current import current_bureau
from roster.feature import JobSummary
from roster.incidents.clocks import Clock, open_clocks, plain_utc
from roster.incidents.errors import IncidentError
from roster.incidents.ledger import facts_by_incident, section_of
from roster.incidents.messages import alert_text
from roster.incidents.recipients import IncidentResolver
from roster.incidents.storage import insert_events
from roster.reports.steps import plan_unit_day
from roster.storage.models.incidents import CLOSED, Incident, IncidentEvent


def _alerts_for(  # noqa: PLR0913
    incident: Incident,
    clock: Clock,
    plan,  # noqa: ANN001
    public_url: str,
    tz: str,
    now: dt.datetime,
    known: set[str],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    outbox: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    deadline = clock.due_at.isoformat()
    for step, start, targets in plan.unreachable:
        key = dedup_key("incident-unreachable", incident.id, clock.key, deadline, step + 1)
        summary = f"{clock.label()} 提醒第 {step + 1} 级无人可达：{','.join(targets)}"
        events.append(_event(incident, now, key, None, summary, start))
    for message, recipients in plan.due:
        for r in recipients:
            channel = r.channels[0][0]
            key = dedup_key(
                "incident-alert", incident.id, clock.key, deadline, message.step + 1, message.repeat, r.ident, channel
            )
            if key in known:
                continue
            subject, body = alert_text(
                locale=r.locale,
                incident=incident,
                clock=clock,
                now=message.due_at,
                tz=tz,
                url=f"{public_url.rstrip('/')}/incidents/{incident.id}",
            )
            payload = {
                "incident": incident.code,
                "clock": clock.key,
                "due_at": deadline,
                "step": message.step + 1,
                "repeat": message.repeat,
                "target": r.target,
            }
            outbox.append(
                message_to(r, key=key, source="incident", subject=subject, body=body, now=now, payload=payload)
            )
            overdue = "超时" if message.due_at >= clock.due_at else "到期提醒"
            summary = f"{clock.label()}{overdue} → {r.name}（{channel}）"
            events.append(_event(incident, now, key, key, summary, message.due_at))
    return outbox, events


@dataclass(frozen=True)
class IncidentTick(JobSummary):
    """What one incident tick found and wrote."""

    now: dt.datetime
    incidents_checked: int  # incidents not yet closed, received by ``now``
    clocks_open: int  # reporting clocks still running (phone, 首报, 续报N, 终报)
    clocks_overdue: int  # of those, past their deadline
    messages_enqueued: int  # alert messages written to the outbox now (repeats under one key not counted)
    events_recorded: int  # alert rows added to the incidents' timelines


def _event(
    incident: Incident, at: dt.datetime, key: str, outbox_key: str | None, summary: str, due_at: dt.datetime
) -> dict[str, Any]:
    return dict(
        incident_id=incident.id,
        at=at,
        kind="alert",
        actor=None,
        report_id=None,
        summary=summary,
        detail={"due_at": due_at.isoformat()},
        event_key=key,
        outbox_key=outbox_key,
    )


def check(session: Session, now: dt.datetime) -> IncidentTick:
    """One tick at ``now``; the caller commits. Without an incidents section there is nothing to check."""
    now = plain_utc(now)
    try:
        section, _, tz = section_of(session)
    except IncidentError:
        return IncidentTick(now, 0, 0, 0, 0, 0)
    bureau = current_bureau(session)
    public_url = bureau.reports.public_url if bureau.reports else "http://127.0.0.1:8080"
    resolver = IncidentResolver(session, section, bureau.bureau.head)
    steps = [step.model_dump() for step in section.alerts]
    incidents = session.scalars(
        select(Incident).where(Incident.status != CLOSED, Incident.received_at <= now).order_by(Incident.id)
    ).all()
    known = set(  # alerts already written: not rendered again (the dedup keys stay the real guard)
        session.scalars(
            select(IncidentEvent.event_key).where(
                IncidentEvent.incident_id.in_([i.id for i in incidents]), IncidentEvent.kind == "alert"
            )
        )
    )
    outbox: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    clocks_open = overdue = 0
    facts_by_id = facts_by_incident(session, list(incidents), now)
    for incident in incidents:
        facts, level, sent = facts_by_id[incident.id]
        for clock in open_clocks(facts, level, sent, now):
            clocks_open += 1
            overdue += clock.overdue(now)
            plan = plan_unit_day(
                steps, clock.due_at, now, lambda targets, at, i=incident: resolver.resolve(targets, at, i.registered_by)
            )
            if clock.overdue(now):  # a checker catching up does not send "due soon" after the deadline
                plan.due[:] = [(msg, rs) for msg, rs in plan.due if steps[msg.step]["after"] >= 0]
            more_outbox, more_events = _alerts_for(incident, clock, plan, public_url, tz, now, known)
            outbox += more_outbox
            events += more_events
    messages = len(enqueue_many(session, outbox))
    recorded = insert_events(session, events)
    return IncidentTick(now, len(incidents), clocks_open, overdue, messages, recorded)
