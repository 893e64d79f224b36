"""The outbox's deduplication key holds on both databases."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from notifications.outbox import dedup_key, enqueue, enqueue_many, message, message_to
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


def _fields(key: str) -> dict:
    return dict(
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


def test_enqueue_many_dedups_against_single_enqueues_in_one_transaction(any_db_url: str) -> None:
    with open_session(any_db_url) as s:
        assert enqueue(s, **_fields("single"))
        added = enqueue_many(
            s, [message(**_fields("bulk-1")), message(**_fields("bulk-2")), message(**_fields("single"))]
        )
        again = enqueue_many(s, [message(**_fields("bulk-1"))])
        s.commit()
        assert added == {"bulk-1", "bulk-2"} and again == set()
        rows = {r.dedup_key: r for r in s.scalars(select(OutboxMessage))}
        assert set(rows) == {"single", "bulk-1", "bulk-2"}
        bulk = rows["bulk-1"]
        assert (bulk.status, bulk.attempts, bulk.locale, bulk.payload) == ("pending", 0, "en", {"unit": "u"})
        assert bulk.next_attempt_at == NOW + dt.timedelta(minutes=5) and bulk.created_at == NOW


def test_a_message_goes_to_the_first_channel_and_carries_the_others_as_fallbacks() -> None:
    class Officer:
        person_id, locale = "p05", "en"
        channels = (("wecom", "robot-key"), ("email", "p05@bureau.cn"), ("console", "p05"))

    row = message_to(Officer(), key="k", source="duty-rollcall", subject="s", body="b", now=NOW, payload={"ref": 3})
    assert (row["channel"], row["address"], row["person_id"], row["locale"]) == ("wecom", "robot-key", "p05", "en")
    assert row["payload"] == {"ref": 3, "fallback_channels": [["email", "p05@bureau.cn"], ["console", "p05"]]}
    Officer.channels = (("email", "p05@bureau.cn"),)
    alone = message_to(Officer(), key="k", source="s", subject="s", body="b", now=NOW, payload={})
    assert alone["payload"] == {"fallback_channels": []}
