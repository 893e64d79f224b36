"""The zombie-run automations, applied by `dutyflow flows setup` to a real `prefect server start` of their own:
created once, replaced on a second setup, with the proactive trigger and the Crashed action Prefect's own docs
prescribe.

Not on the shared test harness: with automations defined, that SQLite-backed server's trigger evaluation
stalled the other flow tests' API calls for about a minute each.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from flows.automations import AUTOMATIONS, HEARTBEAT_SECONDS, MISSED_HEARTBEATS
from tests.flows_helpers import PROJECT_ROOT, prefect_env

pytest_plugins = ["tests.conftest_prefect"]
pytestmark = [pytest.mark.prefect, pytest.mark.slow]


def _ours(api_url: str) -> dict[str, dict]:
    found = httpx.post(f"{api_url}/automations/filter", json={}, timeout=10).raise_for_status().json()
    return {a["name"]: a for a in found if a["name"].startswith("dutyflow:")}


def test_setup_applies_the_automations_once_however_often_it_runs(prefect_server: str, tmp_path: Path) -> None:
    env = prefect_env(tmp_path / "prefect-home", prefect_server)
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
    found = _ours(prefect_server)
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
