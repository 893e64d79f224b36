"""Prefect fixtures, registered by the flow tests through ``pytest_plugins`` (tests/conftest.py stays shared).

``prefect_harness`` starts Prefect's test server once per test process (per xdist worker); the flow tests
that need it share one xdist group, so under ``pytest -n 2 --dist loadgroup`` only one worker pays for it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.flows_helpers import prefect_env, wait_until_ok


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def prefect_server(tmp_path: Path, unused_port: int) -> Iterator[str]:
    """A real ``prefect server start`` on a free loopback port; yields its API URL."""
    home = tmp_path / "prefect-home"
    home.mkdir()
    api_url = f"http://127.0.0.1:{unused_port}/api"
    log = (tmp_path / "prefect-server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(unused_port)],
        env=prefect_env(home),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_until_ok(f"{api_url}/health", process)
        yield api_url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


@pytest.fixture
def unused_port() -> int:
    from roster.supervise import free_port

    return free_port()
