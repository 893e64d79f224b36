"""Publish calendars: refresh cached .ics feeds (after a roster change, and hourly as a safety net)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from prefect import flow

from flows._jobs import resolve_now, run_job
from roster.calendar.feature import REFRESH_FEEDS as JOB


@flow(name="refresh-feeds", log_prints=True)
def refresh_feeds(now: dt.datetime | None = None, database_url: str | None = None) -> dict[str, Any]:
    """Run ``roster.calendar.jobs.refresh_feeds`` at ``now`` (default: the real time; pass one to replay)."""
    return run_job(JOB, resolve_now(now), {"database_url": database_url}).as_dict()
