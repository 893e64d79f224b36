"""Job entry points for Prefect flows: open their own session, take ``now``, idempotent, typed summary.

Imports stay inside the functions: ``roster.planning.feature`` declares these jobs and must cost nothing to
import (the solver in particular).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from roster.feature import JobSummary


@dataclass(frozen=True)
class PlanSummary(JobSummary):
    start: dt.date  # the duty date on duty at ``now``: the first day of the window
    days: int  # days planned (fewer than asked when holiday data runs out)
    planned: bool | None = None  # False: nothing was written (see ``reason``)
    reason: str | None = None
    warning: str | None = None
    status: str | None = None  # the solver's status
    created: int | None = None  # shifts created
    changed: int | None = None  # seats moved in existing shifts
    explanations: list[Any] | None = None

    @property
    def changed_anything(self) -> bool:
        return bool(self.planned) and bool(self.created or self.changed)


def covered_days(bureau, start: dt.date, days: int) -> tuple[int, str | None]:  # noqa: ANN001
    """How many of ``days`` from ``start`` have holiday data, and why the rest (if any) cannot be planned."""
    from roster.holidays import HolidayCalendar, HolidayDataMissing

    calendar = HolidayCalendar.from_section(bureau.holidays)
    end = start + dt.timedelta(days=days)
    for year in range(start.year, end.year + 1):
        if not calendar.covers(year):
            try:
                calendar.check_range(max(start, dt.date(year, 1, 1)), 1)
            except HolidayDataMissing as exc:
                return max(0, (dt.date(year, 1, 1) - start).days), str(exc)
    return days, None


def plan_ahead(now: dt.datetime, days: int = 56, database_url: str | None = None) -> PlanSummary:
    """Plan the ``days`` from the duty date on duty at ``now`` unless every shift there is already fully staffed.

    A window reaching into a year without holiday data is planned up to the end of the last covered year,
    and the summary carries the warning (the admin must add the next year's holidays)."""
    from sqlalchemy import func, select

    from roster.admin.current import current_bureau
    from roster.planning.plan import plan
    from roster.shifts import duty_date_at, generate_slots
    from roster.storage import session_scope
    from roster.storage.models.shifts import Shift, ShiftAssignment

    with session_scope(database_url) as session:
        bureau = current_bureau(session)
        start = duty_date_at(now, bureau.shift_pattern, bureau.bureau.timezone)  # the shift on duty now
        plannable, warning = covered_days(bureau, start, days)
        summary = PlanSummary(start=start, days=plannable, warning=warning)
        if plannable == 0:
            return replace(summary, planned=False, reason="no holiday data")
        slots = generate_slots(start, plannable, bureau.shift_pattern, bureau.bureau.timezone)
        needed = sum(n for n in bureau.requirements.values() if n > 0)
        staffed = dict(
            session.execute(
                select(Shift.uid, func.count(ShiftAssignment.id))
                .join(ShiftAssignment, ShiftAssignment.shift_id == Shift.id)
                .where(Shift.duty_date >= start, Shift.duty_date < start + dt.timedelta(days=plannable))
                .group_by(Shift.uid)
            ).all()
        )
        if all(staffed.get(s.uid, 0) >= needed for s in slots):
            return replace(summary, planned=False, reason="already planned")
        report = plan(session, bureau, start, plannable, now, actor="plan_ahead", time_limit_s=60)
        if report.ok:  # in the plan's transaction: the notices commit with the re-plan or not at all
            from roster.notices.changes import notify_shift_changes

            notify_shift_changes(session, report, "plan", now)
        return replace(
            summary,
            planned=report.ok,
            status=report.status,
            created=report.created,
            changed=len(report.changes),
            explanations=report.explanations,
        )
