"""Every 5 minutes: queue the duty reminders that are owed (the day before, and before the handover)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from prefect import flow

from flows._jobs import resolve_now, run_job
from roster.notices.feature import SEND_REMINDERS as JOB


@flow(name="send-reminders", log_prints=True)
def send_reminders(now: dt.datetime | None = None, database_url: str | None = None) -> dict[str, Any]:
    """Run ``roster.notices.jobs.send_reminders`` at ``now`` (default: the real time; pass one to replay)."""
    return run_job(JOB, resolve_now(now), {"database_url": database_url}).as_dict()
