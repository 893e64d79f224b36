"""The zombie-run automations, applied by `dutyflow flows setup` (a subprocess) to the test harness's Prefect
server: created once, replaced on a second setup, with the proactive trigger and the Crashed action Prefect's
own docs prescribe. They are deleted afterwards, so the later flow tests on that server never meet them.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from flows.automations import AUTOMATIONS, HEARTBEAT_SECONDS, MISSED_HEARTBEATS
from tests.flows_helpers import PROJECT_ROOT, prefect_env

pytest_plugins = ["tests.conftest_prefect"]
pytestmark = [pytest.mark.prefect, pytest.mark.xdist_group("prefect-harness")]


def _ours(api_url: str) -> dict[str, dict]:
    found = httpx.post(f"{api_url}/automations/filter", json={}, timeout=10).raise_for_status().json()
    return {a["name"]: a for a in found if a["name"].startswith("dutyflow:")}


@pytest.fixture
def api_url(prefect_harness: str) -> Iterator[str]:
    yield prefect_harness
    for automation in _ours(prefect_harness).values():
        httpx.delete(f"{prefect_harness}/automations/{automation['id']}", timeout=10).raise_for_status()


def test_setup_applies_the_automations_once_however_often_it_runs(api_url: str, tmp_path: Path) -> None:
    env = prefect_env(tmp_path / "prefect-home", api_url)
    for _ in range(2):
        result = subprocess.run(
            [sys.executable, "-m", "roster.cli", "flows", "setup", "--json"],
            env=env,
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stdout + result.stderr
    found = _ours(api_url)
    assert sorted(found) == sorted(spec.name for spec in AUTOMATIONS)  # replaced, not added twice
    zombie = found["dutyflow: crash runs that stopped sending heartbeats"]["trigger"]
    assert zombie["posture"] == "Proactive"
    assert zombie["after"] == ["prefect.flow-run.heartbeat"]
    assert "prefect.flow-run.Completed" in zombie["expect"]
    assert zombie["within"] == HEARTBEAT_SECONDS * MISSED_HEARTBEATS
    [action] = found["dutyflow: crash runs that stopped sending heartbeats"]["actions"]
    assert action["type"] == "change-flow-run-state" and action["state"] == "CRASHED"
    never_started = found["dutyflow: crash runs that never started"]["trigger"]
    assert never_started["after"] == ["prefect.flow-run.Pending"]
