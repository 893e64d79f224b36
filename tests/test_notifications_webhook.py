"""Webhook and robot delivery against a real HTTP server on loopback: retries with backoff, delivered once."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from notifications.delivery import deliver
from notifications.outbox import enqueue
from notifications.settings import DeliveryPolicy, SmtpSettings
from roster.storage import open_session
from roster.storage.models.outbox import OutboxAttempt, OutboxMessage
from tests.notifications_helpers import webhook_server

NOW = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)
POLICY = DeliveryPolicy(max_attempts=5, backoff=dt.timedelta(seconds=30), jitter=0.2)
NO_SMTP = SmtpSettings.from_env({})


def _enqueue_webhook(session, url: str, key: str = "escalation|construction|2026-11-23|1|p01|webhook") -> None:
    enqueue(
        session,
        key=key,
        source="escalation",
        channel="webhook",
        address=url,
        subject="日报告逾期：建筑施工组",
        body="建筑施工组 2026-11-23 的日报告已逾期 30 分钟，请督促报送。",
        now=NOW,
        person_id="p01",
    )
    session.commit()


def test_json_webhook_receives_title_body_and_dedup_key(db_url: str) -> None:
    with webhook_server() as peer, open_session(db_url) as s:
        _enqueue_webhook(s, peer.url())
        summary = deliver(s, NOW, worker="w1", policy=POLICY, smtp=NO_SMTP)
        assert summary["sent"] == 1 and summary["claimed"] == 1
        [body] = peer.delivered
        assert body["title"] == "日报告逾期：建筑施工组"
        assert body["message"].startswith("建筑施工组 2026-11-23 的日报告已逾期")
        assert body["dedup_key"] == "escalation|construction|2026-11-23|1|p01|webhook"
        message = s.scalar(select(OutboxMessage))
        assert (message.status, message.attempts, message.claimed_by) == ("sent", 1, None)
        assert message.sent_at is not None and message.sent_at >= NOW
        # Delivering again sends nothing: the message is done.
        assert deliver(s, NOW + dt.timedelta(hours=1), worker="w1", policy=POLICY, smtp=NO_SMTP)["claimed"] == 0
        assert len(peer.requests) == 1


def test_failing_webhook_is_retried_with_backoff_and_delivered_once(db_url: str) -> None:
    with webhook_server(fail_first=2) as peer, open_session(db_url) as s:
        _enqueue_webhook(s, peer.url())
        key = "escalation|construction|2026-11-23|1|p01|webhook"

        first = deliver(s, NOW, worker="w1", policy=POLICY, smtp=NO_SMTP)
        assert (first["sent"], first["retrying"]) == (0, 1)
        message = s.scalar(select(OutboxMessage))
        due_again = message.next_attempt_at
        # 30 s after the failure plus the message's own deterministic jitter (at most 20 %); the run's clock
        # advanced only by the milliseconds the request took.
        assert dt.timedelta(seconds=30) <= POLICY.retry_delay(1, key) <= dt.timedelta(seconds=36)
        assert abs((due_again - NOW) - POLICY.retry_delay(1, key)) < dt.timedelta(seconds=2)
        assert "500" in (message.last_error or "")

        # Before the backoff has passed nothing is sent.
        assert deliver(s, due_again - dt.timedelta(seconds=1), worker="w1", policy=POLICY, smtp=NO_SMTP)["claimed"] == 0
        second = deliver(s, due_again, worker="w1", policy=POLICY, smtp=NO_SMTP)
        assert second["retrying"] == 1
        message = s.scalar(select(OutboxMessage).execution_options(populate_existing=True))
        # The second delay doubles.
        assert message.next_attempt_at - due_again >= dt.timedelta(seconds=60)

        third = deliver(s, message.next_attempt_at, worker="w1", policy=POLICY, smtp=NO_SMTP)
        assert third["sent"] == 1
        assert len(peer.requests) == 3
        assert peer.delivered_keys() == [key]  # delivered exactly once
        attempts = s.scalars(select(OutboxAttempt).order_by(OutboxAttempt.id)).all()
        assert [a.ok for a in attempts] == [False, False, True]
        assert all(a.worker == "w1" and a.channel == "webhook" for a in attempts)


def test_backoff_is_exponential_capped_and_deterministic() -> None:
    policy = DeliveryPolicy(backoff=dt.timedelta(seconds=10), backoff_max=dt.timedelta(seconds=60), jitter=0)
    assert [policy.retry_delay(n, "k").total_seconds() for n in range(1, 6)] == [10, 20, 40, 60, 60]
    jittered = DeliveryPolicy(backoff=dt.timedelta(seconds=10), jitter=0.5)
    assert jittered.retry_delay(3, "k") == jittered.retry_delay(3, "k")
    delays = {jittered.retry_delay(1, f"k{i}") for i in range(20)}
    assert len(delays) > 1 and all(dt.timedelta(seconds=10) <= d <= dt.timedelta(seconds=15) for d in delays)


ROBOTS = {
    # kind: (plugin module, class, URL template on our server, path of the request, reply check)
    "wecom": ("wecombot", "NotifyWeComBot", "/cgi-bin/webhook/send?key={key}", "/cgi-bin/webhook/send?key=a1b2c3d4"),
    "dingtalk": ("dingtalk", "NotifyDingTalk", "/robot/send?access_token={token}", "/robot/send?access_token=a1b2c3d4"),
    "feishu": ("feishu", "NotifyFeishu", "/open-apis/bot/v2/hook/{token}/", "/open-apis/bot/v2/hook/a1b2c3d4/"),
}


def _robot_text(kind: str, body: dict) -> str:
    if kind == "feishu":
        assert body["msg_type"] == "text"
        return body["content"]["text"]
    assert body["msgtype"] == "text"
    return body["text"]["content"]


@pytest.mark.parametrize("kind", sorted(ROBOTS))
def test_group_robot_payload_reaches_a_local_stand_in(kind: str, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Apprise hard-codes the robots' hosts (qyapi.weixin.qq.com, oapi.dingtalk.com, open.feishu.cn); pointing
    the plugin's URL template at our server keeps the real request (path, key, JSON shape) under test."""
    import importlib

    module, cls, template, expected_path = ROBOTS[kind]
    plugin = getattr(importlib.import_module(f"apprise.plugins.{module}"), cls)
    with webhook_server() as peer, open_session(db_url) as s:
        monkeypatch.setattr(plugin, "notify_url", f"http://127.0.0.1:{peer.port}{template}")
        enqueue(
            s,
            key=f"inspection|water|2026-11-23|p02|{kind}",
            source="inspection",
            channel=kind,
            address="a1b2c3d4",
            subject="今日巡查任务",
            body="供水组今日巡查：第一水厂、第二水厂。",
            now=NOW,
            person_id="p02",
        )
        s.commit()
        assert deliver(s, NOW, worker="w1", policy=POLICY, smtp=NO_SMTP)["sent"] == 1
        [body] = peer.delivered
        assert body["_path"] == expected_path
        assert _robot_text(kind, body) == "【今日巡查任务】\n供水组今日巡查：第一水厂、第二水厂。"


@pytest.mark.parametrize("kind", sorted(ROBOTS))
def test_robot_refusal_with_http_200_is_a_failure_not_a_silent_loss(
    kind: str, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Robots answer 200 with {"errcode": 93000, ...} for a wrong key; Apprise alone would call that sent."""
    import importlib

    module, cls, template, expected_path = ROBOTS[kind]
    plugin = getattr(importlib.import_module(f"apprise.plugins.{module}"), cls)
    with webhook_server() as peer, open_session(db_url) as s:
        monkeypatch.setattr(plugin, "notify_url", f"http://127.0.0.1:{peer.port}{template}")
        peer.refusing.add(expected_path.split("?")[0])
        enqueue(
            s, key=f"k|{kind}", source="inspection", channel=kind, address="a1b2c3d4", subject="s", body="b", now=NOW
        )
        s.commit()
        summary = deliver(s, NOW, worker="w1", policy=POLICY, smtp=NO_SMTP)
        assert (summary["sent"], summary["retrying"]) == (0, 1)
        message = s.scalar(select(OutboxMessage))
        assert message.status == "pending"
        assert "code 93000, invalid webhook url" in (message.last_error or "")
