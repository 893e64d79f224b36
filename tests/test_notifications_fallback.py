"""After N failures a message moves to the person's next channel; with none left it is a dead letter."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from notifications.delivery import deliver
from notifications.outbox import enqueue
from notifications.queue import NotRetryable, list_messages, retry_message
from notifications.settings import DeliveryPolicy, SmtpSettings
from roster.storage import open_session
from roster.storage.models.outbox import OutboxMessage
from tests.notifications_helpers import add_person, webhook_server

NOW = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)
POLICY = DeliveryPolicy(max_attempts=3, backoff=dt.timedelta(seconds=10), jitter=0)
NO_SMTP = SmtpSettings.from_env({})
KEY = "escalation|communities|2026-11-23|2|p03|webhook"


def _run_until_quiet(s, start: dt.datetime, rounds: int = 10) -> dt.datetime:
    """Deliver repeatedly, each time at the earliest instant something is due (an injected clock)."""
    at = start
    for _ in range(rounds):
        deliver(s, at, worker="w1", policy=POLICY, smtp=NO_SMTP)
        due = s.scalar(
            select(OutboxMessage.next_attempt_at)
            .where(OutboxMessage.status == "pending")
            .order_by(OutboxMessage.next_attempt_at)
            .execution_options(populate_existing=True)
        )
        if due is None:
            return at
        at = max(at, due)
    raise AssertionError("delivery did not settle")


def _enqueue(s, address: str, person: str = "p03", locale: str = "zh-CN") -> None:
    enqueue(
        s,
        key=KEY,
        source="escalation",
        channel="webhook",
        address=address,
        subject="逾期未报：物业小区组",
        body="物业小区组日报告逾期 2 小时，已升级至带班领导。",
        now=NOW,
        person_id=person,
        locale=locale,
    )
    s.commit()


def test_falls_back_to_next_channel_after_n_failures(db_url: str) -> None:
    with webhook_server() as peer, open_session(db_url) as s:
        peer.broken.add("/broken")
        add_person(
            s,
            "p03",
            [{"kind": "webhook", "target": peer.url("/broken")}, {"kind": "webhook", "target": peer.url("/backup")}],
        )
        _enqueue(s, peer.url("/broken"))
        _run_until_quiet(s, NOW)

        original, fallback = s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert (original.status, original.attempts) == ("fallen_back", 3)
        assert fallback.fallback_of == original.id and fallback.status == "sent"
        assert fallback.dedup_key.startswith(KEY + "|fallback|webhook|")
        assert fallback.address == peer.url("/backup")
        broken_tries = [r for r in peer.requests if r["path"].startswith("/broken")]
        assert len(broken_tries) == 3  # N failures on the first channel, then no more
        [delivered] = peer.delivered
        assert delivered["_path"].startswith("/backup")
        assert delivered["message"].startswith("【改由Webhook发送】此消息原定通过Webhook发送，3次均未成功。")
        assert delivered["message"].endswith("物业小区组日报告逾期 2 小时，已升级至带班领导。")
        assert delivered["dedup_key"] == fallback.dedup_key


def test_dead_letter_is_listed_announced_and_can_be_retried(db_url: str) -> None:
    with webhook_server() as peer, open_session(db_url) as s:
        peer.broken.add("/only")
        add_person(s, "p03", [{"kind": "webhook", "target": peer.url("/only")}], locale="en")
        _enqueue(s, peer.url("/only"), locale="en")
        settled = _run_until_quiet(s, NOW)

        dead = list_messages(s, failed=True)
        assert [m["dedup_key"] for m in dead] == [KEY]
        assert dead[0]["attempts"] == 3 and "500" in dead[0]["last_error"]
        # The operator is told on the console channel (in the message's locale), not left to find out.
        notice = s.scalar(select(OutboxMessage).where(OutboxMessage.source == "dead_letter"))
        assert notice.status == "sent" and notice.channel == "console"
        assert notice.subject == "Undeliverable notification: 逾期未报：物业小区组"
        assert f"dutyflow notifications retry {dead[0]['id']}" in notice.body
        assert list_messages(s, pending=True) == []

        # Not a dead letter -> refused with the reason; the dead one goes back in line.
        try:
            retry_message(s, notice.id, settled)
            raise AssertionError("a sent message must not be retried")
        except NotRetryable as exc:
            assert "only dead letters" in str(exc)
        retry_message(s, dead[0]["id"], settled)
        s.commit()
        assert [m["id"] for m in list_messages(s, pending=True)] == [dead[0]["id"]]
        peer.broken.clear()
        assert deliver(s, settled, worker="w1", policy=POLICY, smtp=NO_SMTP)["sent"] == 1
        assert peer.delivered_keys() == [KEY]
        assert list_messages(s, failed=True) == []


def test_message_without_a_person_dies_after_its_own_channel(db_url: str) -> None:
    with webhook_server() as peer, open_session(db_url) as s:
        peer.broken.add("/x")
        _enqueue(s, peer.url("/x"), person="nobody")
        _run_until_quiet(s, NOW)
        row = s.scalar(select(OutboxMessage).where(OutboxMessage.dedup_key == KEY))
        assert row.status == "dead" and row.attempts == 3


def test_unusable_channel_falls_back_at_once(db_url: str) -> None:
    """A bad address cannot get better by waiting: no retries, straight to the next channel."""
    with webhook_server() as peer, open_session(db_url) as s:
        add_person(
            s, "p03", [{"kind": "email", "target": "p03@cxzjj.gov.cn"}, {"kind": "webhook", "target": peer.url("/ok")}]
        )
        enqueue(
            s,
            key="k|email",
            source="escalation",
            channel="email",
            address="p03@cxzjj.gov.cn",
            subject="s",
            body="b",
            now=NOW,
            person_id="p03",
        )
        s.commit()
        summary = deliver(s, NOW, worker="w1", policy=POLICY, smtp=NO_SMTP)  # no SMTP server configured
        assert summary["fallen_back"] == 1 and summary["sent"] == 1
        email_row = s.scalar(select(OutboxMessage).where(OutboxMessage.channel == "email"))
        assert email_row.attempts == 1 and "DUTYFLOW_SMTP_HOST" in email_row.last_error
        assert peer.delivered[0]["message"].startswith("【改由Webhook发送】此消息原定通过电子邮件发送")


def test_fallback_channels_named_by_evaluation_serve_recipients_without_a_person(db_url: str) -> None:
    """A unit's contact is no Person: the escalation checker lists the contact's other channels itself."""
    with webhook_server() as peer, open_session(db_url) as s:
        peer.broken.add("/first")
        enqueue(
            s,
            key="escalation|u1|2026-11-23|1|0|contact:u1|webhook",
            source="escalation",
            channel="webhook",
            address=peer.url("/first"),
            subject="请报送日报告",
            body="贵单位今日日报告尚未报送。",
            now=NOW,
            payload={"unit": "u1", "fallback_channels": [["webhook", peer.url("/second")]]},
        )
        s.commit()
        _run_until_quiet(s, NOW)
        [delivered] = peer.delivered
        assert delivered["_path"].startswith("/second")
        fallback = s.scalar(select(OutboxMessage).where(OutboxMessage.fallback_of.is_not(None)))
        assert fallback.status == "sent" and fallback.payload["unit"] == "u1"
