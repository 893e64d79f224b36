"""`prefect deploy --all` from prefect.yaml against a real `prefect server start` subprocess."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from flows.registry import FLOWS, SCHEDULE_TIMEZONE, WORK_POOL
from tests.flows_helpers import PROJECT_ROOT, prefect_env

pytest_plugins = ["tests.conftest_prefect"]
pytestmark = [pytest.mark.prefect, pytest.mark.slow]


def _prefect(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "prefect", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, f"prefect {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


async def _read_deployments(api_url: str) -> dict:
    from prefect.client.orchestration import PrefectClient

    async with PrefectClient(api_url) as client:
        return {spec.name: await client.read_deployment_by_name(f"{spec.name}/{spec.name}") for spec in FLOWS}


def test_deploy_all_registers_every_flow_with_its_bureau_local_cron(prefect_server: str, tmp_path: Path) -> None:
    env = prefect_env(tmp_path / "prefect-home", prefect_server)
    _prefect(["work-pool", "create", WORK_POOL, "--type", "process"], env, tmp_path)
    before = set(p.name for p in PROJECT_ROOT.iterdir())

    _prefect(["--no-prompt", "deploy", "--all"], env, PROJECT_ROOT)

    deployments = asyncio.run(_read_deployments(prefect_server))
    for spec in FLOWS:
        deployment = deployments[spec.name]
        assert deployment.entrypoint == spec.entrypoint
        assert deployment.work_pool_name == WORK_POOL
        assert deployment.parameters == {"now": None, **spec.parameters}
        [schedule] = deployment.schedules
        assert schedule.active
        assert schedule.schedule.cron == spec.cron
        assert schedule.schedule.timezone == SCHEDULE_TIMEZONE
        # Workers start each run in the project directory recorded at deploy time.
        [pull] = deployment.pull_steps
        assert pull["prefect.deployments.steps.set_working_directory"]["directory"] == str(PROJECT_ROOT)
    assert set(p.name for p in PROJECT_ROOT.iterdir()) == before  # deploying leaves the checkout alone
