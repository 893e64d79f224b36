"""Every minute: store the night's drawn roll-call times and send the roll calls whose time has come."""

from __future__ import annotations

import datetime as dt
from typing import Any

from prefect import flow

from flows._jobs import resolve_now, run_job
from roster.duty.feature import SEND_ROLLCALLS as JOB


@flow(name="duty-rollcalls", log_prints=True)
def duty_rollcalls(now: dt.datetime | None = None, database_url: str | None = None) -> dict[str, Any]:
    """Run ``roster.duty.jobs.send_rollcalls`` at ``now`` (default: the real time; pass one to replay)."""
    return run_job(JOB, resolve_now(now), {"database_url": database_url}).as_dict()
