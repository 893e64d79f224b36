"""One statement for "insert these rows; a row whose key already exists is left alone" (state, not ticks:
racing or repeated writers insert each row once, and the loser's attempt is a harmless no-op)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Table
from sqlalchemy.orm import Session


def insert_ignoring_conflicts(
    session: Session,
    table: Table | type,
    rows: list[dict[str, Any]],
    conflict_on: list[str],
    returning: Column[Any] | None = None,
) -> list[Any]:
    """INSERT … ON CONFLICT (``conflict_on``) DO NOTHING for ``rows`` (one executemany / multi-row VALUES),
    on PostgreSQL or SQLite. With ``returning``, the values of that column for the rows actually inserted
    (``len`` of it counts them; rowcount is unreliable through the ORM); otherwise []."""
    if not rows:
        return []
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(table).on_conflict_do_nothing(index_elements=conflict_on)
    if returning is None:
        session.execute(statement, rows)
        return []
    return list(session.execute(statement.returning(returning), rows).scalars().all())
