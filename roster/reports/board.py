"""Read side: the day's board (state per unit) and monthly punctuality. Reads only; never writes rows."""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from roster.admin.current import NoBureauApplied, current_bureau
from roster.holidays import HolidayCalendar
from roster.reports.expectations import (
    EXCUSED,
    LATE,
    MISSING,
    PENDING,
    SUBMITTED,
    ZERO_REPORT,
    plain_utc,
    reports_on,
    state_of,
    unit_times,
)
from roster.storage.models.reports import ReportExpectation, ReportUnit


def _calendar_or_none(session: Session) -> HolidayCalendar | None:
    try:
        return HolidayCalendar.from_section(current_bureau(session).holidays)
    except NoBureauApplied:
        return None


def _local(instant: dt.datetime | None, tz: str) -> str | None:
    if instant is None:
        return None
    from zoneinfo import ZoneInfo

    return instant.astimezone(ZoneInfo(tz)).isoformat(timespec="minutes")


def report_status(session: Session, day: dt.date, now: dt.datetime) -> list[dict[str, Any]]:
    """One row per active unit that owes a report on ``day``: its state at ``now`` and the facts behind it.

    This is what the bureau's daily-report generator reads."""
    now = plain_utc(now)
    calendar = _calendar_or_none(session)
    units = session.scalars(select(ReportUnit).where(ReportUnit.active.is_(True)).order_by(ReportUnit.id)).all()
    rows = {r.unit_id: r for r in session.scalars(select(ReportExpectation).where(ReportExpectation.day == day))}
    board = []
    for unit in units:
        row = rows.get(unit.id)
        if row is None and not reports_on(unit, day, calendar):
            continue
        times = unit_times(unit, day)
        board.append(
            {
                "unit": unit.id,
                "name": unit.name,
                "kind": unit.kind,
                "date": day.isoformat(),
                "deadline": unit.deadline,
                "state": state_of(row, times, now),
                "received_at": _local(row.first_received_at, unit.timezone) if row else None,
                "late_submission": bool(row and row.first_received_at and row.first_received_at > times.deadline_at),
                "submissions": row.submissions if row else 0,
                "acked_by": row.acked_by if row else None,
                "excused_by": row.excused_by if row else None,
                "excuse_reason": row.excuse_reason if row else None,
            }
        )
    return board


def monthly_stats(session: Session, month: str, now: dt.datetime) -> list[dict[str, Any]]:
    """Punctuality per unit for ``YYYY-MM`` up to ``now``: days owed, on time, late, missing, excused.

    A day counts once its grace period is over (or once it was reported). Punctuality = on-time reports
    (daily or zero) / days owed, excused days left out."""
    now = plain_utc(now)
    year, mon = (int(x) for x in month.split("-"))
    first = dt.date(year, mon, 1)
    last = dt.date(year, mon, _calendar.monthrange(year, mon)[1])
    calendar = _calendar_or_none(session)
    units = session.scalars(select(ReportUnit).order_by(ReportUnit.id)).all()
    facts: dict[tuple[str, dt.date], ReportExpectation] = {
        (r.unit_id, r.day): r
        for r in session.scalars(select(ReportExpectation).where(ReportExpectation.day.between(first, last)))
    }
    out = []
    for unit in units:
        counts = {"owed": 0, "on_time": 0, "late": 0, "zero_reports": 0, "missing": 0, "excused": 0, "open": 0}
        day = first
        while day <= last:
            row = facts.get((unit.id, day))
            if row is not None or (unit.active and reports_on(unit, day, calendar)):
                times = unit_times(unit, day)
                state = state_of(row, times, now)
                if state == EXCUSED:
                    counts["excused"] += 1
                elif state in (SUBMITTED, ZERO_REPORT):
                    counts["owed"] += 1
                    assert row is not None and row.first_received_at is not None
                    if row.first_received_at <= times.deadline_at:
                        counts["on_time"] += 1
                    else:
                        counts["late"] += 1
                    counts["zero_reports"] += int(state == ZERO_REPORT)
                elif state == MISSING:
                    counts["owed"] += 1
                    counts["missing"] += 1
                elif state in (PENDING, LATE) and times.deadline_at <= now:
                    counts["open"] += 1  # still within grace: not counted yet
            day += dt.timedelta(days=1)
        if counts["owed"] or counts["excused"] or counts["open"]:
            punctuality = round(counts["on_time"] / counts["owed"], 4) if counts["owed"] else None
            out.append({"unit": unit.id, "name": unit.name, "month": month, **counts, "punctuality": punctuality})
    return out
