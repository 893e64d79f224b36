"""Every minute: mark Crashed the runs a lost machine left Running or Pending (roster/runs/watchdog.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from prefect import flow

from flows._jobs import resolve_now, run_job
from roster.runs.feature import REAP_LOST_RUNS as JOB


@flow(name="reap-lost-runs", log_prints=True)
def reap_lost_runs(now: dt.datetime | None = None, database_url: str | None = None) -> dict[str, Any]:
    """Run ``roster.runs.jobs.reap_lost_runs`` at ``now`` (default: the real time)."""
    return run_job(JOB, resolve_now(now), {"database_url": database_url}).as_dict()
