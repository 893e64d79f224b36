"""``reap_lost_runs`` against the real Prefect test server: which runs it crashes, and that it is a
compare-and-set (a finished run stays finished, a second pass crashes nothing twice)."""

from __future__ import annotations

import datetime as dt
import uuid

import httpx
import pytest

from roster.runs.jobs import reap_lost_runs

pytest_plugins = ["tests.conftest_prefect"]
pytestmark = [pytest.mark.prefect, pytest.mark.xdist_group("prefect-harness")]


def _post(api: str, path: str, body: dict) -> dict:
    return httpx.post(f"{api}{path}", json=body, timeout=10).raise_for_status().json()


def _run_in_state(api: str, deployment_id: str | None, flow_id: str, state: str) -> str:
    if deployment_id:
        run_id = _post(api, f"/deployments/{deployment_id}/create_flow_run", {})["id"]
    else:
        run_id = _post(api, "/flow_runs/", {"flow_id": flow_id})["id"]
    _post(api, f"/flow_runs/{run_id}/set_state", {"state": {"type": state}, "force": True})
    return run_id


def _state(api: str, run_id: str) -> dict:
    return httpx.get(f"{api}/flow_runs/{run_id}", timeout=10).raise_for_status().json()["state"]


def test_the_watchdog_crashes_the_silent_runs_of_deployments_and_nothing_else(prefect_harness: str) -> None:
    from prefect.settings import temporary_settings  # imported on the harness worker only

    api = prefect_harness
    flow_id = _post(api, "/flows/", {"name": f"watched-{uuid.uuid4().hex[:8]}"})["id"]
    deployment_id = _post(api, "/deployments/", {"name": "watched", "flow_id": flow_id, "tags": ["dutyflow"]})["id"]
    others_id = _post(api, "/deployments/", {"name": "someone-elses", "flow_id": flow_id})["id"]
    running = _run_in_state(api, deployment_id, flow_id, "RUNNING")
    pending = _run_in_state(api, deployment_id, flow_id, "PENDING")
    completed = _run_in_state(api, deployment_id, flow_id, "COMPLETED")
    ad_hoc = _run_in_state(api, None, flow_id, "RUNNING")  # no deployment: not on a worker, not watched
    others = _run_in_state(api, others_id, flow_id, "RUNNING")  # not dutyflow's: may send no heartbeats
    ours = {running, pending, completed, ad_hoc, others}
    real_now = dt.datetime.now(dt.UTC)

    with temporary_settings(updates={"flows.heartbeat_frequency": 30}):
        soon = reap_lost_runs(real_now + dt.timedelta(seconds=60))
        assert not ours & set(soon.crashed)  # started a minute ago: still within three heartbeats
        later = reap_lost_runs(real_now + dt.timedelta(minutes=10))
        again = reap_lost_runs(real_now + dt.timedelta(minutes=10))

    assert ours & set(later.crashed) == {running, pending}
    assert _state(api, running)["type"] == "CRASHED"
    assert "dutyflow watchdog: no heartbeat" in _state(api, running)["message"]
    assert "never started" in _state(api, pending)["message"]
    assert _state(api, completed)["type"] == "COMPLETED"
    assert _state(api, ad_hoc)["type"] == _state(api, others)["type"] == "RUNNING"
    assert not ours & set(again.crashed)


def test_without_heartbeats_the_watchdog_judges_nothing(prefect_harness: str) -> None:
    from prefect.settings import temporary_settings  # imported on the harness worker only

    with temporary_settings(updates={"flows.heartbeat_frequency": None}):
        summary = reap_lost_runs(dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
    assert summary.crashed == [] and summary.watched == 0
    assert "PREFECT_FLOWS_HEARTBEAT_FREQUENCY" in summary.skipped
