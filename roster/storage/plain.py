"""Plain DB-API reads (sqlite3, psycopg) for the fast paths, without SQLAlchemy.

Importing SQLAlchemy and the ORM models costs more than the whole answer of ``dutyflow now``. A fast path
opens a ``PlainConnection`` instead, when the database is a SQLite file or a psycopg PostgreSQL URL whose
schema is already at the migration heads; otherwise ``connect_plain`` raises ``NotPlain`` and the caller
takes the ORM path, which migrates. Reads only: every write goes through the ORM.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from roster.config import database_url

# How SQLAlchemy's DateTime stores an instant in SQLite (UTCDateTime keeps it in UTC, without offset).
SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"
_PARAMETER = re.compile(r"(?<!:):([a-z_][a-z0-9_]*)")


class NotPlain(Exception):
    """This database cannot be read the plain way; use the ORM path (it migrates a stale schema)."""


@dataclass
class PlainConnection:
    raw: Any  # a sqlite3 or psycopg connection
    dialect: str  # "sqlite" or "postgresql"

    def rows(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        """Run ``sql`` (``:name`` parameters, as in SQLAlchemy's ``text``); instants bind as stored."""
        values = {name: self._bind(value) for name, value in params.items()}
        if self.dialect == "postgresql":
            sql = _PARAMETER.sub(r"%(\1)s", sql.replace("%", "%%"))
        cursor = self.raw.cursor()
        try:
            cursor.execute(sql, values)
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def _bind(self, value: Any) -> Any:
        if isinstance(value, dt.datetime) and self.dialect == "sqlite":
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTC column; convert to UTC first")
            return value.astimezone(dt.UTC).strftime(SQLITE_DATETIME)
        return value

    @staticmethod
    def instant(value: Any) -> dt.datetime | None:
        """A stored instant, aware UTC (SQLite returns text without offset, PostgreSQL an aware value)."""
        if value is None:
            return None
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)

    @staticmethod
    def document(value: Any) -> Any:
        """A stored JSON value (SQLite returns its text, PostgreSQL the decoded value)."""
        return json.loads(value) if isinstance(value, str | bytes) else value


@contextmanager
def connect_plain(url: str | None = None) -> Iterator[PlainConnection]:
    """A plain connection to ``url`` (default: the configured database); ``NotPlain`` when not possible."""
    connection = _open(url or database_url())
    try:
        _require_current_schema(connection)
        yield connection
    finally:
        connection.raw.close()


def _open(url: str) -> PlainConnection:
    if url.startswith("sqlite:///") and "?" not in url:
        import sqlite3
        from urllib.parse import quote

        path = url.removeprefix("sqlite:///")
        try:  # mode=rw: a missing file is not created here (the ORM path creates and migrates it)
            raw = sqlite3.connect(f"file:{quote(path)}?mode=rw", uri=True, timeout=30)
        except sqlite3.OperationalError as exc:
            raise NotPlain(f"cannot open {path}: {exc}") from None
        return PlainConnection(raw, "sqlite")
    if url.startswith("postgresql+psycopg://"):
        import psycopg

        try:
            raw = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1), autocommit=True)
        except psycopg.OperationalError as exc:
            raise NotPlain(str(exc)) from None
        return PlainConnection(raw, "postgresql")
    raise NotPlain(f"no plain driver for {url.partition(':')[0]}")


def _require_current_schema(connection: PlainConnection) -> None:
    from roster.storage.migrate import head_revisions

    try:
        current = frozenset(row[0] for row in connection.rows("SELECT version_num FROM alembic_version"))
    except Exception as exc:  # noqa: BLE001 - no alembic_version table yet (sqlite3 and psycopg differ)
        raise NotPlain(f"schema not migrated: {exc}") from None
    if current != head_revisions():
        raise NotPlain("schema not at the migration heads")
