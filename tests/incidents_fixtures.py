"""Fixtures of the incidents tests, loaded with ``pytest_plugins = ["tests.incidents_fixtures"]``."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from roster.storage import open_session, reset_engines
from tests.incidents_helpers import DAY, install


@pytest.fixture(scope="module")
def incidents_template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with the seed bureau and shifts from DAY installed once per module, copied by each test."""
    path = tmp_path_factory.mktemp("incidents") / "incidents-template.db"
    shutil.copy(sqlite_template, path)
    session = open_session(f"sqlite:///{path}")
    install(session, DAY)
    session.close()
    reset_engines()
    return path


@pytest.fixture
def incidents_db(incidents_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Session]:
    """A fresh copy of the installed bureau on SQLite, also the environment's database for CLI calls."""
    path = tmp_path / "incidents.db"
    shutil.copy(incidents_template, path)
    monkeypatch.setenv("DUTYFLOW_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("DUTYFLOW_HOME", str(tmp_path / "home"))
    session = open_session(f"sqlite:///{path}")
    yield session
    session.close()
    reset_engines()
