"""Looking at the outbox and putting dead letters back in line (the operator's side of delivery)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from roster.storage.models.outbox import DEAD, PENDING, SENDING, OutboxAttempt, OutboxMessage


class NotRetryable(ValueError):
    """The message does not exist or is not a dead letter; the message says which."""


def describe(message: OutboxMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "status": message.status,
        "source": message.source,
        "person_id": message.person_id,
        "channel": message.channel,
        "address": message.address,
        "subject": message.subject,
        "attempts": message.attempts,
        "last_error": message.last_error,
        "created_at": message.created_at.isoformat(),
        "next_attempt_at": message.next_attempt_at.isoformat(),
        "sent_at": message.sent_at.isoformat() if message.sent_at else None,
        "claimed_by": message.claimed_by,
        "fallback_of": message.fallback_of,
        "dedup_key": message.dedup_key,
    }


def list_messages(
    session: Session, *, failed: bool = False, pending: bool = False, limit: int = 100, source: str | None = None
) -> list[dict[str, Any]]:
    """Newest first. ``failed``: dead letters; ``pending``: waiting or being sent; both: the union.
    ``source``: that source only, or every source starting with it when it ends in "." (``change.``)."""
    statuses = ([DEAD] if failed else []) + ([PENDING, SENDING] if pending else [])
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if statuses:
        query = query.where(OutboxMessage.status.in_(statuses))
    if source and source.endswith("."):
        query = query.where(OutboxMessage.source.startswith(source, autoescape=True))
    elif source:
        query = query.where(OutboxMessage.source == source)
    return [describe(m) for m in session.scalars(query)]


def attempts_of(session: Session, message_id: int) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(OutboxAttempt).where(OutboxAttempt.message_id == message_id).order_by(OutboxAttempt.id)
    )
    return [
        {"at": a.at.isoformat(), "channel": a.channel, "ok": a.ok, "error": a.error, "worker": a.worker} for a in rows
    ]


def retry_message(session: Session, message_id: int, now: dt.datetime) -> OutboxMessage:
    """Put dead letter ``message_id`` back in line on its channel with a fresh retry budget (caller commits)."""
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise NotRetryable(f"ID: no outbox message {message_id}")
    if message.status != DEAD:
        raise NotRetryable(f"ID: message {message_id} is {message.status}, only dead letters can be retried")
    # Conditional on still being dead, so two operators retrying at once queue it once.
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == DEAD)
        .values(status=PENDING, attempts=0, next_attempt_at=now, claimed_by=None, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise NotRetryable(f"ID: message {message_id} was re-queued by someone else just now")
    session.refresh(message)
    return message
