"""Daily 07:00: assign today's inspections of regulated sites to the six work groups."""

from __future__ import annotations

import datetime as dt
from typing import Any

from prefect import flow

from flows._jobs import resolve_now, run_job
from roster.inspections.feature import ASSIGN_DAY as JOB


@flow(name="assign-inspections", log_prints=True)
def assign_inspections(now: dt.datetime | None = None, database_url: str | None = None) -> dict[str, Any]:
    """Run ``roster.inspections.jobs.assign_day`` at ``now`` (default: the real time; pass one to replay)."""
    return run_job(JOB, resolve_now(now), {"database_url": database_url}).as_dict()
