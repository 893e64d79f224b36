"""Writing timeline rows that a tick may write twice: INSERT … ON CONFLICT (event_key) DO NOTHING."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from roster.storage.models.incidents import IncidentEvent


def insert_events(session: Session, rows: list[dict[str, Any]]) -> int:
    """Insert every row whose ``event_key`` is new; returns how many were new."""
    if not rows:
        return 0
    session.flush()
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = IncidentEvent.__table__
    stmt = insert(table).on_conflict_do_nothing(index_elements=["event_key"]).returning(table.c.id)
    return len(session.execute(stmt, rows).all())
