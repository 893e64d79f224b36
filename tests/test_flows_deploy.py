"""`prefect deploy --all` from prefect.yaml, run as a subprocess against the test harness's Prefect server (a real
server process on PostgreSQL), and a process worker running one deployed flow."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select

from flows.registry import FLOWS, SCHEDULE_TIMEZONE, WORK_POOL
from roster.storage import open_session
from roster.storage.models.outbox import OutboxMessage
from tests.flows_helpers import PROJECT_ROOT, prefect_env

pytest_plugins = ["tests.conftest_prefect"]
pytestmark = [pytest.mark.prefect, pytest.mark.xdist_group("prefect-harness")]

DAY = dt.date(2026, 11, 23)
NOW = dt.datetime(2026, 11, 23, 6, 5, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(dt.UTC)


def _prefect(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "prefect", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, f"prefect {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def _off_loop(coroutine):  # noqa: ANN001, ANN202
    """``asyncio.run`` in a thread of its own: a session-scoped Playwright (sync API) on the same xdist worker
    keeps an event loop running in the main thread."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _read_deployments(api_url: str) -> dict:
    from prefect.client.orchestration import PrefectClient

    async with PrefectClient(api_url) as client:
        return {spec.name: await client.read_deployment_by_name(f"{spec.name}/{spec.name}") for spec in FLOWS}


def test_deploy_all_registers_every_flow_with_its_bureau_local_cron(
    prefect_harness: str, tmp_path: Path, db_url: str
) -> None:
    api_url = prefect_harness
    env = prefect_env(tmp_path / "prefect-home", api_url)
    # The pool through the API (what `prefect work-pool create` does, without another CLI start); the worker
    # polls every second instead of every 10 s, so the run below is picked up at once.
    httpx.post(f"{api_url}/work_pools/", json={"name": WORK_POOL, "type": "process"}, timeout=30).raise_for_status()
    env["PREFECT_WORKER_QUERY_SECONDS"] = "1"
    before = set(p.name for p in PROJECT_ROOT.iterdir())
    _reports_bureau(db_url)
    # The worker starts beside the deploy (it polls the pool until a run is due): its start-up overlaps it.
    worker = subprocess.Popen(
        [sys.executable, "-m", "prefect", "worker", "start", "--pool", WORK_POOL, "--prefetch-seconds", "5"],
        env=env,
        cwd=tmp_path,
        stdout=(tmp_path / "worker.log").open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deployments = _deploy_all(api_url, env)
        # A process worker runs a deployed flow: the pull step and entrypoint resolve, the job has its effect.
        state = _off_loop(_run_deployment(api_url, deployments["check-reports"].id, db_url))
    finally:
        # SIGINT, as docs/orchestration.md tells operators: an idle 3.8 process worker ignores SIGTERM for
        # over 45 s (this test waited that long for it).
        os.killpg(worker.pid, signal.SIGINT)
        worker.wait(60)
    assert set(p.name for p in PROJECT_ROOT.iterdir()) == before  # deploying leaves the checkout alone
    assert state.is_completed(), f"{state}\n{(tmp_path / 'worker.log').read_text()}"
    with open_session(db_url) as s:
        units = {m.payload.get("unit") for m in s.scalars(select(OutboxMessage))}
    assert "c-night" in units  # escalated at the replayed 06:00 deadline


def _deploy_all(api_url: str, env: dict[str, str]) -> dict:
    """`prefect deploy --all` from prefect.yaml; every declared flow's deployment, checked against its spec."""
    _prefect(["--no-prompt", "deploy", "--all"], env, PROJECT_ROOT)

    deployments = _off_loop(_read_deployments(api_url))
    for spec in FLOWS:
        deployment = deployments[spec.name]
        assert deployment.entrypoint == spec.entrypoint
        assert deployment.work_pool_name == WORK_POOL
        assert deployment.parameters == {"now": None, **spec.parameters}
        limit = deployment.global_concurrency_limit
        assert (limit.limit if limit else None) == spec.concurrency_limit
        [schedule] = deployment.schedules
        assert schedule.active
        assert schedule.schedule.cron == spec.cron
        assert schedule.schedule.timezone == SCHEDULE_TIMEZONE
        # Workers start each run in the project directory recorded at deploy time.
        [pull] = deployment.pull_steps
        assert pull["prefect.deployments.steps.set_working_directory"]["directory"] == str(PROJECT_ROOT)
    return deployments


def _reports_bureau(url: str) -> None:
    from tests.reports_helpers import add_full_shift, install_bureau, replay_document, seed_bureau

    with open_session(url) as s:
        install_bureau(s, seed_bureau(replay_document()), NOW)
        add_full_shift(s, DAY - dt.timedelta(days=1), "p05")
        add_full_shift(s, DAY, "p02")
        s.commit()


async def _run_deployment(api_url: str, deployment_id: object, db_url: str):  # noqa: ANN202
    from prefect.client.orchestration import PrefectClient

    async with PrefectClient(api_url) as client:
        run = await client.create_flow_run_from_deployment(
            deployment_id, parameters={"now": NOW.isoformat(), "database_url": db_url}
        )
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            run = await client.read_flow_run(run.id)
            if run.state is not None and run.state.is_final():
                return run.state
            await asyncio.sleep(1)
        return run.state
