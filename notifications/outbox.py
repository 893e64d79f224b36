"""Writing to the outbox. Evaluation (escalation, inspection lists) calls ``enqueue``; delivery reads rows.

``enqueue`` is idempotent on ``dedup_key``: an INSERT that does nothing on conflict, so two checkers racing
on PostgreSQL produce exactly one row, and a repeated tick produces none.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from roster.config import DEFAULT_LOCALE
from roster.storage.insert import insert_ignoring_conflicts
from roster.storage.models.outbox import OutboxMessage


def dedup_key(*parts: object) -> str:
    """Join the identity of a message, e.g. ``dedup_key("escalation", unit, date, step, person, channel)``."""
    return "|".join(str(p) for p in parts)


def message(
    *,
    key: str,
    source: str,
    channel: str,
    address: str,
    subject: str,
    body: str,
    now: dt.datetime,
    person_id: str | None = None,
    locale: str = DEFAULT_LOCALE,
    payload: dict[str, Any] | None = None,
    not_before: dt.datetime | None = None,
    fallback_of: int | None = None,
) -> dict[str, Any]:
    """One outbox row, ready for ``enqueue_many``; ``not_before`` delays its first attempt."""
    return dict(
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
        last_error=None,
        claimed_by=None,
        claimed_until=None,
        sent_at=None,
        fallback_of=fallback_of,
    )


class Reachable(Protocol):
    """Someone a message can reach: ``channels`` are (kind, target) pairs, tried in this order."""

    person_id: str | None
    locale: str
    channels: Sequence[tuple[str, str]]


def message_to(
    to: Reachable, *, key: str, source: str, subject: str, body: str, now: dt.datetime, payload: dict[str, Any]
) -> dict[str, Any]:
    """One outbox row to ``to`` on its first channel. The others go in the payload as ``fallback_channels``:
    delivery tries them in order when the first fails for good."""
    channel, address = to.channels[0]
    fallbacks = [list(c) for c in to.channels[1:]]
    return message(
        key=key, source=source, channel=channel, address=address, subject=subject, body=body, now=now,
        person_id=to.person_id, locale=to.locale, payload={**payload, "fallback_channels": fallbacks},
    )  # fmt: skip


def enqueue(session: Session, **fields: Any) -> bool:
    """Add one message (the keyword arguments of ``message``) unless its key exists; True if added.

    Runs inside the caller's transaction: the message is committed together with the state change that
    caused it, or not at all.
    """
    return bool(enqueue_many(session, [message(**fields)]))


def enqueue_many(session: Session, rows: list[dict[str, Any]]) -> set[str]:
    """Add every row (from ``message``) whose dedup key is new; returns the keys this call added.

    One INSERT … ON CONFLICT DO NOTHING RETURNING for all rows (SQLAlchemy batches them into multi-row
    VALUES): a catch-up tick writes hundreds of messages in milliseconds, and RETURNING says reliably which
    were new (rowcount is unreliable through the ORM).
    """
    if not rows:
        return set()
    added = _insert_new(session, rows)
    # Remembered per session so the job that wrote urgent messages can hand them to delivery once its
    # transaction has committed (notifications/urgent.py).
    sources = {row["dedup_key"]: row["source"] for row in rows}
    session.info.setdefault(ADDED_KEYS, {}).update({key: sources[key] for key in added})
    return added


ADDED_KEYS = "dutyflow.outbox_added"


def _insert_new(session: Session, rows: list[dict[str, Any]]) -> set[str]:
    dialect = session.get_bind().dialect.name
    if dialect not in ("postgresql", "sqlite"):  # pragma: no cover - other databases: check first, one by one
        added = set()
        for row in rows:
            if session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedup_key == row["dedup_key"])) is None:
                session.add(OutboxMessage(**row))
                session.flush()
                added.add(row["dedup_key"])
        return added
    table = OutboxMessage.__table__
    session.flush()  # ORM-pending rows first, so a key added earlier in this transaction is seen
    return set(insert_ignoring_conflicts(session, table, rows, ["dedup_key"], returning=table.c.dedup_key))
