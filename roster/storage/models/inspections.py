"""Inspections: regulated sites, each day's plan and visits, recorded results, and members' tokens.

Results are append-only (a correction is a new row; the newest counts), so statistics can be rebuilt.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from roster.storage.base import Base


class InspectionSite(Base):
    """A regulated site as last applied from the admin file; ``id`` is stable, removal sets active=False."""

    __tablename__ = "inspection_sites"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    site_type: Mapped[str] = mapped_column(String(64), index=True)
    sector: Mapped[str] = mapped_column(String(64), index=True)
    address: Mapped[str] = mapped_column(String(300))
    contact_name: Mapped[str] = mapped_column(String(100))
    contact_phone: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[dt.datetime]


class InspectionPlan(Base):
    """One day's assignment. ``inputs_sha256`` identifies what it was computed from: same inputs, same plan."""

    __tablename__ = "inspection_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(unique=True)  # bureau-local date
    revision: Mapped[int] = mapped_column(default=1)
    inputs_sha256: Mapped[str] = mapped_column(String(64))
    computed_at: Mapped[dt.datetime]
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)  # left-over sites and why, group loads

    visits: Mapped[list[InspectionVisit]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="InspectionVisit.site_id"
    )


class InspectionVisit(Base):
    """A site assigned to a group (and its inspectors) on a day. ``kind``: routine or task_force."""

    __tablename__ = "inspection_visits"
    __table_args__ = (UniqueConstraint("day", "site_id"), Index("ix_inspection_visits_site_day", "site_id", "day"))

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("inspection_plans.id", ondelete="CASCADE"), index=True)
    day: Mapped[dt.date]
    site_id: Mapped[str] = mapped_column(ForeignKey("inspection_sites.id"))
    group_id: Mapped[str] = mapped_column(String(64), index=True)
    inspectors: Mapped[list[Any]] = mapped_column(default=list)  # person ids
    kind: Mapped[str] = mapped_column(String(16), default="routine")
    reason: Mapped[str] = mapped_column(String(32), default="due")  # due, overdue, never_visited, task_force
    priority: Mapped[int] = mapped_column(default=3)
    due_at: Mapped[dt.datetime]  # UTC instant by which the result must be recorded

    plan: Mapped[InspectionPlan] = relationship(back_populates="visits")


class InspectionResult(Base):
    """What a visit found. Append-only: the newest row of a visit is its result."""

    __tablename__ = "inspection_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("inspection_visits.id"), index=True)
    site_id: Mapped[str] = mapped_column(String(64), index=True)
    day: Mapped[dt.date] = mapped_column(index=True)
    outcome: Mapped[str] = mapped_column(String(16))  # ok, issue
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str | None] = mapped_column(String(64))
    recorded_at: Mapped[dt.datetime]
    via: Mapped[str] = mapped_column(String(16), default="cli")  # cli, http


class InspectionToken(Base):
    """A member's bearer token for recording results. Only its sha256 is stored; revocation is a timestamp."""

    __tablename__ = "inspection_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]
