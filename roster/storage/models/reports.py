"""The report ledger: reporting units, one expectation per unit per reporting day, submissions (with
corrections), attachments, acknowledgements, escalation events and HTTP tokens. Append-only except for the
expectation row, which caches what the ledger implies (first receipt, resolution, next check)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from roster.storage.base import Base


class ReportUnit(Base):
    __tablename__ = "report_units"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default="group")
    contact_person_id: Mapped[str | None] = mapped_column(String(64))
    contact: Mapped[dict[str, Any]] = mapped_column(default=dict)  # outside contact: name, phone, channels
    group_id: Mapped[str | None] = mapped_column(String(64))
    deadline: Mapped[str] = mapped_column(String(5))  # local HH:MM
    grace_minutes: Mapped[int] = mapped_column(default=60)
    days: Mapped[str] = mapped_column(String(16), default="every_day")
    policy_id: Mapped[str] = mapped_column(String(64))
    steps: Mapped[list[Any]] = mapped_column(default=list)  # the policy's steps as applied
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    active_from: Mapped[dt.date]
    active: Mapped[bool] = mapped_column(default=True)


class ReportExpectation(Base):
    """A unit owes a report for a local day. ``next_check_at`` is when escalation next has something to do
    (NULL once resolved or exhausted): a tick reads only rows whose time has come."""

    __tablename__ = "report_expectations"
    __table_args__ = (
        UniqueConstraint("unit_id", "day"),
        Index("ix_report_expectations_next_check_at", "next_check_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[str] = mapped_column(ForeignKey("report_units.id"))
    day: Mapped[dt.date] = mapped_column(index=True)
    deadline_at: Mapped[dt.datetime]
    grace_until: Mapped[dt.datetime]
    first_received_at: Mapped[dt.datetime | None]
    latest_kind: Mapped[str | None] = mapped_column(String(16))  # report | zero
    submissions: Mapped[int] = mapped_column(default=0)
    excused_at: Mapped[dt.datetime | None]
    excused_by: Mapped[str | None] = mapped_column(String(64))
    excuse_reason: Mapped[str | None] = mapped_column(String(500))
    acked_at: Mapped[dt.datetime | None]
    acked_by: Mapped[str | None] = mapped_column(String(64))
    resolved_at: Mapped[dt.datetime | None]
    next_check_at: Mapped[dt.datetime | None]


class ReportSubmission(Base):
    """Every submission is kept: the first is the report, later different ones are corrections."""

    __tablename__ = "report_submissions"
    __table_args__ = (UniqueConstraint("unit_id", "idempotency_key"), UniqueConstraint("unit_id", "day", "revision"))

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt: Mapped[str] = mapped_column(String(40), unique=True)
    unit_id: Mapped[str] = mapped_column(ForeignKey("report_units.id"))
    day: Mapped[dt.date]
    revision: Mapped[int]  # 1 = the report, 2.. = corrections
    kind: Mapped[str] = mapped_column(String(16))  # report | zero
    text: Mapped[str] = mapped_column(Text, default="")
    idempotency_key: Mapped[str] = mapped_column(String(200))
    content_sha256: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[dt.datetime]
    via: Mapped[str] = mapped_column(String(16))  # cli | http
    late: Mapped[bool] = mapped_column(default=False)


class ReportAttachment(Base):
    __tablename__ = "report_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("report_submissions.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)


class ReportAck(Base):
    __tablename__ = "report_acks"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[str] = mapped_column(ForeignKey("report_units.id"))
    day: Mapped[dt.date]
    person_id: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime]
    via: Mapped[str] = mapped_column(String(16))  # cli | http | link


class EscalationEvent(Base):
    """Who was told what, when, at which step, on which channel (or why nobody was)."""

    __tablename__ = "escalation_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_key: Mapped[str] = mapped_column(String(300), unique=True)
    unit_id: Mapped[str] = mapped_column(String(64))
    day: Mapped[dt.date]
    step: Mapped[int]
    repeat: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))  # notified | unreachable | collapsed | resolved
    person_id: Mapped[str | None] = mapped_column(String(64))
    recipient: Mapped[str] = mapped_column(String(100), default="")
    target: Mapped[str] = mapped_column(String(80), default="")
    channel: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(500))
    due_at: Mapped[dt.datetime]
    created_at: Mapped[dt.datetime]
    outbox_key: Mapped[str | None] = mapped_column(String(300))

    __table_args__ = (Index("ix_escalation_events_unit_day", "unit_id", "day"),)


class ReportToken(Base):
    """A unit's HTTP token: only its sha256 is stored."""

    __tablename__ = "report_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[str] = mapped_column(ForeignKey("report_units.id"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]
