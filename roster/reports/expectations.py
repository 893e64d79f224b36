"""Which unit owes a report for which local day, and the small time arithmetic around it.

An expectation row per (unit, day) is created in bulk (INSERT … ON CONFLICT DO NOTHING) by each escalation
tick for the last few days and by any submission, excuse or acknowledgement touching that day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from roster.holidays import DayKind, HolidayCalendar, HolidayDataMissing
from roster.storage.insert import insert_ignoring_conflicts
from roster.storage.models.reports import ReportExpectation, ReportUnit
from roster.timeutil import local_wall_clock_to_utc

# States of a unit-day, as shown on the board.
PENDING, SUBMITTED, ZERO_REPORT, LATE, MISSING, EXCUSED = (
    "pending",
    "submitted",
    "zero_report",
    "late",
    "missing",
    "excused",
)


@dataclass(frozen=True)
class UnitTimes:
    deadline_at: dt.datetime
    grace_until: dt.datetime
    first_check_at: dt.datetime


def plain_utc(instant: dt.datetime) -> dt.datetime:
    """A plain aware ``datetime`` in UTC: callers may pass pendulum instants, whose arithmetic with plain
    datetimes and timedeltas misbehaves."""
    if instant.tzinfo is None:
        raise ValueError("naive datetime given as now; pass an aware UTC instant")
    return dt.datetime.fromtimestamp(instant.timestamp(), tz=dt.UTC)


@lru_cache(maxsize=65536)
def _wall_clock_utc(day: dt.date, hour: int, minute: int, tz: str) -> dt.datetime:
    instant = local_wall_clock_to_utc(day, dt.time(hour, minute), tz)
    return dt.datetime.fromtimestamp(instant.timestamp(), tz=dt.UTC)


def unit_times(unit: ReportUnit, day: dt.date) -> UnitTimes:
    """Deadline and grace end as UTC instants. The local wall-clock deadline is resolved to UTC first, and
    only then are durations added (adding to a local time across a DST change gives the wrong instant)."""
    hour, minute = (int(x) for x in unit.deadline.split(":"))
    deadline_at = _wall_clock_utc(day, hour, minute, unit.timezone)
    first_after = min((int(s["after"]) for s in unit.steps), default=0)
    return UnitTimes(
        deadline_at=deadline_at,
        grace_until=deadline_at + dt.timedelta(minutes=unit.grace_minutes),
        first_check_at=deadline_at + dt.timedelta(minutes=first_after),
    )


def reports_on(unit: ReportUnit, day: dt.date, calendar: HolidayCalendar | None) -> bool:
    """Does the unit owe a report on ``day``? Every day by default, holidays included."""
    if day < unit.active_from:
        return False
    if unit.days == "every_day":
        return True
    if calendar is not None:
        try:
            return calendar.kind(day) in (DayKind.WORKDAY, DayKind.ADJUSTED_WORKDAY)
        except HolidayDataMissing:
            pass  # no holiday data that far out: fall back to Monday..Friday
    return day.weekday() < 5


def state_of(row: ReportExpectation | None, times: UnitTimes, now: dt.datetime) -> str:
    """The board state at ``now``, computed from stored facts (never from when a tick last ran)."""
    if row is not None and row.excused_at is not None:
        return EXCUSED
    if row is not None and row.latest_kind is not None:
        return ZERO_REPORT if row.latest_kind == "zero" else SUBMITTED
    if now < times.deadline_at:
        return PENDING
    if now < times.grace_until:
        return LATE
    return MISSING


def missing_expectations(session: Session, wanted: list[tuple[str, dt.date]]) -> list[tuple[str, dt.date]]:
    """The (unit id, day) pairs of ``wanted`` that have no expectation row yet (one SELECT)."""
    if not wanted:
        return []
    days = [day for _, day in wanted]
    existing = set(
        session.execute(
            select(ReportExpectation.unit_id, ReportExpectation.day).where(
                ReportExpectation.day.between(min(days), max(days)),
                ReportExpectation.unit_id.in_({unit_id for unit_id, _ in wanted}),
            )
        ).tuples()
    )
    return [pair for pair in wanted if pair not in existing]


def ensure_expectations(session: Session, pairs: Iterable[tuple[ReportUnit, dt.date]]) -> int:
    """Insert the missing expectation rows (one SELECT, one executemany INSERT … ON CONFLICT DO NOTHING, so
    a concurrent creator is harmless); returns how many were missing."""
    pairs = list(pairs)
    if not pairs:
        return 0
    by_id = {unit.id: unit for unit, _ in pairs}
    missing = missing_expectations(session, [(unit.id, day) for unit, day in pairs])
    pairs = [(by_id[unit_id], day) for unit_id, day in missing]
    values = []
    for unit, day in pairs:
        times = unit_times(unit, day)
        values.append(
            {
                "unit_id": unit.id,
                "day": day,
                "deadline_at": times.deadline_at,
                "grace_until": times.grace_until,
                "submissions": 0,
                "next_check_at": times.first_check_at,
            }
        )
    insert_ignoring_conflicts(session, ReportExpectation.__table__, values, ["unit_id", "day"])
    return len(values)


def take_write_lock(session: Session) -> None:
    """On SQLite, start the write transaction now, before reading: the driver begins a transaction only at
    the first write, so reads before it could be stale by the time we write (two submitters both seeing
    "no submission with this key", a tick alerting a unit-day a submission just resolved). A write statement
    that changes nothing takes the database's write lock; other writers queue (busy_timeout). PostgreSQL
    uses row locks instead."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("UPDATE report_expectations SET id = id WHERE 0"))


def expectation_for_update(session: Session, unit: ReportUnit, day: dt.date) -> ReportExpectation:
    """The unit-day's row, created if needed and locked (PostgreSQL: a row lock; SQLite: the write lock taken
    before anything is read), so that concurrent submissions, acks and ticks for the same day queue up."""
    take_write_lock(session)
    ensure_expectations(session, [(unit, day)])
    stmt = select(ReportExpectation).where(ReportExpectation.unit_id == unit.id, ReportExpectation.day == day)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return session.execute(stmt.execution_options(populate_existing=True)).scalar_one()
