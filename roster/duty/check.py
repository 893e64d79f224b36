"""One duty tick at ``now``: gather the facts, decide what is due (pure), write it to the outbox.

- roll calls: store the drawn times of the shifts around ``now``, send those whose time has come;
- missed check-ins (nobody by the end of grace) → the leader on duty of that shift and the office;
- unanswered roll calls (reply window over) → the leader on duty (the office if it is the leader);
- handovers not complete ``escalate_after`` their time → the leader on duty of the incoming shift.

Every message has a dedup key naming what it is about and who gets it, so a repeated or concurrent tick
writes nothing twice, and a tick after a gap writes what the gap missed (within ``LOOKBACK``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from notifications.outbox import dedup_key, enqueue_many, message_to
from roster.duty import rollcall
from roster.duty.checkin import MISSING, SeatState, checkins_of, seat_states
from roster.duty.facts import Contact, DutySettings, ShiftFacts, contacts, duty_settings, shifts_between, write_lock
from roster.duty.messages import missed_checkin_text, open_handover_text, unanswered_text
from roster.feature import JobSummary
from roster.storage.models.duty import DutyHandover, DutyRollcall, DutyRollcallTarget
from roster.storage.models.outbox import OutboxMessage

LOOKBACK = dt.timedelta(hours=24)  # a tick alerts about what fell due this long ago at most
# Outbox ``source`` of each alert (roll calls themselves go out as "duty-rollcall").
SOURCES = {"checkin": "duty-checkin-missed", "rollcall": "duty-rollcall-unanswered", "handover": "duty-handover-open"}


@dataclass(frozen=True)
class DutyCheckSummary(JobSummary):
    now: str  # the instant of the tick (UTC, ISO 8601)
    skipped: str | None = None  # why nothing was done (no duty: section in force), else None
    rollcalls_scheduled: int = 0  # roll calls drawn and stored for the first time by this tick
    rollcalls_sent: int = 0  # roll calls whose time had come and that this tick sent
    missed_checkins: int = 0  # seats past grace without a check-in (alerted now or before)
    unanswered_rollcalls: int = 0  # roll-call targets past their window without an answer
    open_handovers: int = 0  # handovers still incomplete after escalate_after
    messages_enqueued: int = 0  # outbox rows this tick wrote (0 when repeated)


@dataclass(frozen=True)
class Alert:
    kind: str  # checkin | rollcall | handover
    ident: str  # what it is about, part of the dedup key
    about: str | None  # the person concerned (None for a handover)
    at: dt.datetime  # the shift start, roll-call time or handover time it refers to
    recipients: tuple[str, ...]
    detail: str = ""


@dataclass(frozen=True)
class Unanswered:
    rollcall_id: int
    person_id: str
    sent_at: dt.datetime
    shift_uid: str


@dataclass(frozen=True)
class HandoverFacts:
    outgoing: ShiftFacts
    incoming: ShiftFacts
    outgoing_signed: bool
    incoming_signed: bool


def _leader_or_office(leader: str | None, about: str | None, settings: DutySettings) -> tuple[str, ...]:
    people = [p for p in [leader, *settings.section.office] if p and p != about]
    if not people and settings.head_id and settings.head_id != about:
        people = [settings.head_id]
    return tuple(dict.fromkeys(people))


def decide_alerts(
    settings: DutySettings,
    seats: list[SeatState],
    unanswered: list[Unanswered],
    handovers: list[HandoverFacts],
    shifts: dict[str, ShiftFacts],
    now: dt.datetime,
) -> list[Alert]:
    """Pure: every alert due at ``now`` whose moment lies within ``LOOKBACK``."""
    alerts = []
    for seat in seats:
        if seat.state == MISSING and now - seat.due_at <= LOOKBACK:
            recipients = _leader_or_office(seat.shift.leader_id, seat.person_id, settings)
            alerts.append(Alert("checkin", seat.shift.uid, seat.person_id, seat.shift.starts_at, recipients))
    for item in unanswered:
        shift = shifts.get(item.shift_uid)
        leader = shift.leader_id if shift else None
        recipients = (
            (leader,) if leader and leader != item.person_id else _leader_or_office(None, item.person_id, settings)
        )
        alerts.append(Alert("rollcall", str(item.rollcall_id), item.person_id, item.sent_at, recipients))
    delay = dt.timedelta(minutes=settings.section.handover.escalate_after)
    for h in handovers:
        due = h.incoming.starts_at + delay
        if h.outgoing_signed and h.incoming_signed or not (due <= now and now - due <= LOOKBACK):
            continue
        missing = "交班人未签字" if not h.outgoing_signed else "接班人未签字"
        recipients = _leader_or_office(h.incoming.leader_id, None, settings)[:1] or _leader_or_office(
            None, None, settings
        )
        alerts.append(Alert("handover", h.incoming.uid, None, h.incoming.starts_at, recipients, missing))
    return alerts


def check(session: Session, now: dt.datetime, *, rollcalls: bool = True, escalations: bool = True) -> DutyCheckSummary:
    """One tick; the caller commits. ``rollcalls``/``escalations`` select the halves (two deployments)."""
    settings = duty_settings(session, required=False)
    if settings is None:
        return DutyCheckSummary(now.isoformat(), skipped="the admin file in force has no duty: section")
    write_lock(session)
    shifts = shifts_between(session, now - LOOKBACK - dt.timedelta(days=1), now + dt.timedelta(days=1))
    scheduled = sent = messages = 0
    if rollcalls:
        scheduled = rollcall.schedule(session, settings, shifts, now)
        sent, messages = rollcall.send_due(session, settings, shifts, now)
    if not escalations:
        return DutyCheckSummary(now.isoformat(), None, scheduled, sent, messages_enqueued=messages)
    seats = [s for s in seat_states(shifts, checkins_of(session, [s.uid for s in shifts]), settings.section, now)]
    alerts = decide_alerts(
        settings, seats, _unanswered(session, now), _handovers(session, shifts), {s.uid: s for s in shifts}, now
    )
    messages += _write(session, settings, alerts, now)
    count = {k: sum(a.kind == k for a in alerts) for k in ("checkin", "rollcall", "handover")}
    return DutyCheckSummary(
        now.isoformat(), None, scheduled, sent, count["checkin"], count["rollcall"], count["handover"], messages
    )


def _unanswered(session: Session, now: dt.datetime) -> list[Unanswered]:
    rows = session.execute(
        select(DutyRollcall.id, DutyRollcall.sent_at, DutyRollcall.shift_uid, DutyRollcallTarget.person_id)
        .join(DutyRollcallTarget, DutyRollcallTarget.rollcall_id == DutyRollcall.id)
        .where(
            DutyRollcall.reply_until <= now,
            DutyRollcall.reply_until > now - LOOKBACK,
            DutyRollcallTarget.answered_at.is_(None),
        )
    ).all()
    return [Unanswered(r.id, r.person_id, r.sent_at, r.shift_uid) for r in rows]


def _handovers(session: Session, shifts: list[ShiftFacts]) -> list[HandoverFacts]:
    rows = {
        r.shift_uid: r
        for r in session.scalars(select(DutyHandover).where(DutyHandover.shift_uid.in_([s.uid for s in shifts])))
    }
    out = []
    for outgoing, incoming in zip(shifts, shifts[1:], strict=False):
        if outgoing.ends_at == incoming.starts_at:
            row = rows.get(incoming.uid)
            out.append(
                HandoverFacts(
                    outgoing, incoming, bool(row and row.outgoing_signed_at), bool(row and row.incoming_signed_at)
                )
            )
    return out


def _write(session: Session, settings: DutySettings, alerts: list[Alert], now: dt.datetime) -> int:
    if not alerts:
        return 0
    people = contacts(session, {p for a in alerts for p in (a.about, *a.recipients) if p})
    rows = []
    for alert in alerts:
        about = people.get(alert.about) if alert.about else None
        for recipient_id in alert.recipients:
            recipient = people.get(recipient_id)
            if recipient is None or not recipient.active or not recipient.channels:
                continue
            rows.append(_message(settings, alert, about, recipient, now))
    # Alerts stay due until their facts change; skip the ones already written before the INSERT (which
    # would do nothing for them anyway, under the unique key) to keep a repeated tick cheap.
    written = set(
        session.scalars(
            select(OutboxMessage.dedup_key).where(OutboxMessage.dedup_key.in_([r["dedup_key"] for r in rows]))
        )
    )
    return len(enqueue_many(session, [r for r in rows if r["dedup_key"] not in written]))


def _message(settings: DutySettings, alert: Alert, about: Contact | None, to: Contact, now: dt.datetime) -> dict:
    tz = settings.timezone
    who = f"{about.name}（{about.person_id}）" if about else ""
    if alert.kind == "checkin":
        subject, body = missed_checkin_text(to.locale, who=who, shift_start=alert.at, tz=tz)
    elif alert.kind == "rollcall":
        subject, body = unanswered_text(to.locale, who=who, sent_at=alert.at, tz=tz)
    else:
        missing = (
            alert.detail
            if to.locale != "en"
            else alert.detail.replace("交班人未签字", "the outgoing side has not signed").replace(
                "接班人未签字", "the incoming side has not signed"
            )
        )
        subject, body = open_handover_text(to.locale, handover_at=alert.at, tz=tz, missing=missing)
    return message_to(
        to,
        key=dedup_key(SOURCES[alert.kind], alert.ident, alert.about or "-", to.person_id, to.channels[0][0]),
        source=SOURCES[alert.kind],
        subject=subject,
        body=body,
        now=now,
        payload={"about": alert.about, "ref": alert.ident},
    )
