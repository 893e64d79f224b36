"""The zombie-run automations, applied to a real Prefect server: created once, replaced on a second setup,
with the proactive trigger and the Crashed action Prefect's own docs prescribe."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from flows.automations import AUTOMATIONS, HEARTBEAT_SECONDS, MISSED_HEARTBEATS
from roster.cli import app

pytest_plugins = ["tests.conftest_prefect"]
pytestmark = [
    pytest.mark.prefect,
    pytest.mark.xdist_group("prefect-harness"),
    pytest.mark.usefixtures("prefect_harness"),
]


def _ours() -> list:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return [a for a in client.read_automations() if a.name.startswith("dutyflow:")]


def test_setup_applies_the_automations_once_however_often_it_runs() -> None:
    # In a thread of its own: a session-scoped Playwright (sync API) on the same xdist worker keeps an event loop
    # running in the main thread, and Prefect's sync calls would then hand back coroutines.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        pool.submit(_setup_twice_and_check).result()


def _setup_twice_and_check() -> None:
    for _ in range(2):
        result = CliRunner().invoke(app, ["flows", "setup", "--json"])
        assert result.exit_code == 0, result.output
    found = {a.name: a for a in _ours()}
    assert sorted(found) == sorted(spec.name for spec in AUTOMATIONS)
    zombie = found["dutyflow: crash runs that stopped sending heartbeats"]
    assert zombie.trigger.posture == "Proactive"
    assert zombie.trigger.after == {"prefect.flow-run.heartbeat"}
    assert "prefect.flow-run.Completed" in zombie.trigger.expect
    assert zombie.trigger.within.total_seconds() == HEARTBEAT_SECONDS * MISSED_HEARTBEATS
    [action] = zombie.actions
    assert action.type == "change-flow-run-state" and action.state == "CRASHED"
    assert found["dutyflow: crash runs that never started"].trigger.after == {"prefect.flow-run.Pending"}
