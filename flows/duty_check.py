"""Every 5 minutes: escalate missed check-ins, unanswered roll calls and open handovers through the outbox."""

from __future__ import annotations

import datetime as dt
from typing import Any

from prefect import flow

from flows._jobs import resolve_now, run_job
from roster.duty.feature import CHECK_DUTY as JOB


@flow(name="duty-check", log_prints=True)
def duty_check(now: dt.datetime | None = None, database_url: str | None = None) -> dict[str, Any]:
    """Run ``roster.duty.jobs.check_duty`` at ``now`` (default: the real time; pass one to replay)."""
    return run_job(JOB, resolve_now(now), {"database_url": database_url}).as_dict()
