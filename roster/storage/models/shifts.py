"""Shifts, who holds them, and the append-only audit log of every change."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from roster.storage.base import Base


class Shift(Base):
    """One duty period. ``uid`` is derived from the local date and slot, so it survives any re-plan."""

    __tablename__ = "shifts"
    __table_args__ = (UniqueConstraint("duty_date", "slot"), Index("ix_shifts_span", "starts_at", "ends_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(100), unique=True)
    duty_date: Mapped[dt.date]  # bureau-local date the shift starts on
    slot: Mapped[str] = mapped_column(String(16))  # "day", "night" or "full"
    starts_at: Mapped[dt.datetime]  # UTC
    ends_at: Mapped[dt.datetime]  # UTC, exclusive
    is_weekend: Mapped[bool] = mapped_column(default=False)
    is_holiday: Mapped[bool] = mapped_column(default=False)
    is_night: Mapped[bool] = mapped_column(default=False)
    # Bumped whenever the shift's time or any of its people change: calendar SEQUENCE / LAST-MODIFIED.
    revision: Mapped[int] = mapped_column(default=0)
    changed_at: Mapped[dt.datetime]

    assignments: Mapped[list[ShiftAssignment]] = relationship(
        back_populates="shift", cascade="all, delete-orphan", order_by="ShiftAssignment.role, ShiftAssignment.seat"
    )


class ShiftAssignment(Base):
    """A seat on a shift: (role, seat number) held by one person."""

    __tablename__ = "shift_assignments"
    __table_args__ = (UniqueConstraint("shift_id", "role", "seat"), Index("ix_assign_person", "person_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(64))
    seat: Mapped[int] = mapped_column(default=0)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"))

    shift: Mapped[Shift] = relationship(back_populates="assignments")


class AuditEntry(Base):
    """Append-only: plans, swaps, overrides, applies. Never updated or deleted."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50))
    reason: Mapped[str] = mapped_column(String(500), default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
