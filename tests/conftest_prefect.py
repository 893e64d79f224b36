"""Prefect fixtures, registered by the flow tests through ``pytest_plugins`` (tests/conftest.py stays shared).

``prefect_harness`` starts Prefect's test server once per test process (per xdist worker) and yields its API
URL; the tests that need it (flows run in-process, and `prefect deploy`, a process worker and `dutyflow flows
setup` as subprocesses) share one xdist group, so under ``pytest -n 2 --dist loadgroup`` only one worker pays
for it. `dutyflow up` (tests/test_flows_up.py) starts a server of its own, as a user's would.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[str]:
    """Prefect's test harness (``prefect.testing.utilities.prefect_test_harness``), with its database on PostgreSQL.

    The stock harness keeps the test server's database in SQLite, where two overlapping flow runs (the flow
    tests start them on purpose) left one server transaction waiting for the other's write lock for the
    whole 60 s busy timeout Prefect sets outside its own unit tests: about once a run, one flow test took
    65 s instead of 5 (seen with py-spy; the client waiting on ``set_flow_run_state``). PostgreSQL locks by
    row, as the scale-out test's servers do (tests_scale/cluster.py).
    """
    import prefect.context
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_DATABASE_CONNECTION_URL, temporary_settings

    from roster.supervise import free_port

    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # No test uses blocks: registering every block type on the fresh database took 1.5-3 s of each start.
    os.environ.setdefault("PREFECT_SERVER_REGISTER_BLOCKS_ON_START", "false")
    with fresh_prefect_database("prefect_harness") as url, contextlib.ExitStack() as stack:
        with temporary_settings(updates={PREFECT_SERVER_DATABASE_CONNECTION_URL: url}):
            server = SubprocessASGIServer(port=free_port())
            # As the stock harness does: code asking for "the" ephemeral server finds this one.
            SubprocessASGIServer._instances[None] = server
            server.start(timeout=120)
        stack.callback(server.stop)
        # No flow-run heartbeats in-process: on exit each run waited for the heartbeat thread's 1 s sleep (0.5 s
        # a run on average, about 25 s a test run). The watchdog that reads them (reap-lost-runs) is tested where it
        # matters, with real workers (tests_scale/); `prefect deploy`'s worker subprocess still sends them.
        stack.enter_context(
            temporary_settings(
                updates={
                    PREFECT_API_URL: server.api_url,
                    "flows.heartbeat_frequency": None,
                    # tests/flows_helpers.PLAIN_HTTP_CLIENTS, as a setting of this process
                    "api.tls_insecure_skip_verify": True,
                }
            )
        )
        # Threads started by the tests copy no context: make the harness settings the process-wide default.
        stack.enter_context(prefect.context._temporary_global_settings_context(prefect.context.get_settings_context()))
        yield server.api_url
        _drain_clients()  # as the stock harness does: the logs and events still queued reach the server


def _drain_clients() -> None:
    import inspect

    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker
    from prefect.utilities.asyncutils import run_coro_as_sync

    async def drain() -> None:
        with contextlib.suppress(RuntimeError):  # a worker that never started
            result = APILogWorker.instance().drain()
            if inspect.isawaitable(result):
                await result
        result = EventsWorker.drain_all()
        if inspect.isawaitable(result):
            await result

    run_coro_as_sync(drain())


@contextlib.contextmanager
def fresh_prefect_database(prefix: str) -> Iterator[str]:
    """A fresh PostgreSQL database for a Prefect server, dropped afterwards: its URL as Prefect takes it (asyncpg)."""
    from sqlalchemy import create_engine, text

    from tests.conftest import PG_ADMIN_URL

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
        yield url.replace("postgresql+psycopg://", "postgresql+asyncpg://")
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
