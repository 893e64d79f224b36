"""The notification outbox: evaluation writes here, delivery (notifications/) reads from here.

Life of a message (``status``): ``pending`` (due at ``next_attempt_at``) -> ``sending`` (claimed by one
worker until ``claimed_until``; an expired lease makes it claimable again) -> ``sent``. After the retry
budget of its channel is spent it becomes ``fallen_back`` (a new row on the person's next channel, linked
by ``fallback_of``) or, with no channel left, ``dead`` (a dead letter: listed, re-queueable, never dropped).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from roster.config import DEFAULT_LOCALE
from roster.storage.base import Base

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FALLEN_BACK = "fallen_back"
DEAD = "dead"


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # (what, recipient, channel) identity: a unique constraint, not luck, stops duplicates when workers race.
    dedup_key: Mapped[str] = mapped_column(String(300), unique=True)
    source: Mapped[str] = mapped_column(String(50))  # "escalation", "inspection", ...
    person_id: Mapped[str | None] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(32))  # email, wecom, dingtalk, feishu, webhook, console
    address: Mapped[str] = mapped_column(String(500))
    locale: Mapped[str] = mapped_column(String(10), default=DEFAULT_LOCALE)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)  # see the module docstring
    attempts: Mapped[int] = mapped_column(default=0)  # on this row's channel since it was last (re)queued
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime]
    next_attempt_at: Mapped[dt.datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[dt.datetime | None]
    sent_at: Mapped[dt.datetime | None]
    # The message this one replaces on the person's next channel (migration 0005_notifications).
    fallback_of: Mapped[int | None] = mapped_column(index=True)


class OutboxAttempt(Base):
    """One try to send one message: the append-only audit of delivery (never updated, never deleted)."""

    __tablename__ = "outbox_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"), index=True)
    at: Mapped[dt.datetime]
    channel: Mapped[str] = mapped_column(String(32))
    ok: Mapped[bool]
    error: Mapped[str | None] = mapped_column(Text)
    worker: Mapped[str] = mapped_column(String(100))
