"""The send-reminders flow on the real Prefect engine: two overlapping runs on PostgreSQL queue each reminder once."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from conftest import _empty_postgres
from notices_helpers import outbox, two_duties

from roster.storage import open_session

pytest_plugins = ["tests.conftest_prefect"]
pytestmark = [
    pytest.mark.prefect,
    pytest.mark.postgres,
    pytest.mark.xdist_group("prefect-harness"),
    pytest.mark.usefixtures("prefect_harness"),
]


def test_two_overlapping_runs_queue_each_reminder_once(pg_database: str) -> None:
    from flows.send_reminders import send_reminders  # Prefect: imported on the harness worker only

    _empty_postgres(pg_database)
    url = two_duties(pg_database)
    now = dt.datetime(2026, 11, 30, 23, 40, tzinfo=dt.UTC)  # 07:40 in Chuxiong: 12-01's handover reminder
    barrier, results = threading.Barrier(2), []

    def run() -> None:
        barrier.wait()
        results.append(send_reminders(now=now, database_url=url))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sum(r["enqueued"] for r in results) == 3  # whichever run won each row, no row twice
    with open_session(url) as s:
        rows = outbox(s, "reminder")
    assert sorted(m.person_id for m in rows) == ["l1", "o1", "o2"]
    assert {m.payload["kind"] for m in rows} == {"before_handover"}
