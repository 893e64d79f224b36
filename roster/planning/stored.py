"""Queries over stored shifts that planning, swaps and reports share."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from roster.storage.models.people import Leave
from roster.storage.models.shifts import Shift, ShiftAssignment
from roster.timeutil import as_utc

CATEGORIES = ("duties", "nights", "weekends", "holidays")


@dataclass(frozen=True)
class StoredSeat:
    """One stored assignment, flattened: who held which seat of which shift, when (UTC)."""

    person: str
    role: str
    seat: int
    duty_date: dt.date
    slot: str
    starts_at: dt.datetime
    ends_at: dt.datetime


def seats_between(session: Session, first_day: dt.date, last_day: dt.date) -> list[StoredSeat]:
    """Every stored seat on a shift whose duty date is in [first_day, last_day]."""
    rows = session.execute(
        select(
            ShiftAssignment.person_id,
            ShiftAssignment.role,
            ShiftAssignment.seat,
            Shift.duty_date,
            Shift.slot,
            Shift.starts_at,
            Shift.ends_at,
        )
        .join(Shift, Shift.id == ShiftAssignment.shift_id)
        .where(Shift.duty_date >= first_day, Shift.duty_date <= last_day)
        .order_by(Shift.starts_at, ShiftAssignment.role, ShiftAssignment.seat)
    ).all()
    return [StoredSeat(r[0], r[1], r[2], r[3], r[4], as_utc(r[5]), as_utc(r[6])) for r in rows]


def category_counts_before(session: Session, day: dt.date) -> dict[str, dict[str, int]]:
    """person -> category -> number of stored shifts with a duty date before ``day``."""
    rows = session.execute(
        select(
            ShiftAssignment.person_id,
            func.count(),
            func.sum(case((Shift.is_night, 1), else_=0)),
            func.sum(case((Shift.is_weekend, 1), else_=0)),
            func.sum(case((Shift.is_holiday, 1), else_=0)),
        )
        .join(Shift, Shift.id == ShiftAssignment.shift_id)
        .where(Shift.duty_date < day)
        .group_by(ShiftAssignment.person_id)
    ).all()
    return {pid: dict(zip(CATEGORIES, (int(v or 0) for v in values), strict=True)) for pid, *values in rows}


def leave_by_person(session: Session, first_day: dt.date, last_day: dt.date) -> dict[str, list[Leave]]:
    """Leave overlapping [first_day, last_day], per person."""
    out: dict[str, list[Leave]] = defaultdict(list)
    for leave in session.scalars(
        select(Leave).where(Leave.first_day <= last_day, Leave.last_day >= first_day).order_by(Leave.first_day)
    ):
        out[leave.person_id].append(leave)
    return dict(out)


def on_leave(leaves: dict[str, list[Leave]], person: str, day: dt.date) -> Leave | None:
    return next((lv for lv in leaves.get(person, []) if lv.first_day <= day <= lv.last_day), None)
