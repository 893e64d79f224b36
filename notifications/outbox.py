"""Writing to the outbox. Evaluation (escalation, inspection lists) calls ``enqueue``; delivery reads rows.

``enqueue`` is idempotent on ``dedup_key``: an INSERT that does nothing on conflict, so two checkers racing
on PostgreSQL produce exactly one row, and a repeated tick produces none.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from roster.storage.models.outbox import OutboxMessage


def dedup_key(*parts: object) -> str:
    """Join the identity of a message, e.g. ``dedup_key("escalation", unit, date, step, person, channel)``."""
    return "|".join(str(p) for p in parts)


def enqueue(
    session: Session,
    *,
    key: str,
    source: str,
    channel: str,
    address: str,
    subject: str,
    body: str,
    now: dt.datetime,
    person_id: str | None = None,
    locale: str = "zh-CN",
    payload: dict[str, Any] | None = None,
    not_before: dt.datetime | None = None,
    fallback_of: int | None = None,
) -> bool:
    """Add a message unless one with ``key`` exists. Returns True if this call added it.

    Runs inside the caller's transaction: the message is committed together with the state change that
    caused it, or not at all.
    """
    values = dict(
        dedup_key=key,
        source=source,
        person_id=person_id,
        channel=channel,
        address=address,
        locale=locale,
        subject=subject,
        body=body,
        payload=payload or {},
        status="pending",
        attempts=0,
        created_at=now,
        next_attempt_at=not_before or now,
        fallback_of=fallback_of,
    )
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        stmt = pg_insert(OutboxMessage).values(**values).on_conflict_do_nothing(index_elements=["dedup_key"])
    elif dialect == "sqlite":
        stmt = sqlite_insert(OutboxMessage).values(**values).on_conflict_do_nothing(index_elements=["dedup_key"])
    else:  # pragma: no cover - other databases: check first, the unique constraint still guards
        if session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedup_key == key)) is not None:
            return False
        session.add(OutboxMessage(**values))
        session.flush()
        return True
    # RETURNING tells reliably whether the row was inserted (rowcount is unreliable through the ORM).
    return session.execute(stmt.returning(OutboxMessage.id)).scalar() is not None
