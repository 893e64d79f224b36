"""Helpers shared by the flow tests (plain functions; fixtures live in tests/conftest_prefect.py)."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import httpx

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def prefect_env(prefect_home: Path, api_url: str | None = None) -> dict[str, str]:
    """Environment for a Prefect subprocess isolated from the machine's own profile and server."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        PREFECT_HOME=str(prefect_home),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_SERVER_DATABASE_CONNECTION_URL=f"sqlite+aiosqlite:///{prefect_home / 'prefect.db'}",
        PREFECT_CLI_PROMPT="false",
    )
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return env


def wait_until_ok(url: str, process: subprocess.Popen[bytes], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    # One client for the whole wait: each new httpx client loads the CA bundle (~60 ms of CPU here), and a
    # server's start under load meant a hundred of them.
    with httpx.Client(timeout=2) as client:
        while time.monotonic() < deadline:
            assert process.poll() is None, f"process exited with {process.returncode} before {url} answered"
            try:
                if client.get(url).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within {timeout} s")
