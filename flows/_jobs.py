"""The one task every flow uses: run a feature's declared ``Job``, retrying transient faults.

Jobs are owned by their features and declared in their ``Feature`` (roster/feature.py); a flow names the
``Job`` object itself, never a dotted path.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

import pendulum
from prefect import task
from prefect.cache_policies import NO_CACHE

from roster.feature import Job, JobSummary

S = TypeVar("S", bound=JobSummary)

# Delays between the attempts of a job that hit a transient fault: quick, then backing off. A job is
# idempotent, so running it again after a half-done attempt is safe.
RETRY_DELAYS_SECONDS = [5, 30, 120]


def lost_a_race(exc: BaseException) -> bool:
    """A unique-constraint violation: a concurrent run of the same idempotent job inserted the row first.

    Running the job again sees the winner's rows and has nothing left to do. Other integrity errors (foreign
    key, NOT NULL, CHECK) are bugs or bad data and are not retried.
    """
    from sqlalchemy import exc as sa_exc

    if not isinstance(exc, sa_exc.IntegrityError):
        return False
    sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    if sqlstate is not None:
        return sqlstate == "23505"  # PostgreSQL unique_violation
    return "UNIQUE constraint failed" in str(exc.orig)  # SQLite


def is_transient(exc: BaseException) -> bool:
    """Faults worth retrying: the database or network was briefly unreachable, locked or timed out, or a
    concurrent run of the same job won a race for a unique row.

    Other integrity errors, bad data and bugs are not transient: retrying them only repeats the failure.
    """
    from sqlalchemy import exc as sa_exc

    if lost_a_race(exc):
        return True
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)):
        return True
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return True
    try:
        import httpx
    except ImportError:  # pragma: no cover - httpx is a dependency
        return False
    return isinstance(exc, httpx.TransportError)


def retry_on_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Prefect ``retry_condition_fn``: retry only when the failure is transient."""
    try:
        state.result()
    except BaseException as exc:  # noqa: BLE001 - we classify whatever the job raised
        return is_transient(exc)
    return False


def resolve_now(now: dt.datetime | None) -> pendulum.DateTime:
    """The flow's ``now`` parameter as an aware UTC instant; the real clock when absent.

    A naive value (as typed by someone replaying a run) is read as UTC, never as the server's zone.
    """
    if now is None:
        return pendulum.now("UTC")
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.UTC)
    return pendulum.instance(now).in_timezone("UTC")


@task(
    name="run-job",
    task_run_name="{job}",
    retries=len(RETRY_DELAYS_SECONDS),
    retry_delay_seconds=RETRY_DELAYS_SECONDS,
    retry_condition_fn=retry_on_transient,
    cache_policy=NO_CACHE,  # a job must really run every time; its idempotence is its own
    log_prints=True,
)
def run_job(job: Job[S], now: dt.datetime, kwargs: dict[str, Any] | None = None) -> S:
    """Run ``job`` at ``now`` and return its typed summary."""
    return job(now, **(kwargs or {}))
