"""The check-incidents flow on the real Prefect engine: the job's effect, and two runs at once add nothing twice."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from roster.incidents import ledger
from roster.storage import open_session
from roster.storage.models.incidents import IncidentEvent
from roster.storage.models.outbox import OutboxMessage
from tests.incidents_helpers import utc

pytest_plugins = ["tests.conftest_prefect", "tests.incidents_fixtures"]
pytestmark = [
    pytest.mark.prefect,
    pytest.mark.xdist_group("prefect-harness"),
    pytest.mark.usefixtures("prefect_harness"),
]


def test_check_incidents_flow_alerts_once_even_when_two_runs_overlap(incidents_db: Session) -> None:
    from flows.check_incidents import check_incidents

    url = str(incidents_db.get_bind().url)
    received = utc(2026, 11, 29, 2, 0)
    ledger.open_incident(incidents_db, title="供水主管爆裂", severity="major", received_at=received, now=received)
    incidents_db.commit()

    barrier = threading.Barrier(2)
    results: list[dict] = []

    def run() -> None:
        barrier.wait()
        results.append(check_incidents(now=utc(2026, 11, 29, 2, 40), database_url=url))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(results) == 2 and all(r["clocks_overdue"] == 2 for r in results)  # phone 15 min, 首报 30 min
    assert sum(r["messages_enqueued"] for r in results) > 0
    with open_session(url) as s:
        keys = list(s.scalars(select(OutboxMessage.dedup_key)))
        events = list(s.scalars(select(IncidentEvent.event_key).where(IncidentEvent.kind == "alert")))
    assert len(keys) == len(set(keys)) == sum(r["messages_enqueued"] for r in results)
    assert sorted(events) == sorted(keys)
    assert check_incidents(now=utc(2026, 11, 29, 2, 40), database_url=url)["messages_enqueued"] == 0
