"""Helpers shared by the flow tests (plain functions; fixtures live in tests/conftest_prefect.py)."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


# The tests' Prefect API is plain HTTP on loopback, where no certificate is ever checked; left on, every Prefect
# client loads certifi's whole CA bundle all the same (25-50 ms each; `prefect deploy --all` makes hundreds: a
# third of its CPU time, docs/testing.md).
PLAIN_HTTP_CLIENTS = {"PREFECT_API_TLS_INSECURE_SKIP_VERIFY": "true"}


def prefect_env(prefect_home: Path, api_url: str | None = None) -> dict[str, str]:
    """Environment for a Prefect subprocess isolated from the machine's own profile and server."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        PREFECT_HOME=str(prefect_home),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_SERVER_DATABASE_CONNECTION_URL=f"sqlite+aiosqlite:///{prefect_home / 'prefect.db'}",
        PREFECT_CLI_PROMPT="false",
        **PLAIN_HTTP_CLIENTS,
    )
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return env
