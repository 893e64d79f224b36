"""Shared fixtures: a fresh migrated database per test, on SQLite (default) and the real PostgreSQL.

SQLite databases are copied from one template migrated once per run, so a test pays for a file copy,
not for Alembic. PostgreSQL gets one database per test run (dropped at the end), emptied between tests.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from roster.storage import Base, get_engine, open_session, reset_engines

# Tests of escalation ticks inspect the outbox rows a tick wrote before delivering them; the urgent hand-off
# (deliver at once after the tick) is switched on only by the tests about it (test_notifications_urgent.py).
os.environ["DUTYFLOW_URGENT_HANDOFF"] = "0"
# No test writes into the checkout: a test that does not choose a home gets this one, not ./.dutyflow (the
# deploy test checks that the project directory is left alone, and another worker's test may run meanwhile).
# Set, not defaulted: a developer's own DUTYFLOW_HOME is never the tests' home.
os.environ["DUTYFLOW_HOME"] = tempfile.mkdtemp(prefix="dutyflow-tests-")
atexit.register(shutil.rmtree, os.environ["DUTYFLOW_HOME"], ignore_errors=True)


def _build_each_cli_once() -> None:
    """typer's ``CliRunner.invoke`` rebuilds the click command tree of the whole app on every call (0.06-0.1 s
    for dutyflow's commands, hundreds of calls per run); a real `dutyflow` process builds it once. So do the
    tests: one click command per Typer app (click commands can be invoked again and again)."""
    import typer.testing

    build = typer.testing._get_command
    built: dict[int, tuple[object, object]] = {}  # id(app) -> (app kept alive, its command)

    def command_of(app):  # noqa: ANN001, ANN202
        if id(app) not in built:
            built[id(app)] = (app, build(app))
        return built[id(app)][1]

    typer.testing._get_command = command_of


_build_each_cli_once()


def _no_hypothesis_deadline() -> None:
    """Hypothesis fails an example that takes over 200 ms: a timed assertion, which a loaded machine breaks
    (test_shifts failed so beside a solver run). Speed lives in bench/, so no property test has a deadline."""
    from hypothesis import settings

    settings.register_profile("dutyflow", deadline=None)
    settings.load_profile("dutyflow")


_no_hypothesis_deadline()


def _sigint_as_in_a_terminal() -> None:
    """A suite started in the background (`make test &` in a script, nohup) has SIGINT ignored, and every
    process a test starts inherits that: a Prefect worker stopped with SIGINT then waits for its SIGKILL.
    The tests' processes get the disposition a terminal gives them, however the suite was started."""
    import signal

    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


_sigint_as_in_a_terminal()

PG_ADMIN_URL = os.environ.get("DUTYFLOW_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    get_engine(f"sqlite:///{path}")
    reset_engines()
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A private PostgreSQL database for this test run (parallel runs never share one)."""
    name = f"dutyflow_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # pragma: no cover - the machine always has PostgreSQL
        pytest.fail(f"PostgreSQL at {PG_ADMIN_URL} is required for the postgres tests: {exc}")
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    get_engine(url)  # migrate once
    yield url
    reset_engines()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _empty_postgres(url: str) -> None:
    """Every table emptied and every used sequence back at 1, as after ``TRUNCATE ... RESTART IDENTITY``.

    DELETE children-first rather than TRUNCATE: a test leaves a few rows, and TRUNCATE of 47 tables costs
    0.2 s each time (new files for every table) against 0.01-0.04 s, paid before each of ~150 tests."""
    engine = get_engine(url)
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
        used = conn.scalars(
            text("SELECT schemaname || '.' || sequencename FROM pg_sequences WHERE last_value IS NOT NULL")
        )
        for sequence in used.all():
            conn.execute(text(f"ALTER SEQUENCE {sequence} RESTART"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_db_url(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Runs the test once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return request.getfixturevalue("db_url")
    url = request.getfixturevalue("pg_database")
    _empty_postgres(url)
    monkeypatch.setenv("DUTYFLOW_DATABASE_URL", url)
    monkeypatch.setenv("DUTYFLOW_HOME", str(tmp_path / "home"))
    return url


@pytest.fixture
def db_url(sqlite_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh, migrated SQLite database; also set as the environment's default for CLI calls."""
    path = tmp_path / "dutyflow.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("DUTYFLOW_DATABASE_URL", url)
    monkeypatch.setenv("DUTYFLOW_HOME", str(tmp_path / "home"))
    yield url
    reset_engines()


@pytest.fixture
def app_schema(request: pytest.FixtureRequest):  # noqa: ANN201
    """The web app's OpenAPI schema for schemathesis, loaded when a test asks for it
    (``schemathesis.pytest.from_fixture("app_schema")``), not at collection: every xdist worker collects every
    module, and schemathesis builds its coverage cases while it makes the tests (~1 s of CPU a worker). The
    app reads DUTYFLOW_DATABASE_URL per request, so one app serves each test's fresh database."""
    import schemathesis

    from roster.web.app import create_app

    # schemathesis 4.32 names each operation by rewriting `item._nodeid`, which pytest 9.2 no longer has.
    request.node._nodeid = request.node.nodeid
    return schemathesis.openapi.from_asgi("/openapi.json", create_app())


@pytest.fixture
def session(db_url: str) -> Iterator[Session]:
    s = open_session(db_url)
    try:
        yield s
    finally:
        s.close()


# ------------------------------------------------------------------------------------------ scheduling
# Under `pytest -n 3 --dist loadgroup` xdist hands out work units in collection order (groups first, the
# largest first). A long test collected late runs alone at the end while the other workers idle, so the
# tests measured slowest (`--durations`, docs/testing.md) are moved to the front; the rest keep their order.
SLOWEST_FIRST = (
    "test_flows_deploy",  # `prefect server start` + `prefect deploy --all` + a process worker
    "test_flows_up",  # `dutyflow up` as a subprocess: Prefect server, runner, HTTP server
    "test_inspections_properties_store",
    "test_notifications_concurrency",
    "test_reports_escalation",
    "test_admin_malformed",
    "test_admin_apply",
    "test_demo",
    "test_admin_hostile",
    "test_hardening_http",
    "test_admin_roundtrip",
)
# Tests that drive Chromium share one worker: the browser and the live server are session fixtures, so a
# second worker would start a second Chromium and a second server for a share of the same pages.
BROWSER_GROUP = "browser"


@pytest.hookimpl(tryfirst=True)  # before xdist names the groups in the node ids
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group(BROWSER_GROUP))
    rank = {name: index for index, name in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.module.__name__.rpartition(".")[2], len(rank)) if item.module else 0)


@pytest.hookimpl(trylast=True, specname="pytest_collection_modifyitems")  # after xdist's own hook
def pytest_collection_modifyitems_group_suffix(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Put the ``@group`` suffix into the node ids, which `--dist loadgroup` schedules by.

    pytest-xdist 3.8 writes the suffix into ``item._nodeid``, which pytest 9.2 no longer reads (node ids are
    structured ``NodeId`` values in ``item._id``): every group was silently split across the workers, each
    starting its own Prefect test server and Chromium. Checked by tests/test_conftest_groups.py.
    """
    from _pytest.nodeid import NodeId

    _unique_node_ids(items)
    if not config.getoption("loadgroup", False):
        return
    for item in items:
        groups = sorted(
            {str(m.args[0] if m.args else m.kwargs.get("name", "default")) for m in item.iter_markers("xdist_group")}
        )
        if groups and "@" not in item.nodeid.rpartition("]")[2].rpartition("::")[2]:
            item._id = NodeId.parse(f"{item.nodeid}@{'_'.join(groups)}")


def _unique_node_ids(items: list[pytest.Item]) -> None:
    """Give each of the items that share a node id its own, from its name.

    Schemathesis names its items ``test[POST /reports]`` but gives them all the function's node id, and xdist
    keys its schedule by node id: of the four API operations fuzzed in tests/test_reports_http.py only one
    ran under ``-n 2``. Checked by tests/test_conftest_groups.py.
    """
    from collections import Counter

    from _pytest.nodeid import NodeId

    shared = {nodeid for nodeid, count in Counter(item.nodeid for item in items).items() if count > 1}
    for item in items:
        if item.nodeid in shared and item.name != item.nodeid.rpartition("::")[2]:
            item._id = NodeId.parse(f"{item.nodeid.rpartition('::')[0]}::{item.name}")
