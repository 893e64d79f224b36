"""Web console workflow: roster drafts awaiting publication, swap/cover requests and leave requests.

Drafts never touch ``shifts``: feeds, ``now``, the board and notifications read published shifts only.
Requests keep their whole history in their own columns; every step is also written to the audit log.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from roster.storage.base import Base


class RosterDraft(Base):
    __tablename__ = "roster_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "plan" or "leave" (re-plan after an approved leave)
    start: Mapped[dt.date]
    days: Mapped[int]
    # running → ready | failed; ready → published | discarded | stale (the roster changed underneath)
    status: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[dt.datetime]
    created_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[dt.datetime]
    time_limit_s: Mapped[float]
    progress: Mapped[dict[str, Any]] = mapped_column(default=dict)  # solutions found, best objective, seconds
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)  # status, objective, explanations, counts
    # the shifts as planned: [{uid, date, slot, starts_at, ends_at, flags, seats: {role: [person ids]}}]
    shifts: Mapped[list[Any]] = mapped_column(default=list)
    base: Mapped[str] = mapped_column(String(64), default="")  # fingerprint of the stored roster planned from
    changes: Mapped[list[Any]] = mapped_column(default=list)  # seat moves: [{uid, date, slot, role, old, new}]
    leave_request_id: Mapped[int | None]
    published_at: Mapped[dt.datetime | None]
    published_by: Mapped[str | None] = mapped_column(String(100))


class SwapRequest(Base):
    """``swap``: requester's seat on ``shift_uid`` and the colleague's on ``colleague_shift_uid`` trade holders;
    ``cover``: the colleague takes the requester's seat. Colleague accepts, then a leader on duty or an
    admin approves."""

    __tablename__ = "swap_requests"
    __table_args__ = (Index("ix_swap_requests_people", "requester", "colleague"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # "swap" or "cover"
    requester: Mapped[str] = mapped_column(String(64))
    shift_uid: Mapped[str] = mapped_column(String(100))
    colleague: Mapped[str] = mapped_column(String(64))
    colleague_shift_uid: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(String(500))
    # pending_colleague → pending_approval → approved; or declined / rejected / cancelled / refused (a rule)
    status: Mapped[str] = mapped_column(String(24), index=True)
    created_at: Mapped[dt.datetime]
    accepted_at: Mapped[dt.datetime | None]
    decided_at: Mapped[dt.datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(String(500), default="")


class LeaveRequest(Base):
    __tablename__ = "leave_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    person: Mapped[str] = mapped_column(String(64), index=True)
    first_day: Mapped[dt.date]
    last_day: Mapped[dt.date]
    reason: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), index=True)  # pending, approved, rejected, cancelled
    created_at: Mapped[dt.datetime]
    decided_at: Mapped[dt.datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(String(500), default="")
