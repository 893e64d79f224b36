"""Concurrent workers and crashed workers: every message is sent exactly once, none is skipped."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from notifications.delivery import claim_due, deliver, record_outcome
from notifications.outbox import enqueue
from notifications.sender import SendOutcome
from notifications.settings import DeliveryPolicy, SmtpSettings
from roster.storage import open_session
from roster.storage.models.outbox import OutboxAttempt, OutboxMessage
from tests.notifications_helpers import webhook_server

NOW = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)
POLICY = DeliveryPolicy(jitter=0, batch_size=25)
NO_SMTP = SmtpSettings.from_env({})


def _fill(url: str, target: str, count: int) -> list[str]:
    keys = [f"inspection|site-{i:04d}|2026-11-23|p{i % 44 + 1:02d}|webhook" for i in range(count)]
    with open_session(url) as s:
        for key in keys:
            enqueue(
                s,
                key=key,
                source="inspection",
                channel="webhook",
                address=target,
                subject="巡查任务",
                body=f"今日巡查：{key}",
                now=NOW,
            )
        s.commit()
    return keys


def _race(url: str, workers: int) -> list[dict]:
    results: list[dict] = []
    barrier = threading.Barrier(workers)

    def work(name: str) -> None:
        barrier.wait()  # start together, so the claims really overlap
        with open_session(url) as s:
            results.append(deliver(s, NOW, worker=name, policy=POLICY, smtp=NO_SMTP))

    threads = [threading.Thread(target=work, args=(f"worker-{n}",)) for n in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


@pytest.mark.postgres
def test_two_workers_on_postgres_send_each_message_exactly_once(pg_database: str) -> None:
    from tests.conftest import _empty_postgres

    _empty_postgres(pg_database)
    with webhook_server() as peer:
        keys = _fill(pg_database, peer.url(), 600)
        results = _race(pg_database, 2)

        received = Counter(peer.delivered_keys())
        assert sum(received.values()) == 600
        assert set(received) == set(keys)  # zero missing
        assert max(received.values()) == 1  # zero duplicates
        assert sorted(r["sent"] for r in results) == sorted(r["claimed"] for r in results)
        assert sum(r["sent"] for r in results) == 600
        assert all(r["sent"] > 0 for r in results), results  # both workers really took part
        with open_session(pg_database) as s:
            assert s.scalar(select(func.count()).where(OutboxMessage.status == "sent")) == 600
            assert s.scalar(select(func.count()).select_from(OutboxAttempt)) == 600


def test_two_workers_on_sqlite_send_each_message_exactly_once(db_url: str) -> None:
    with webhook_server() as peer:
        keys = _fill(db_url, peer.url(), 200)
        results = _race(db_url, 2)
        received = Counter(peer.delivered_keys())
        assert set(received) == set(keys) and max(received.values()) == 1
        assert sum(r["sent"] for r in results) == 200


def test_crashed_workers_lease_expires_and_the_message_is_retried(any_db_url: str) -> None:
    with webhook_server() as peer:
        keys = _fill(any_db_url, peer.url(), 5)
        with open_session(any_db_url) as crashed:
            # A worker claims and then dies before sending anything.
            lost = claim_due(crashed, now=NOW, worker="crashed", limit=10, lease=dt.timedelta(minutes=5))
        assert len(lost) == 5

        with open_session(any_db_url) as s:
            # While the lease holds, nobody else touches them.
            assert (
                deliver(s, NOW + dt.timedelta(minutes=4), worker="rescuer", policy=POLICY, smtp=NO_SMTP)["claimed"] == 0
            )
            assert peer.requests == []
            after = deliver(s, NOW + dt.timedelta(minutes=5, seconds=1), worker="rescuer", policy=POLICY, smtp=NO_SMTP)
            assert after["sent"] == 5
            assert sorted(peer.delivered_keys()) == sorted(keys)

            # The crashed worker comes back and tries to record a result: its lease is gone, it changes nothing.
            late = record_outcome(
                s,
                lost[0],
                SendOutcome(False, "timeout"),
                at=NOW + dt.timedelta(minutes=6),
                worker="crashed",
                policy=POLICY,
            )
            assert late == "lease_lost"
            row = s.get(OutboxMessage, lost[0].id, populate_existing=True)
            assert row.status == "sent" and row.claimed_by is None

            log = s.scalars(
                select(OutboxAttempt).where(OutboxAttempt.message_id == lost[0].id).order_by(OutboxAttempt.id)
            ).all()
            assert [(a.worker, a.ok) for a in log] == [("rescuer", False), ("rescuer", True), ("crashed", False)]
            assert "lease of worker crashed expired" in (log[0].error or "") and log[0].channel == "webhook"
            assert "after this worker's lease expired" in (log[2].error or "")
            assert row.attempts == 2  # the lost try counts against the channel's budget


def test_a_lease_shorter_than_the_send_is_never_used_to_send(db_url: str) -> None:
    with webhook_server() as peer:
        _fill(db_url, peer.url(), 3)
        tiny = DeliveryPolicy(lease=dt.timedelta(microseconds=1))
        with open_session(db_url) as s:
            summary = deliver(s, NOW, worker="slow", policy=tiny, smtp=NO_SMTP)
        assert summary["sent"] == 0 and summary["skipped_expired"] == 3
        assert peer.requests == []
