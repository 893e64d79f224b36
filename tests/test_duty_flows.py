"""The duty flows on the real Prefect engine: two runs at once equal one job call; a third adds nothing."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from duty_helpers import DAY, install, local
from sqlalchemy import select

from roster.storage import open_session, reset_engines
from roster.storage.models.outbox import OutboxMessage

pytest_plugins = ["tests.conftest_prefect"]
pytestmark = [
    pytest.mark.prefect,
    pytest.mark.xdist_group("prefect-harness"),
    pytest.mark.usefixtures("prefect_harness"),
]


def _outbox(url: str) -> list[tuple[str, str]]:
    with open_session(url) as s:
        return sorted(s.execute(select(OutboxMessage.source, OutboxMessage.dedup_key)).tuples())


def test_duty_flows_send_and_escalate_once(db_url: str) -> None:
    from flows.duty_check import duty_check
    from flows.duty_rollcalls import duty_rollcalls

    with open_session(db_url) as s:
        install(s)
    at = local(DAY, 9)  # nobody checked in, and the 08:30 handover is unsigned 30 min on
    results: list[dict] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        barrier.wait()
        results.append(duty_check(now=at, database_url=db_url))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 2 and sum(r["messages_enqueued"] for r in results) == len(_outbox(db_url))
    first = _outbox(db_url)
    sources = {s for s, _ in first}
    assert sources == {"duty-checkin-missed", "duty-handover-open"} and len(first) >= 6
    assert duty_check(now=at, database_url=db_url)["messages_enqueued"] == 0
    assert duty_rollcalls(now=at + dt.timedelta(minutes=1), database_url=db_url)["rollcalls_sent"] == 0
    assert _outbox(db_url) == first
    reset_engines()
