"""`dutyflow up` as a user runs it: a subprocess that serves Prefect + schedules + HTTP until Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from flows.registry import FLOWS
from roster import supervise
from roster.supervise import free_port
from tests.flows_helpers import PLAIN_HTTP_CLIENTS, PROJECT_ROOT

pytest_plugins = ["tests.conftest_prefect"]
pytestmark = [pytest.mark.prefect, pytest.mark.slow]


def _descendants(root: int) -> set[int]:
    """Every live process below ``root`` (from /proc: pid -> ppid)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The command name (2nd field) may contain spaces; the ppid is the 2nd field after its ")".
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie has exited; only its parent's wait() is missing.
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _served_deployments(api: httpx.Client, api_url: str) -> set[str]:
    response = api.post(f"{api_url}/deployments/filter", json={})
    response.raise_for_status()
    return {d["name"] for d in response.json()}


@pytest.fixture
def prefect_database() -> Iterator[str]:
    """A fresh PostgreSQL database for up's Prefect server, as an admin configures it for production
    (``PREFECT_SERVER_DATABASE_CONNECTION_URL``, docs/orchestration.md). Prefect's migrations of a fresh
    database take about 2.5 s of CPU there against 10 s on SQLite; the SQLite default is checked on
    ``child_environment`` below, and ``make run`` starts on it."""
    from tests.conftest_prefect import fresh_prefect_database  # a plugin module, rewritten when registered

    with fresh_prefect_database("prefect_up") as url:
        yield url


def test_up_serves_everything_and_stops_cleanly_on_ctrl_c(tmp_path: Path, prefect_database: str) -> None:
    prefect_port, http_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        DUTYFLOW_HOME=str(tmp_path / "home"),
        PYTHONUNBUFFERED="1",
        PREFECT_SERVER_DATABASE_CONNECTION_URL=prefect_database,
        **PLAIN_HTTP_CLIENTS,
        PREFECT_SERVER_REGISTER_BLOCKS_ON_START="false",  # no flow uses blocks: 1.5-3 s of the server's start
    )
    env.pop("DUTYFLOW_DATABASE_URL", None)
    log_path = tmp_path / "up.log"
    with log_path.open("wb") as log:
        up = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "roster.cli",
                "up",
                "--prefect-port",
                str(prefect_port),
                "--http-port",
                str(http_port),
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            api_url = f"http://127.0.0.1:{prefect_port}/api"
            up_child = supervise.Child("dutyflow up", up)
            supervise.wait_http_ok(f"http://127.0.0.1:{http_port}/healthz", up_child, timeout=180)
            supervise.wait_http_ok(f"{api_url}/health", up_child, timeout=120)
            deadline = time.monotonic() + 120
            with httpx.Client(timeout=5) as api:  # one client for the polling (each new one loads the CA bundle)
                while _served_deployments(api, api_url) != {s.name for s in FLOWS}:
                    assert up.poll() is None and time.monotonic() < deadline, log_path.read_text()
                    time.sleep(0.5)
            # Prefect's state lives under DUTYFLOW_HOME, not in the user's ~/.prefect; its database where the
            # admin put it (no SQLite file beside it).
            assert (tmp_path / "home" / "prefect").is_dir()
            assert not (tmp_path / "home" / "prefect" / "prefect.db").exists()
            # `flows run` with the same DUTYFLOW_HOME records its run on this server (no temporary one).
            ran = subprocess.run(
                [sys.executable, "-m", "roster.cli", "flows", "run", "deliver-notifications"],
                cwd=PROJECT_ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=180,
            )
            assert ran.returncode == 0, ran.stdout + ran.stderr
            assert '"claimed"' in ran.stdout
            # Only the ad-hoc runs: the scheduler's runs of every deployment can fill a page of the filter.
            ad_hoc = {"flow_runs": {"deployment_id": {"is_null_": True}}}
            runs = httpx.post(f"{api_url}/flow_runs/filter", json=ad_hoc, timeout=5).json()
            assert [r["state_type"] for r in runs] == ["COMPLETED"], runs

            children = _descendants(up.pid)
            assert len(children) >= 3  # Prefect server, flow runner, HTTP server (and their own children)

            up.send_signal(signal.SIGINT)
            assert up.wait(90) == 0, log_path.read_text()
        finally:
            if up.poll() is None:
                up.kill()
                up.wait()
    output = log_path.read_text()
    assert f"Prefect UI:  http://127.0.0.1:{prefect_port}" in output
    assert f"HTTP server: http://127.0.0.1:{http_port}" in output
    assert "stopped." in output
    deadline = time.monotonic() + 10
    while (left := {pid for pid in children if _alive(pid)}) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not left, f"orphaned processes: {left}"


def test_prefects_database_is_sqlite_beside_ours_unless_the_admin_chose_one() -> None:
    from roster.cli.up import child_environment

    home = Path("/srv/dutyflow")
    default = child_environment({}, home, home / "prefect", "sqlite:////srv/dutyflow/dutyflow.db", 4200)
    assert default["PREFECT_SERVER_DATABASE_CONNECTION_URL"] == "sqlite+aiosqlite:////srv/dutyflow/prefect/prefect.db"
    assert default["PREFECT_API_URL"] == "http://127.0.0.1:4200/api"
    chosen = "postgresql+asyncpg://prefect@db:5432/prefect"
    for name in ("PREFECT_SERVER_DATABASE_CONNECTION_URL", "PREFECT_API_DATABASE_CONNECTION_URL"):
        env = child_environment({name: chosen}, home, home / "prefect", "sqlite:///x.db", 4200)
        assert env[name] == chosen
        assert env.get("PREFECT_SERVER_DATABASE_CONNECTION_URL", chosen) == chosen


def test_up_refuses_a_busy_http_port(tmp_path: Path) -> None:
    import socket

    from typer.testing import CliRunner

    from roster.cli import app

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(app, ["up", "--http-port", str(port)], env={"DUTYFLOW_HOME": str(tmp_path)})
    assert result.exit_code == 2
    assert f"--http-port: port {port}" in result.output
