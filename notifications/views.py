"""What the 通知 page shows: the outbox under a filter, and one message as it was sent with its attempts."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from roster.storage.models.outbox import DEAD, FALLEN_BACK, PENDING, SENDING, SENT, OutboxAttempt, OutboxMessage

FILTERS = ("all", "pending", "sent", "failed", "dead")


def filter_clause(name: str) -> ColumnElement[bool] | None:
    """``pending``: waiting or being sent; ``sent``; ``failed``: a channel failed (fallen back to the next
    channel, or waiting to retry after an error); ``dead``: every channel spent (a dead letter)."""
    status = OutboxMessage.status
    return {
        "all": None,
        "pending": status.in_([PENDING, SENDING]),
        "sent": status == SENT,
        "failed": or_(
            status == FALLEN_BACK, and_(status.in_([PENDING, SENDING]), OutboxMessage.last_error.is_not(None))
        ),
        "dead": status == DEAD,
    }[name]


@dataclass
class OutboxPage:
    filter: str
    messages: list[OutboxMessage]
    counts: dict[str, int]
    page: int
    pages: int


def outbox_page(session: Session, name: str, *, page: int = 1, per_page: int = 50) -> OutboxPage:
    if name not in FILTERS:
        raise ValueError(f"status: must be one of {', '.join(FILTERS)}")
    counts = {}
    for f in FILTERS:
        clause = filter_clause(f)
        query = select(func.count(OutboxMessage.id))
        counts[f] = session.scalar(query if clause is None else query.where(clause)) or 0
    pages = max(1, -(-counts[name] // per_page))
    page = min(max(1, page), pages)
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).offset((page - 1) * per_page).limit(per_page)
    clause = filter_clause(name)
    if clause is not None:
        query = query.where(clause)
    return OutboxPage(name, list(session.scalars(query)), counts, page, pages)


@dataclass
class MessageView:
    message: OutboxMessage
    attempts: list[OutboxAttempt] = field(default_factory=list)
    replaces: OutboxMessage | None = None  # the row this one took over from (fallback)
    replaced_by: OutboxMessage | None = None
    ack_path: str | None = None


def message_view(session: Session, message_id: int) -> MessageView | None:
    message = session.get(OutboxMessage, message_id)
    if message is None:
        return None
    attempts = list(
        session.scalars(select(OutboxAttempt).where(OutboxAttempt.message_id == message_id).order_by(OutboxAttempt.id))
    )
    replaces = session.get(OutboxMessage, message.fallback_of) if message.fallback_of else None
    replaced_by = session.scalars(select(OutboxMessage).where(OutboxMessage.fallback_of == message_id)).first()
    url = (message.payload or {}).get("ack_url") or ""
    ack_path = "/ack/" + url.rsplit("/ack/", 1)[1] if "/ack/" in url else None
    return MessageView(message, attempts, replaces, replaced_by, ack_path)
