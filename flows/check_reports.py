"""Every 5 minutes: find missed daily / zero reports and escalate them through the outbox."""

from __future__ import annotations

import datetime as dt
from typing import Any

from prefect import flow

from flows._jobs import resolve_now, run_job
from roster.reports.feature import CHECK_REPORTS as JOB


@flow(name="check-reports", log_prints=True)
def check_reports(now: dt.datetime | None = None, database_url: str | None = None) -> dict[str, Any]:
    """Run ``roster.reports.jobs.check_reports`` at ``now`` (default: the real time; pass one to replay)."""
    return run_job(JOB, resolve_now(now), {"database_url": database_url}).as_dict()
