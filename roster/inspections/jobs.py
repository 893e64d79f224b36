"""Job entry points for the scheduler (Prefect flows call these). Each opens its own session, takes
``now``, is idempotent, and returns a small JSON-able summary."""

from __future__ import annotations

import datetime as dt
from typing import Any

from roster.admin.current import current_bureau
from roster.storage import session_scope
from roster.timeutil import local_date_of


def assign_day(now: dt.datetime, database_url: str | None = None, day: dt.date | None = None) -> dict[str, Any]:
    """Assign the inspections of the bureau-local date of ``now`` (or ``day``) and tell group leaders.

    Two workers racing on the same day: the plan's unique day makes one of them fail on commit; it retries
    once and then finds the other's plan (same inputs: returned unchanged). On SQLite the loser's write is
    refused as a stale snapshot (OperationalError) instead; same cure."""
    from sqlalchemy.exc import IntegrityError, OperationalError

    try:
        return _assign_day(now, database_url, day)
    except (IntegrityError, OperationalError):
        return _assign_day(now, database_url, day)


def _assign_day(now: dt.datetime, database_url: str | None, day: dt.date | None) -> dict[str, Any]:
    from roster.inspections.assign import assign
    from roster.inspections.notify import notify_leaders

    with session_scope(database_url) as session:
        bureau = current_bureau(session)
        day = day or local_date_of(now, bureau.bureau.timezone)
        if bureau.inspections is None:  # a bureau without inspections: nothing to do, not a failure
            return {"date": day.isoformat(), "skipped": "the admin file in force has no inspections: section"}
        result = assign(session, day, now)
        messages = notify_leaders(session, bureau, result.plan, now)
        summary = result.plan.summary
        visits = result.plan.visits
        return {
            "date": day.isoformat(),
            "revision": result.revision,
            "recomputed": result.created,
            "visits": len(visits),
            "by_group": {g: v["visits"] for g, v in summary.get("loads", {}).items()},
            "left": summary.get("left", []),
            "messages_enqueued": messages,
        }


def daily_report(now: dt.datetime, database_url: str | None = None, day: dt.date | None = None) -> dict[str, Any]:
    """Build the bureau's daily (or zero) report for the local date of ``now`` and write it under
    ``$DUTYFLOW_HOME/reports/``."""
    from roster.inspections.daily_report import build_daily_report, write_report

    with session_scope(database_url) as session:
        bureau = current_bureau(session)
        day = day or local_date_of(now, bureau.bureau.timezone)
        if bureau.inspections is None:
            return {"date": day.isoformat(), "skipped": "the admin file in force has no inspections: section"}
        report = build_daily_report(session, day, now)
    path = write_report(report)
    return report.as_dict(path) | {"text": report.text}
