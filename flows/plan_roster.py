"""Weekly: plan the duty roster ahead; when the plan changed anything, republish the calendars."""

from __future__ import annotations

import datetime as dt
from typing import Any

from prefect import flow, get_run_logger

from flows._jobs import resolve_now, run_job
from flows.refresh_feeds import refresh_feeds
from roster.feature import JobSummary
from roster.planning.feature import PLAN_AHEAD as JOB

# Keys by which plan_ahead's summary says what it changed (counts or lists).
_CHANGE_KEYS = ("created", "changed", "changes", "updated", "removed", "deleted")


def plan_changed(summary: JobSummary | dict[str, Any]) -> bool:
    """Whether the plan changed any shift (from the job's summary or its JSON form).

    ``planned: False`` (e.g. "already planned") means nothing was
    written. When the summary does not say, assume it did: refreshing feeds is idempotent and cheap, while a
    stale published calendar sends people to the wrong shift."""
    if isinstance(summary, JobSummary):
        summary = summary.as_dict()
    if summary.get("planned") is False:
        return False
    known = [summary[key] for key in _CHANGE_KEYS if key in summary]
    if not known:
        return True
    return any(bool(value) for value in known)


@flow(name="plan-roster", log_prints=True)
def plan_roster(now: dt.datetime | None = None, days: int = 56, database_url: str | None = None) -> dict[str, Any]:
    """Plan ``days`` ahead from ``now`` (default: the real time) and refresh feeds if the plan changed."""
    instant = resolve_now(now)
    summary = run_job(JOB, instant, {"days": days, "database_url": database_url}).as_dict()
    if plan_changed(summary):
        get_run_logger().info("plan changed; refreshing calendar feeds")
        summary = {**summary, "feeds": refresh_feeds(now=instant, database_url=database_url)}
    return summary
