"""Every minute: deliver due outbox messages to their channels."""

from __future__ import annotations

import datetime as dt
from typing import Any

from prefect import flow

from flows._jobs import resolve_now, run_job
from notifications.feature import DELIVER_DUE as JOB


@flow(name="deliver-notifications", log_prints=True)
def deliver_notifications(now: dt.datetime | None = None, database_url: str | None = None) -> dict[str, Any]:
    """Run ``notifications.jobs.deliver_due`` at ``now`` (default: the real time; pass one to replay)."""
    return run_job(JOB, resolve_now(now), {"database_url": database_url}).as_dict()
