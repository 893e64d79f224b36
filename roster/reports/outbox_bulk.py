"""Many outbox messages in one executemany, with exactly the row ``notifications.outbox.enqueue`` writes.

``enqueue`` issues one INSERT per message (compiled anew each time): fine for a few, ~5 ms each for the
hundreds a catch-up tick produces. This writes the same values with one INSERT … ON CONFLICT DO NOTHING
executed for all rows (SQLAlchemy batches them into multi-row VALUES), in the caller's transaction.
``tests/test_reports_outbox_bulk.py`` checks that a row written here equals one written by ``enqueue``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from notifications.outbox import enqueue
from roster.storage.models.outbox import OutboxMessage


def outbox_values(
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
) -> dict[str, Any]:
    """The keyword arguments of ``enqueue``, kept as one message."""
    return dict(
        key=key,
        source=source,
        channel=channel,
        address=address,
        subject=subject,
        body=body,
        now=now,
        person_id=person_id,
        locale=locale,
        payload=payload,
        not_before=not_before,
        fallback_of=fallback_of,
    )


def _row(m: dict[str, Any]) -> dict[str, Any]:
    # Mirrors notifications.outbox.enqueue's row (checked by a test).
    return dict(
        dedup_key=m["key"],
        source=m["source"],
        person_id=m["person_id"],
        channel=m["channel"],
        address=m["address"],
        locale=m["locale"],
        subject=m["subject"],
        body=m["body"],
        payload=m["payload"] or {},
        status="pending",
        attempts=0,
        created_at=m["now"],
        next_attempt_at=m["not_before"] or m["now"],
        last_error=None,
        claimed_by=None,
        claimed_until=None,
        sent_at=None,
        fallback_of=m["fallback_of"],
    )


def enqueue_many(session: Session, messages: list[dict[str, Any]]) -> set[str]:
    """Add every message whose key is new; returns the keys this call added."""
    if not messages:
        return set()
    dialect = session.get_bind().dialect.name
    if dialect not in ("postgresql", "sqlite"):  # pragma: no cover - other databases: one at a time
        return {m["key"] for m in messages if enqueue(session, **m)}
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = (
        insert(OutboxMessage.__table__)
        .on_conflict_do_nothing(index_elements=["dedup_key"])
        .returning(OutboxMessage.__table__.c.dedup_key)
    )
    session.flush()
    added = session.execute(stmt, [_row(m) for m in messages]).scalars().all()
    return set(added)
