"""The report ledger: submit (with corrections and idempotency), excuse, acknowledge.

Each function validates its input (errors name the field and change nothing), works inside the caller's
transaction and leaves committing to the caller: the CLI and HTTP layers commit *before* they acknowledge.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from notifications.outbox import dedup_key, enqueue
from roster.admin.current import NoBureauApplied, current_bureau
from roster.reports.expectations import expectation_for_update, plain_utc
from roster.reports.filenames import safe_filename
from roster.reports.messages import resolved_text
from roster.reports.submission import (  # noqa: F401 - re-exported: callers import them from the ledger
    DEFAULT_ATTACHMENT_LIMIT,
    KINDS,
    MAX_ATTACHMENTS,
    MAX_TEXT,
    Attachment,
    IdempotencyConflict,
    ReportError,
    SubmissionDecision,
    SubmissionFacts,
    SubmissionRequest,
    UnknownUnit,
    decide_submission,
    validate_submission,
)
from roster.storage.blobs import SpooledFile, insert_with_blob
from roster.storage.models.people import Person
from roster.storage.models.reports import (
    EscalationEvent,
    ReportAck,
    ReportAttachment,
    ReportExpectation,
    ReportSubmission,
    ReportUnit,
)
from roster.timeutil import local_date_of


@dataclass
class Receipt:
    receipt: str
    unit: str
    date: str
    revision: int
    kind: str
    received_at: str
    late: bool
    replayed: bool = False
    attachments: list[dict[str, Any]] = field(default_factory=list)

    @property
    def correction(self) -> bool:
        return self.revision > 1

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "correction": self.correction}


def active_unit(session: Session, unit_id: str) -> ReportUnit:
    unit = session.get(ReportUnit, unit_id)
    if unit is None or not unit.active:
        raise UnknownUnit(unit_id)
    return unit


def _check_day(unit: ReportUnit, day: dt.date, now: dt.datetime, *, allow_future: bool = False) -> None:
    today = local_date_of(now, unit.timezone)
    if day > today and not allow_future:
        raise ReportError(
            "date", f"{day.isoformat()} is in the future (today is {today.isoformat()} in {unit.timezone})"
        )
    if day < unit.active_from:
        raise ReportError("date", f"unit {unit.id} reports from {unit.active_from.isoformat()} on")


def _receipt_of(session: Session, sub: ReportSubmission, *, replayed: bool) -> Receipt:
    files = session.execute(
        select(ReportAttachment.filename, ReportAttachment.size, ReportAttachment.sha256)
        .where(ReportAttachment.submission_id == sub.id)
        .order_by(ReportAttachment.id)
    ).all()
    return Receipt(
        receipt=sub.receipt,
        unit=sub.unit_id,
        date=sub.day.isoformat(),
        revision=sub.revision,
        kind=sub.kind,
        received_at=sub.received_at.isoformat(),
        late=sub.late,
        replayed=replayed,
        attachments=[{"filename": f, "size": s, "sha256": h} for f, s, h in files],
    )


def bureau_attachment_limit(session: Session) -> int:
    """The bureau's per-attachment limit in bytes (``reports.attachment_limit_mb``): the one place it is read."""
    try:
        section = current_bureau(session).reports
    except NoBureauApplied:
        section = None
    return int(section.attachment_limit_mb * 1024 * 1024) if section else DEFAULT_ATTACHMENT_LIMIT


def submit(
    session: Session,
    *,
    unit_id: str,
    day: dt.date,
    kind: str,
    text: str = "",
    attachments: list[Attachment | SpooledFile] | None = None,
    idempotency_key: str | None = None,
    now: dt.datetime,
    via: str = "cli",
    attachment_limit: int | None = None,
) -> Receipt:
    """Record a daily report (``kind="report"``) or zero report (``kind="zero"``) for a unit's day.

    Repeating a submission with the same idempotency key returns the first receipt and changes nothing (the
    default key is the content's checksum, so an identical resubmission is a replay too). A different
    submission for a day already reported is kept as a correction (revision 2, 3, ...), never overwriting.
    """
    now = plain_utc(now)
    limit = attachment_limit if attachment_limit is not None else bureau_attachment_limit(session)
    request = validate_submission(
        day=day,
        kind=kind,
        text=text,
        attachments=list(attachments or []),
        idempotency_key=idempotency_key,
        attachment_limit=limit,
    )
    unit = active_unit(session, unit_id)
    _check_day(unit, day, now)
    key = idempotency_key or f"content:{day.isoformat()}:{request.content_sha256}"
    row = expectation_for_update(session, unit, day)  # concurrent submitters of this unit-day queue here
    facts = SubmissionFacts(
        deadline_at=row.deadline_at,
        first_received_at=row.first_received_at,
        same_key=session.scalars(
            select(ReportSubmission).where(ReportSubmission.unit_id == unit.id, ReportSubmission.idempotency_key == key)
        ).first(),
        last_revision=session.scalar(
            select(func.max(ReportSubmission.revision)).where(
                ReportSubmission.unit_id == unit.id, ReportSubmission.day == day
            )
        )
        or 0,
    )
    decision = decide_submission(facts, request, now)
    if decision.replay_of is not None:
        return _receipt_of(session, decision.replay_of, replayed=True)
    sub = _write_submission(session, unit, row, request, decision, key=key, now=now, via=via)
    if decision.first_report:  # even when someone had acknowledged: those alerted still learn it came in
        _tell_those_alerted(session, unit, day, now)
    session.flush()
    return _receipt_of(session, sub, replayed=False)


def _write_submission(
    session: Session,
    unit: ReportUnit,
    row: ReportExpectation,
    request: SubmissionRequest,
    decision: SubmissionDecision,
    *,
    key: str,
    now: dt.datetime,
    via: str,
) -> ReportSubmission:
    sub = ReportSubmission(
        receipt=secrets.token_hex(10),
        unit_id=unit.id,
        day=request.day,
        revision=decision.revision,
        kind=request.kind,
        text=request.text,
        idempotency_key=key,
        content_sha256=request.content_sha256,
        received_at=now,
        via=via,
        late=decision.late,
    )
    session.add(sub)
    session.flush()
    for item in request.attachments:  # a SpooledFile (a web upload) is copied in chunks, never read whole
        insert_with_blob(
            session,
            ReportAttachment,
            {
                "submission_id": sub.id,
                "filename": item.filename,
                "content_type": item.content_type,
                "size": item.size,
                "sha256": item.sha256,
            },
            item if isinstance(item, SpooledFile) else item.data,
        )
    row.submissions += 1
    row.latest_kind = request.kind
    if decision.first_report:
        row.first_received_at = now
    if row.resolved_at is None:
        row.resolved_at = now
    row.next_check_at = None
    return sub


def _tell_those_alerted(session: Session, unit: ReportUnit, day: dt.date, now: dt.datetime) -> int:
    """A late report stops escalation; everyone already alerted hears that it came in (已补报)."""
    alerted = session.execute(
        select(EscalationEvent.person_id, EscalationEvent.recipient, EscalationEvent.channel, EscalationEvent.address)
        .where(EscalationEvent.unit_id == unit.id, EscalationEvent.day == day, EscalationEvent.kind == "notified")
        .distinct()
    ).all()
    if not alerted:
        return 0
    locales = dict(
        session.execute(select(Person.id, Person.locale).where(Person.id.in_({a.person_id for a in alerted}))).all()
    )
    received = now.astimezone(dt.UTC).isoformat(timespec="minutes")
    for person_id, recipient, channel, address in sorted(alerted, key=lambda a: (a.person_id or "", a.address or "")):
        locale = locales.get(person_id) or unit.contact.get("locale") or "zh-CN"
        subject, body = resolved_text(locale=locale, unit_name=unit.name, day=day, received_at=received)
        key = dedup_key(
            "report-resolved", unit.id, day.isoformat(), person_id or f"contact:{unit.id}", channel, address
        )
        enqueue(
            session,
            key=key,
            source="escalation",
            channel=channel,
            address=address,
            subject=subject,
            body=body,
            now=now,
            person_id=person_id,
            locale=locale,
            payload={"unit": unit.id, "date": day.isoformat(), "kind": "resolved"},
        )
        session.add(
            EscalationEvent(
                event_key=key,
                unit_id=unit.id,
                day=day,
                step=0,
                repeat=0,
                kind="resolved",
                person_id=person_id,
                recipient=recipient,
                target="already_alerted",
                channel=channel,
                address=address,
                due_at=now,
                created_at=now,
                outbox_key=key,
            )
        )
    return len(alerted)


def _person(session: Session, person_id: str, argument: str) -> Person:
    person = session.get(Person, person_id)
    if person is None or not person.active:
        raise ReportError(argument, f"no active person {person_id!r}")
    return person


def excuse(
    session: Session, *, unit_id: str, day: dt.date, by: str, reason: str, now: dt.datetime
) -> ReportExpectation:
    """Excuse a unit-day (planned closure, outage): no report is owed, escalation stops."""
    now = plain_utc(now)
    reason = reason.strip()
    if not reason:
        raise ReportError("reason", "a reason is required")
    unit = active_unit(session, unit_id)
    _person(session, by, "by")
    if day > local_date_of(now, unit.timezone) + dt.timedelta(days=366):
        raise ReportError("date", "more than a year ahead")
    _check_day(unit, day, now, allow_future=True)
    row = expectation_for_update(session, unit, day)
    if row.excused_at is not None:
        raise ReportError("date", f"{unit.id} is already excused for {day.isoformat()} by {row.excused_by}")
    row.excused_at, row.excused_by, row.excuse_reason = now, by, reason[:500]
    if row.resolved_at is None:
        row.resolved_at = now
    row.next_check_at = None
    session.flush()
    return row


def acknowledge(
    session: Session, *, unit_id: str, day: dt.date, by: str, now: dt.datetime, via: str = "cli"
) -> dict[str, Any]:
    """Someone alerted takes it in hand: record who and how, and stop further escalation steps."""
    now = plain_utc(now)
    unit = active_unit(session, unit_id)
    person = _person(session, by, "by")
    _check_day(unit, day, now)
    row = expectation_for_update(session, unit, day)
    session.add(ReportAck(unit_id=unit.id, day=day, person_id=person.id, at=now, via=via))
    first = row.acked_at is None
    if first:
        row.acked_at, row.acked_by = now, person.id
    if row.resolved_at is None:
        row.resolved_at = now
    row.next_check_at = None
    session.flush()
    return {
        "unit": unit.id,
        "date": day.isoformat(),
        "acked_by": row.acked_by,
        "acked_at": row.acked_at.isoformat() if row.acked_at else None,
        "first": first,
        "via": via,
    }


class AttachmentCorrupted(RuntimeError):
    """Stored bytes no longer match the checksum taken when they were received."""


def history(session: Session, *, unit_id: str, day: dt.date) -> list[dict[str, Any]]:
    """Every submission of a unit-day, oldest first (the report, then its corrections), with attachments."""
    unit = session.get(ReportUnit, unit_id)
    if unit is None:
        raise UnknownUnit(unit_id)
    subs = session.scalars(
        select(ReportSubmission)
        .where(ReportSubmission.unit_id == unit_id, ReportSubmission.day == day)
        .order_by(ReportSubmission.revision)
    ).all()
    out = []
    for sub in subs:
        receipt = _receipt_of(session, sub, replayed=False).as_dict()
        receipt.pop("replayed")
        out.append({**receipt, "text": sub.text, "via": sub.via})
    return out


def attachment_bytes(session: Session, *, receipt: str, filename: str) -> bytes:
    """An attachment exactly as sent; its sha256 is verified on every read."""
    row = session.execute(
        select(ReportAttachment)
        .join(ReportSubmission, ReportSubmission.id == ReportAttachment.submission_id)
        .where(ReportSubmission.receipt == receipt, ReportAttachment.filename == filename)
        .order_by(ReportAttachment.id)
        .limit(1)
    ).scalar_one_or_none()
    if row is None:
        raise ReportError("filename", f"no attachment {filename!r} on receipt {receipt}")
    if hashlib.sha256(row.data).hexdigest() != row.sha256:
        raise AttachmentCorrupted(f"attachment {filename!r} of receipt {receipt} fails its sha256 check")
    return row.data


def stored_attachments(session: Session, *, receipt: str) -> list[tuple[str, bytes]]:
    """Every attachment of a receipt as (a safe file name unique within it, the verified bytes). Rows stored
    before names were normalised (``..``, duplicates) come back under safe, distinct names too."""
    rows = session.scalars(
        select(ReportAttachment)
        .join(ReportSubmission, ReportSubmission.id == ReportAttachment.submission_id)
        .where(ReportSubmission.receipt == receipt)
        .order_by(ReportAttachment.id)
    ).all()
    taken: set[str] = set()
    out = []
    for row in rows:
        if hashlib.sha256(row.data).hexdigest() != row.sha256:
            raise AttachmentCorrupted(f"attachment {row.filename!r} of receipt {receipt} fails its sha256 check")
        out.append((safe_filename(row.filename, taken), row.data))
    return out
