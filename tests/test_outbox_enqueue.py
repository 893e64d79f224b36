"""The outbox's deduplication key holds on both databases."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from notifications.outbox import dedup_key, enqueue
from roster.storage import open_session
from roster.storage.models.outbox import OutboxMessage

NOW = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)


def test_enqueue_twice_keeps_one_message(any_db_url: str) -> None:
    key = dedup_key("escalation", "group-1", "2026-11-23", 1, "p1", "email")
    with open_session(any_db_url) as s:
        first = enqueue(
            s, key=key, source="escalation", channel="email", address="a@b.cn", subject="s", body="b", now=NOW
        )
        second = enqueue(
            s, key=key, source="escalation", channel="email", address="a@b.cn", subject="s", body="b", now=NOW
        )
        s.commit()
        assert (first, second) == (True, False)
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 1
        assert s.scalar(select(OutboxMessage.next_attempt_at)) == NOW
