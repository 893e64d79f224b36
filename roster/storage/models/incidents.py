"""Incidents (突发事件) and their reports: the incident row caches its state; levels, reports and the timeline
keep the history. Severity changes and timeline events are append-only; a report row moves draft -> signed
-> sent (or withdrawn) under compare-and-set on ``version``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from roster.storage.base import Base

OPEN, ENDED, CLOSED = "open", "ended", "closed"  # ended: response over, 终报 still owed
DRAFT, SIGNED, SENT, WITHDRAWN = "draft", "signed", "sent", "withdrawn"


class Incident(Base):
    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # 2026-11-003: year-month-sequence, for people
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(50))
    source: Mapped[str] = mapped_column(String(200))  # who told us: 群众来电, 社区网格员, 110 转接 …
    place: Mapped[str] = mapped_column(String(300))
    facts: Mapped[str] = mapped_column(Text, default="")  # the first facts as received
    level_id: Mapped[str] = mapped_column(String(64))  # current severity (history: incident_levels)
    received_at: Mapped[dt.datetime] = mapped_column(index=True)  # 接报: every clock starts here
    registered_at: Mapped[dt.datetime]
    registered_by: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=OPEN, index=True)
    phone_reported_at: Mapped[dt.datetime | None]
    phone_reported_to: Mapped[str | None] = mapped_column(String(200))
    ended_at: Mapped[dt.datetime | None]  # 处置结束
    closed_at: Mapped[dt.datetime | None]  # nothing more owed (终报 sent, or none required)


class IncidentLevel(Base):
    """Each severity the incident has had, with the level's rules as they were (clocks use the newest)."""

    __tablename__ = "incident_levels"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    level_id: Mapped[str] = mapped_column(String(64))
    level: Mapped[dict[str, Any]]  # the SeverityLevel document in force when chosen
    changed_at: Mapped[dt.datetime]
    changed_by: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(500), default="")


class IncidentReport(Base):
    __tablename__ = "incident_reports"
    __table_args__ = (UniqueConstraint("incident_id", "kind", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # first | followup | final
    seq: Mapped[int] = mapped_column(default=0)  # N of 续报N
    status: Mapped[str] = mapped_column(String(16), default=DRAFT)
    version: Mapped[int] = mapped_column(default=1)  # bumped by every change: compare-and-set
    fields: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the template's fields
    text: Mapped[str] = mapped_column(Text, default="")  # rendered from the fields
    drafted_at: Mapped[dt.datetime]
    drafted_by: Mapped[str | None] = mapped_column(String(64))
    edited_at: Mapped[dt.datetime | None]
    signed_at: Mapped[dt.datetime | None]
    signed_by: Mapped[str | None] = mapped_column(String(64))
    signed_sha256: Mapped[str | None] = mapped_column(String(64))  # the text the leader signed
    sent_at: Mapped[dt.datetime | None]
    sent_by: Mapped[str | None] = mapped_column(String(64))
    due_at: Mapped[dt.datetime | None]  # the clock this report satisfied, as it stood when sent
    on_time: Mapped[bool | None]


class IncidentEvent(Base):
    """The incident's timeline, append-only. ``event_key`` (unique when set) deduplicates alerts and
    deliveries written by ticks that may run twice."""

    __tablename__ = "incident_events"
    __table_args__ = (Index("ix_incident_events_incident_at", "incident_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    at: Mapped[dt.datetime]
    kind: Mapped[str] = mapped_column(String(32))  # opened, severity, phone, development, drafted, …
    actor: Mapped[str | None] = mapped_column(String(64))
    report_id: Mapped[int | None] = mapped_column(ForeignKey("incident_reports.id"))
    summary: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    event_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    outbox_key: Mapped[str | None] = mapped_column(String(300))
