"""Daily, before its deadline: generate the bureau's daily report."""

from __future__ import annotations

import datetime as dt
from typing import Any

from prefect import flow

from flows._jobs import resolve_now, run_job
from roster.inspections.feature import DAILY_REPORT as JOB


@flow(name="daily-report", log_prints=True)
def daily_report(now: dt.datetime | None = None, database_url: str | None = None) -> dict[str, Any]:
    """Run ``roster.inspections.jobs.daily_report`` at ``now`` (default: the real time; pass one to replay)."""
    return run_job(JOB, resolve_now(now), {"database_url": database_url}).as_dict()
