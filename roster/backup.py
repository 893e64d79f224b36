"""Backup and restore of the whole state, on SQLite and PostgreSQL, generic over the models' metadata.

- SQLite: ``backup`` copies the live database with SQLite's online backup API (a consistent snapshot while
  the server and the flows keep writing); the file is a SQLite database.
- PostgreSQL (or ``logical=True``): a logical dump this module writes and reads itself: JSON lines, a header
  (format, schema revisions, tables), then per table a line naming its columns and one line per row, tables
  in foreign-key order, read in one REPEATABLE READ, READ ONLY transaction (one consistent snapshot). No
  ``pg_dump``: its version need not match the server's.

``restore`` fills an *empty* database from either kind of file (so a SQLite backup can also move a bureau
to PostgreSQL). A fresh database is migrated to the backup's schema revisions, filled, then upgraded to this
version's heads. Every table of every model module is included: features adding tables need do nothing.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine, Table, func, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

FORMAT = "dutyflow-backup"
VERSION = 1
SQLITE_MAGIC = b"SQLite format 3\x00"
BATCH = 1000


class BackupError(RuntimeError):
    """A backup or restore that cannot proceed (the message says why; nothing was changed)."""


@dataclass
class BackupSummary:
    path: str
    kind: str  # "sqlite" (page copy) or "logical" (JSON lines)
    tables: dict[str, int] = field(default_factory=dict)  # rows per table
    bytes: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind, "tables": self.tables, "bytes": self.bytes}


def tables() -> list[Table]:
    """Every model table in foreign-key order (parents first)."""
    import roster.storage.models  # noqa: F401 - registers every model module on the metadata
    from roster.storage.base import Base

    return list(Base.metadata.sorted_tables)


def _sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


# ------------------------------------------------------------------------------------------------- backup


def backup(url: str, out: Path, *, logical: bool = False) -> BackupSummary:
    """Write a consistent snapshot of the database at ``url`` to ``out`` (0600, written then renamed)."""
    from roster.storage import get_engine

    engine = get_engine(url)  # migrated: the snapshot carries a known schema
    tmp = out.with_name(f".{out.name}.partial")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # a backup holds everything: 0600
    os.close(fd)
    try:
        source = _sqlite_path(url)
        if source is not None and not logical:
            _sqlite_online_backup(source, tmp)
            summary = BackupSummary(str(out), "sqlite", _counts_sqlite(tmp))
        else:
            with tmp.open("w", encoding="utf-8") as handle:
                summary = BackupSummary(str(out), "logical", _dump(engine, handle))
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    summary.bytes = out.stat().st_size
    return summary


def _sqlite_online_backup(source: Path, target: Path) -> None:
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst, pages=4096)  # copies in steps; writers are not blocked for the whole copy
        dst.execute("PRAGMA journal_mode=DELETE")  # a self-contained file, no -wal beside it
    finally:
        dst.close()
        src.close()


def _counts_sqlite(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        present = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        return {
            t.name: conn.execute(f'SELECT count(*) FROM "{t.name}"').fetchone()[0]
            for t in tables()
            if t.name in present
        }
    finally:
        conn.close()


def _encode(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode()
    return value


def _decoder(column: Any):  # noqa: ANN202
    from sqlalchemy import TypeDecorator

    type_ = column.type
    while isinstance(type_, TypeDecorator):  # UTCDateTime → its DateTime
        type_ = type_.impl
    try:
        kind = type_.python_type
    except NotImplementedError:
        return lambda v: v
    if kind is dt.datetime:
        return lambda v: None if v is None else dt.datetime.fromisoformat(v)
    if kind is dt.date:
        return lambda v: None if v is None else dt.date.fromisoformat(v)
    if kind is dt.time:
        return lambda v: None if v is None else dt.time.fromisoformat(v)
    if kind is bytes:
        return lambda v: None if v is None else base64.b64decode(v)
    return lambda v: v


def _dump(engine: Engine, handle: IO[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
        present = set(inspect(conn).get_table_names())
        revisions = sorted(row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version")))
        chosen = [t for t in tables() if t.name in present]
        header = {"format": FORMAT, "version": VERSION, "dialect": conn.dialect.name, "revisions": revisions}
        header |= {"created_at": dt.datetime.now(dt.UTC).isoformat(), "tables": [t.name for t in chosen]}
        handle.write(json.dumps(header, ensure_ascii=False) + "\n")
        for table in chosen:
            columns = [c.name for c in table.columns]
            handle.write(json.dumps({"table": table.name, "columns": columns}) + "\n")
            order = list(table.primary_key.columns) or list(table.columns)
            result = conn.execution_options(yield_per=BATCH).execute(select(table).order_by(*order))
            count = 0
            for row in result:
                handle.write(json.dumps([_encode(v) for v in row], ensure_ascii=False) + "\n")
                count += 1
            counts[table.name] = count
        conn.rollback()
    return counts


# ------------------------------------------------------------------------------------------------ restore


def restore(url: str, source: Path) -> BackupSummary:
    """Fill the empty database at ``url`` from a backup file of either kind."""
    with source.open("rb") as handle:
        magic = handle.read(len(SQLITE_MAGIC))
    if magic == SQLITE_MAGIC:
        target = _sqlite_path(url)
        if target is not None:
            return _restore_sqlite_pages(url, target, source)
        return _restore_rows(url, source, _rows_of_sqlite_file(source), "sqlite")
    return _restore_rows(url, source, _rows_of_dump(source), "logical")


@dataclass
class _Source:
    revisions: list[str]
    tables: Iterator[tuple[str, list[str], Iterator[list[Any]]]]  # (table, columns, rows) in FK order


def _rows_of_dump(path: Path) -> _Source:
    handle = path.open("r", encoding="utf-8")
    try:
        header = json.loads(handle.readline() or "null")
    except json.JSONDecodeError:
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        handle.close()
        raise BackupError(f"{path} is neither a dutyflow backup nor a SQLite database")
    if header.get("version") != VERSION:
        handle.close()
        raise BackupError(f"{path} is backup format {header.get('version')}; this dutyflow reads {VERSION}")

    def sections() -> Iterator[tuple[str, list[str], Iterator[list[Any]]]]:
        pending = handle.readline()
        while pending:
            meta = json.loads(pending)

            def chunked() -> Iterator[list[Any]]:
                nonlocal pending
                while True:
                    pending = handle.readline()
                    if not pending or pending.startswith("{"):
                        return
                    yield json.loads(pending)

            yield meta["table"], meta["columns"], chunked()
        handle.close()

    return _Source(list(header.get("revisions", [])), sections())


def _rows_of_sqlite_file(path: Path) -> _Source:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    revisions = [row[0] for row in conn.execute("SELECT version_num FROM alembic_version")]
    present = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")

    def sections() -> Iterator[tuple[str, list[str], Iterator[list[Any]]]]:
        try:
            with engine.connect() as read:
                for table in tables():
                    if table.name not in present:
                        continue
                    columns = [c["name"] for c in inspect(read).get_columns(table.name)]
                    cols = [table.c[name] for name in columns if name in table.c]
                    rows = read.execute(select(*cols)).yield_per(BATCH)
                    yield table.name, [c.name for c in cols], (_encode_row(r) for r in rows)
        finally:
            engine.dispose()
            conn.close()

    return _Source(revisions, sections())


def _encode_row(row: Iterable[Any]) -> list[Any]:
    return [_encode(v) for v in row]


def _require_empty(engine: Engine) -> None:
    with engine.connect() as conn:
        present = set(inspect(conn).get_table_names())
        for table in tables():
            if table.name in present and conn.execute(select(func.count()).select_from(table)).scalar():
                raise BackupError(
                    f"the target database is not empty (table {table.name} has rows): restore fills an empty one"
                )


def _restore_sqlite_pages(url: str, target: Path, source: Path) -> BackupSummary:
    from roster.storage import get_engine, reset_engines
    from roster.storage.migrate import ensure_schema

    if target.exists():
        _require_empty(get_engine(url))
    reset_engines()
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst)
    finally:
        dst.close()
        src.close()
    os.chmod(target, 0o600)
    engine = get_engine(url, migrate=False)
    ensure_schema(engine)  # a backup of an older version is upgraded here
    return BackupSummary(str(source), "sqlite", _counts_sqlite(target), source.stat().st_size)


def _restore_rows(url: str, path: Path, source: _Source, kind: str) -> BackupSummary:
    from roster.storage import get_engine, reset_engines
    from roster.storage.migrate import current_revisions, ensure_schema

    engine = get_engine(url, migrate=False)
    have = current_revisions(engine)
    if have:
        if have != set(source.revisions):
            raise BackupError(
                f"the target database is at schema {sorted(have)}, the backup at {source.revisions}: "
                "restore into a new, empty database"
            )
        _require_empty(engine)
    else:
        _migrate_to(engine, source.revisions)
    try:
        counts = _insert_all(engine, source)
    except (ValueError, KeyError, TypeError, SQLAlchemyError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:300]
        raise BackupError(f"{path} cannot be restored (nothing was written): {reason}") from None
    reset_engines()
    ensure_schema(get_engine(url, migrate=False))  # then up to this version's heads
    return BackupSummary(str(path), kind, counts, path.stat().st_size)


def _insert_all(engine: Engine, source: _Source) -> dict[str, int]:
    by_name = {t.name: t for t in tables()}
    counts: dict[str, int] = {}
    with engine.begin() as conn:  # all or nothing
        for name, columns, rows in source.tables:
            table = by_name.get(name)
            if table is None:
                raise BackupError(f"the backup has a table {name!r} this dutyflow does not know")
            unknown = [c for c in columns if c not in table.c]
            if unknown:
                raise BackupError(f"the backup's table {name} has columns this dutyflow does not know: {unknown}")
            decoders = [_decoder(table.c[c]) for c in columns]
            counts[name] = 0
            batch: list[dict[str, Any]] = []
            for row in rows:
                batch.append({c: d(v) for c, d, v in zip(columns, decoders, row, strict=True)})
                if len(batch) >= BATCH:
                    conn.execute(table.insert(), batch)
                    counts[name] += len(batch)
                    batch = []
            if batch:
                conn.execute(table.insert(), batch)
                counts[name] += len(batch)
        if conn.dialect.name == "postgresql":
            _reset_sequences(conn)
    return counts


def _migrate_to(engine: Engine, revisions: list[str]) -> None:
    from alembic import command
    from alembic.util import CommandError

    from roster.storage.migrate import alembic_config

    cfg = alembic_config()
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        try:
            for revision in revisions:
                command.upgrade(cfg, revision)
        except CommandError as exc:
            raise BackupError(f"the backup's schema {revisions} is unknown to this dutyflow: {exc}") from None


def _reset_sequences(conn: Any) -> None:
    """Explicit ids were inserted: move each serial sequence past the largest one."""
    for table in tables():
        for column in table.primary_key.columns:
            if column.autoincrement is True or (column.autoincrement == "auto" and column.type.python_type is int):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', '{column.name}'), "
                        f'COALESCE(MAX("{column.name}"), 1), MAX("{column.name}") IS NOT NULL) FROM "{table.name}"'
                    )
                )
