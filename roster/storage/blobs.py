"""Large binary values (attachments, photos) written to the database in chunks, never whole in memory.

An upload is first staged to a temporary file while the request is read (``SpooledFile``: size and sha256
counted on the way). Storing it then inserts the row with an empty value of the right size and fills it
chunk by chunk: on SQLite through incremental blob I/O (``zeroblob`` + ``Connection.blobopen``), on
PostgreSQL by appending chunks to the ``bytea`` (``data = data || chunk``). Values given as ``bytes`` (the
JSON API, the CLI) are inserted as they are.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import LargeBinary, bindparam, func, insert, update
from sqlalchemy.orm import Session

SQLITE_CHUNK = 256 * 1024
POSTGRES_CHUNK = 2 * 1024 * 1024  # each append rewrites the value server-side: fewer, larger chunks


@dataclass(frozen=True)
class SpooledFile:
    """A file received into a temporary file; ``size`` and ``sha256`` were counted while it was written."""

    filename: str
    content_type: str
    path: Path
    size: int
    sha256: str

    def chunks(self, size: int = SQLITE_CHUNK) -> Iterator[bytes]:
        with self.path.open("rb") as handle:
            while chunk := handle.read(size):
                yield chunk

    @property
    def data(self) -> bytes:
        """The whole file (small files and tests only; storing never calls this)."""
        return self.path.read_bytes()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(SQLITE_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def insert_with_blob(session: Session, model: Any, values: dict[str, Any], blob: bytes | SpooledFile) -> int:
    """Insert one row of ``model`` whose ``data`` column receives ``blob``; returns the new row's id."""
    table = model.__table__
    if isinstance(blob, bytes | bytearray | memoryview):
        return session.execute(insert(table).values(**values, data=bytes(blob)).returning(table.c.id)).scalar_one()
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        row_id = session.execute(
            insert(table).values(**values, data=func.zeroblob(blob.size)).returning(table.c.id)
        ).scalar_one()
        raw = session.connection().connection.dbapi_connection
        with raw.blobopen(table.name, "data", row_id) as target:  # type: ignore[union-attr]
            for chunk in blob.chunks(SQLITE_CHUNK):
                target.write(chunk)
        return row_id
    row_id = session.execute(insert(table).values(**values, data=b"").returning(table.c.id)).scalar_one()
    chunk_param = bindparam("chunk", type_=LargeBinary)
    append = update(table).where(table.c.id == row_id).values(data=table.c.data.op("||")(chunk_param))
    for chunk in blob.chunks(POSTGRES_CHUNK):
        session.execute(append, {"chunk": chunk})
    return row_id
