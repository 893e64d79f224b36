"""Writing timeline rows that a tick may write twice: INSERT … ON CONFLICT (event_key) DO NOTHING."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from roster.storage.insert import insert_ignoring_conflicts
from roster.storage.models.incidents import IncidentEvent


def insert_events(session: Session, rows: list[dict[str, Any]]) -> int:
    """Insert every row whose ``event_key`` is new; returns how many were new."""
    if not rows:
        return 0
    session.flush()  # ORM-pending rows of this transaction first
    table = IncidentEvent.__table__
    return len(insert_ignoring_conflicts(session, table, rows, ["event_key"], returning=table.c.id))
