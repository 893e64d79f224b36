"""The escalation's bulk outbox writer produces exactly the row ``notifications.outbox.enqueue`` would."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from notifications.outbox import enqueue
from roster.reports.outbox_bulk import enqueue_many, outbox_values
from roster.storage import open_session
from roster.storage.models.outbox import OutboxMessage

NOW = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)


def _message(key: str) -> dict:
    return outbox_values(
        key=key,
        source="escalation",
        channel="email",
        address="a@b.cn",
        subject="主题",
        body="正文",
        now=NOW,
        person_id="p1",
        locale="en",
        payload={"unit": "u"},
        not_before=NOW + dt.timedelta(minutes=5),
    )


def _columns(row: OutboxMessage) -> dict:
    return {c.name: getattr(row, c.key) for c in OutboxMessage.__table__.columns if c.name not in ("id", "dedup_key")}


def test_bulk_rows_equal_enqueue_rows_and_dedup(any_db_url: str) -> None:
    with open_session(any_db_url) as s:
        assert enqueue(s, **_message("single"))
        added = enqueue_many(s, [_message("bulk-1"), _message("bulk-2"), _message("single")])
        again = enqueue_many(s, [_message("bulk-1")])
        s.commit()
        assert added == {"bulk-1", "bulk-2"} and again == set()
        rows = {r.dedup_key: r for r in s.scalars(select(OutboxMessage))}
        assert len(rows) == 3
        assert _columns(rows["bulk-1"]) == _columns(rows["single"])
