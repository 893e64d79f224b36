"""The flows on the real Prefect engine (one test server per run): retries, replayable `now`, clear errors."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import exc as sa_exc

from roster.feature import Job, JobSummary

pytest_plugins = ["tests.conftest_prefect"]
pytestmark = [
    pytest.mark.prefect,
    pytest.mark.xdist_group("prefect-harness"),
    pytest.mark.usefixtures("prefect_harness"),
]

CALLS: list[dict[str, Any]] = []
_lock = threading.Lock()


@dataclass(frozen=True)
class Attempt(JobSummary):
    attempt: int
    now: dt.datetime


def flaky_job(now: dt.datetime, database_url: str | None = None, failures: int = 0, kind: str = "transient") -> Attempt:
    """A job that fails its first ``failures`` calls, transiently (database locked) or not (bad data)."""
    with _lock:
        CALLS.append({"now": now})
        attempt = len(CALLS)
    if attempt <= failures:
        if kind == "transient":
            raise sa_exc.OperationalError("UPDATE outbox", {}, Exception("database is locked"))
        raise ValueError("bad data in row 7")
    return Attempt(attempt=attempt, now=now)


@pytest.fixture(scope="module")
def flaky_flow() -> Any:
    """Built on first use: importing Prefect while collecting cost every xdist worker 1.8 s, and only the
    worker that runs the ``prefect-harness`` group needs it."""
    from prefect import flow

    from flows._jobs import resolve_now, run_job

    @flow
    def flaky_flow(now: dt.datetime | None = None, failures: int = 0, kind: str = "transient") -> dict:
        fast = run_job.with_options(retry_delay_seconds=0)  # the policy under test, minus the waiting
        return fast(Job(flaky_job), resolve_now(now), {"failures": failures, "kind": kind}).as_dict()

    return flaky_flow


@pytest.fixture(autouse=True)
def _clear_calls() -> None:
    CALLS.clear()


def test_a_transient_fault_is_retried_until_the_job_succeeds(flaky_flow: Any) -> None:
    import pendulum

    result = flaky_flow(now=pendulum.datetime(2026, 3, 2, 1, tz="UTC"), failures=2)
    assert result["attempt"] == 3 and len(CALLS) == 3


def test_a_real_error_is_not_retried(flaky_flow: Any) -> None:
    with pytest.raises(ValueError, match="row 7"):
        flaky_flow(failures=1, kind="bug")
    assert len(CALLS) == 1


def test_retries_are_bounded(flaky_flow: Any) -> None:
    from flows._jobs import run_job

    with pytest.raises(sa_exc.OperationalError):
        flaky_flow(failures=99)
    assert len(CALLS) == 1 + len(run_job.retry_delay_seconds)  # first try + one per configured delay


def test_now_is_a_replayable_parameter_given_as_iso_text(flaky_flow: Any) -> None:
    # Prefect validates parameters: an ISO string (as typed in the UI or by `dutyflow flows run --now`)
    # becomes an aware instant, normalized to UTC before the job sees it.
    result = flaky_flow(now="2026-03-02T09:00:00+08:00")
    assert result["now"] == "2026-03-02T01:00:00+00:00"
