"""Duty operations: check-ins (签到), roll calls (查岗) with their answers, the hash-chained duty log (值班日志)
and handovers (交接班). Facts only, append-only where history matters: what is late, missed or open is
computed from these rows at ``now`` (roster.duty), never stored as a status a tick flips."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from roster.storage.base import Base


class DutyCheckin(Base):
    """A person checked in for a shift. One per (shift, person): checking in again changes nothing."""

    __tablename__ = "duty_checkins"
    __table_args__ = (UniqueConstraint("shift_uid", "person_id"), Index("ix_duty_checkins_at", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_uid: Mapped[str] = mapped_column(String(100))
    duty_date: Mapped[dt.date]
    person_id: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime]
    late: Mapped[bool] = mapped_column(default=False)  # after the shift start + grace
    via: Mapped[str] = mapped_column(String(16))  # cli | web
    address: Mapped[str | None] = mapped_column(String(64))  # client IP, when known
    on_site: Mapped[bool | None]  # None: no duty-room networks named, or address unknown


class DutyRollcall(Base):
    """One roll call. ``key`` makes a scheduled one unique (shift, window, number): a repeated or concurrent
    tick finds the stored call instead of drawing another. ``sent_at`` is set once, by the first tick that
    sends it; the reply window runs from then."""

    __tablename__ = "duty_rollcalls"
    __table_args__ = (Index("ix_duty_rollcalls_scheduled_at", "scheduled_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    shift_uid: Mapped[str] = mapped_column(String(100), index=True)
    duty_date: Mapped[dt.date]
    kind: Mapped[str] = mapped_column(String(16))  # scheduled | manual
    scheduled_at: Mapped[dt.datetime]
    reply_minutes: Mapped[int]
    started_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]
    sent_at: Mapped[dt.datetime | None]
    reply_until: Mapped[dt.datetime | None]


class DutyRollcallTarget(Base):
    """A person called by a roll call, with their one-time code and (once given) their answer."""

    __tablename__ = "duty_rollcall_targets"
    __table_args__ = (UniqueConstraint("rollcall_id", "person_id"), Index("ix_duty_rollcall_targets_code", "code"))

    id: Mapped[int] = mapped_column(primary_key=True)
    rollcall_id: Mapped[int] = mapped_column(ForeignKey("duty_rollcalls.id"))
    person_id: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(64))
    code: Mapped[str] = mapped_column(String(12))
    answered_at: Mapped[dt.datetime | None]
    answer_via: Mapped[str | None] = mapped_column(String(16))
    answer_address: Mapped[str | None] = mapped_column(String(64))
    on_site: Mapped[bool | None]
    wrong_codes: Mapped[int] = mapped_column(default=0)


class DutyRollcallAttempt(Base):
    """Every answer typed, right or wrong, in time or not: the append-only ledger of a roll call."""

    __tablename__ = "duty_rollcall_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    rollcall_id: Mapped[int | None] = mapped_column(index=True)
    person_id: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[dt.datetime]
    outcome: Mapped[str] = mapped_column(String(24))  # answered | wrong_code | already_answered | expired | locked
    via: Mapped[str] = mapped_column(String(16))
    address: Mapped[str | None] = mapped_column(String(64))


class DutyLogEntry(Base):
    """One duty-log entry. Append-only: a correction is a new entry pointing at the old one (``corrects_id``),
    closing a 待办 is a new entry pointing at it (``resolves_id``). ``hash`` covers the entry's content and
    ``prev_hash`` (the previous entry's hash): changing, deleting or reordering rows breaks the chain."""

    __tablename__ = "duty_log_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(unique=True)  # 1, 2, 3 … the chain's order
    at: Mapped[dt.datetime] = mapped_column(index=True)  # when it happened, to the minute
    recorded_at: Mapped[dt.datetime]
    author_id: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(16))  # 来电 来文 事件 检查 其他
    text: Mapped[str] = mapped_column(Text)
    todo: Mapped[bool] = mapped_column(default=False)
    corrects_id: Mapped[int | None]
    resolves_id: Mapped[int | None]
    attachments: Mapped[list[Any]] = mapped_column(default=list)  # [{filename, content_type, size, sha256}]
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class DutyLogAttachment(Base):
    __tablename__ = "duty_log_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("duty_log_entries.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)


class DutyHandover(Base):
    """The handover into a shift (``shift_uid``) from the one before. The outgoing officer writes the note and
    signs, which freezes the open items; the incoming officer acknowledges each item and signs. The log's
    head at completion is kept as an anchor for ``log verify`` (entries removed from the end show up)."""

    __tablename__ = "duty_handovers"

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_uid: Mapped[str] = mapped_column(String(100), unique=True)
    from_shift_uid: Mapped[str] = mapped_column(String(100))
    handover_at: Mapped[dt.datetime]
    note: Mapped[str] = mapped_column(Text, default="")
    items: Mapped[list[Any]] = mapped_column(default=list)  # HandoverItem dicts, frozen at the outgoing sign
    outgoing_by: Mapped[str | None] = mapped_column(String(64))
    outgoing_signed_at: Mapped[dt.datetime | None]
    incoming_by: Mapped[str | None] = mapped_column(String(64))
    incoming_signed_at: Mapped[dt.datetime | None]
    log_head_seq: Mapped[int | None]
    log_head_hash: Mapped[str | None] = mapped_column(String(64))


class DutyHandoverAck(Base):
    __tablename__ = "duty_handover_acks"
    __table_args__ = (UniqueConstraint("handover_id", "item_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    handover_id: Mapped[int] = mapped_column(ForeignKey("duty_handovers.id"), index=True)
    item_key: Mapped[str] = mapped_column(String(200))
    person_id: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime]


class DutySecret(Base):
    """The server-side seed of roll-call times (in the database, so every replica draws the same times and
    nobody reading the admin file can predict them)."""

    __tablename__ = "duty_secrets"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)
    secret: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime]
