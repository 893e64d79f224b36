"""Job entry points for the scheduler (Prefect flows call these). Each opens its own session, takes
``now``, is idempotent, and returns a typed summary.

Imports stay inside the functions: ``roster.inspections.feature`` declares these jobs and must cost nothing
to import.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from roster.feature import JobSummary

NO_SECTION = "the admin file in force has no inspections: section"


@dataclass(frozen=True)
class AssignSummary(JobSummary):
    date: dt.date  # the bureau-local day assigned
    revision: int | None = None  # the stored plan's revision
    recomputed: bool | None = None  # False: the stored plan was still right and is returned unchanged
    visits: int | None = None
    by_group: dict[str, int] | None = None  # visits per group
    left: list[dict[str, Any]] | None = None  # due sites left unassigned, most urgent first, with why
    messages_enqueued: int | None = None  # messages to group leaders written to the outbox
    skipped: str | None = None  # why nothing was done (a bureau without inspections)


@dataclass(frozen=True)
class DailyReportSummary(JobSummary):
    date: dt.date
    kind: str | None = None  # daily_report or zero_report
    visits: int | None = None
    issues: int | None = None
    overdue: int | None = None
    path: str | None = None  # where the report was written
    text: str | None = None
    skipped: str | None = None


def assign_day(now: dt.datetime, database_url: str | None = None, day: dt.date | None = None) -> AssignSummary:
    """Assign the inspections of the bureau-local date of ``now`` (or ``day``) and tell group leaders.

    Two workers racing on the same day: the plan's unique day makes one of them fail on commit; it retries
    once and then finds the other's plan (same inputs: returned unchanged). On SQLite the loser's write is
    refused as a stale snapshot (OperationalError) instead; same cure."""
    from sqlalchemy.exc import IntegrityError, OperationalError

    try:
        return _assign_day(now, database_url, day)
    except (IntegrityError, OperationalError):
        return _assign_day(now, database_url, day)


def _assign_day(now: dt.datetime, database_url: str | None, day: dt.date | None) -> AssignSummary:
    from roster.admin.current import current_bureau
    from roster.inspections.assign import assign
    from roster.inspections.notify import notify_leaders
    from roster.storage import session_scope
    from roster.timeutil import local_date_of

    with session_scope(database_url) as session:
        bureau = current_bureau(session)
        day = day or local_date_of(now, bureau.bureau.timezone)
        if bureau.inspections is None:  # a bureau without inspections: nothing to do, not a failure
            return AssignSummary(date=day, skipped=NO_SECTION)
        result = assign(session, day, now)
        messages = notify_leaders(session, bureau, result.plan, now)
        summary = result.plan.summary
        return AssignSummary(
            date=day,
            revision=result.revision,
            recomputed=result.created,
            visits=len(result.plan.visits),
            by_group={g: v["visits"] for g, v in summary.get("loads", {}).items()},
            left=summary.get("left", []),
            messages_enqueued=messages,
        )


def daily_report(now: dt.datetime, database_url: str | None = None, day: dt.date | None = None) -> DailyReportSummary:
    """Build the bureau's daily (or zero) report for the local date of ``now`` and write it under
    ``$DUTYFLOW_HOME/reports/``."""
    from roster.admin.current import current_bureau
    from roster.inspections.daily_report import build_daily_report, write_report
    from roster.storage import session_scope
    from roster.timeutil import local_date_of

    with session_scope(database_url) as session:
        bureau = current_bureau(session)
        day = day or local_date_of(now, bureau.bureau.timezone)
        if bureau.inspections is None:
            return DailyReportSummary(date=day, skipped=NO_SECTION)
        report = build_daily_report(session, day, now)
    path = write_report(report)
    return DailyReportSummary(
        date=report.day,
        kind="zero_report" if report.zero_report else "daily_report",
        visits=report.visits,
        issues=report.issues,
        overdue=report.overdue,
        path=str(path),
        text=report.text,
    )
