"""The notification outbox: evaluation writes here, delivery (notifications/) reads from here."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from roster.storage.base import Base


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
    locale: Mapped[str] = mapped_column(String(10), default="zh-CN")
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending, sending, sent, dead
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime]
    next_attempt_at: Mapped[dt.datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[dt.datetime | None]
    sent_at: Mapped[dt.datetime | None]
