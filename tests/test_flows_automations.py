"""`dutyflow flows setup` (a subprocess) on the test harness's Prefect server: it removes the zombie-run
automations of earlier releases (the reap-lost-runs flow replaces them), every copy, leaves other
automations alone, and is safe to repeat.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from flows.automations import SUPERSEDED
from tests.flows_helpers import PROJECT_ROOT, prefect_env

pytest_plugins = ["tests.conftest_prefect"]
pytestmark = [pytest.mark.prefect, pytest.mark.xdist_group("prefect-harness")]
SOMEONE_ELSES = "bureau ops: notify on failed runs"


def _names(api_url: str) -> list[str]:
    found = httpx.post(f"{api_url}/automations/filter", json={}, timeout=10).raise_for_status().json()
    return sorted(a["name"] for a in found)


def _create(api_url: str, name: str) -> None:
    trigger = {
        "type": "event",
        "posture": "Proactive",
        "after": ["prefect.flow-run.heartbeat"],
        "expect": ["prefect.flow-run.heartbeat", "prefect.flow-run.Completed"],
        "match": {"prefect.resource.id": "prefect.flow-run.*"},
        "for_each": ["prefect.resource.id"],
        "threshold": 1,
        "within": 90,
    }
    body = {"name": name, "trigger": trigger, "actions": [{"type": "change-flow-run-state", "state": "CRASHED"}]}
    httpx.post(f"{api_url}/automations/", json=body, timeout=10).raise_for_status()


@pytest.fixture
def api_url(prefect_harness: str) -> Iterator[str]:
    yield prefect_harness
    found = httpx.post(f"{prefect_harness}/automations/filter", json={}, timeout=10).raise_for_status().json()
    for automation in found:
        httpx.delete(f"{prefect_harness}/automations/{automation['id']}", timeout=10).raise_for_status()


def test_setup_removes_the_superseded_automations_and_only_those(api_url: str, tmp_path: Path) -> None:
    for name in (*SUPERSEDED, SUPERSEDED[0], SOMEONE_ELSES):  # the first one twice, as a double setup left it
        _create(api_url, name)
    env = prefect_env(tmp_path / "prefect-home", api_url)
    outputs = []
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
        outputs.append(json.loads(result.stdout)["removed_automations"])
    assert sorted(outputs[0]) == sorted([*SUPERSEDED, SUPERSEDED[0]])
    assert outputs[1] == []  # nothing left to remove
    assert _names(api_url) == [SOMEONE_ELSES]
