"""Every 5 minutes: run the incident reporting clocks and alert those that are due through the outbox."""

from __future__ import annotations

import datetime as dt
from typing import Any

from prefect import flow

from flows._jobs import resolve_now, run_job
from roster.incidents.feature import CHECK_INCIDENTS as JOB


@flow(name="check-incidents", log_prints=True)
def check_incidents(now: dt.datetime | None = None, database_url: str | None = None) -> dict[str, Any]:
    """Run ``roster.incidents.jobs.check_incidents`` at ``now`` (default: the real time; pass one to replay)."""
    return run_job(JOB, resolve_now(now), {"database_url": database_url}).as_dict()
