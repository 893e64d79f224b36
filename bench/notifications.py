"""Delivering 2,000 outbox messages to a local webhook: 1 and 2 workers vs a naive per-message loop.

The webhook answers after 20 ms, like a robot API across the internet. The baseline is what one would
write first: for each message open a new session, pick one pending row, send it, mark it sent, close. The
measured cases use ``notifications.delivery.deliver`` (batched claims with a lease, concurrent sends, an
attempt row per send) in one process, and in two processes racing on the same table (PostgreSQL when
reachable, else SQLite). Every case also checks that the peer received each message exactly once.

Run: ``python -m bench.notifications`` (prints the rows as JSON).
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import resource
import tempfile
import time
import uuid
from collections import Counter
from typing import Any

COUNT = 2000
# Each answer of the local webhook is delayed like a robot API across the internet (WeCom/DingTalk answer
# in 50-200 ms); without it the in-process test server, not delivery, is what gets measured.
LATENCY = 0.02
NOW = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)
PG_ADMIN_URL = os.environ.get("DUTYFLOW_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _fill(url: str, target: str) -> None:
    from sqlalchemy import delete

    from notifications.outbox import enqueue
    from roster.storage import open_session
    from roster.storage.models.outbox import OutboxAttempt, OutboxMessage

    with open_session(url) as s:
        s.execute(delete(OutboxAttempt))
        s.execute(delete(OutboxMessage))
        for i in range(COUNT):
            enqueue(s, key=f"bench|{i}", source="bench", channel="webhook", address=target, subject="巡查任务",
                    body=f"第 {i} 条：今日巡查安排。", now=NOW)  # fmt: skip
        s.commit()


def _naive(url: str, target: str) -> None:
    """The baseline: one session per message, no claim, no lease, no attempt log (unsafe with 2 workers)."""
    from sqlalchemy import select

    from notifications.channels import apprise_url
    from notifications.sender import send
    from notifications.settings import SmtpSettings
    from roster.storage import open_session
    from roster.storage.models.outbox import OutboxMessage

    smtp = SmtpSettings.from_env({})
    while True:
        with open_session(url) as s:
            message = s.scalar(select(OutboxMessage).where(OutboxMessage.status == "pending").limit(1))
            if message is None:
                return
            outcome = send(apprise_url("webhook", message.address, smtp, message_key=message.dedup_key),
                           message.subject, message.body)  # fmt: skip
            message.status = "sent" if outcome.ok else "dead"
            message.sent_at = NOW
            s.commit()


def _worker(url: str, name: str, start: Any) -> None:
    from notifications.delivery import deliver
    from notifications.settings import DeliveryPolicy, SmtpSettings
    from roster.storage import open_session

    start.wait()
    with open_session(url) as s:
        deliver(s, NOW, worker=name, policy=DeliveryPolicy(jitter=0), smtp=SmtpSettings.from_env({}))


def _run_workers(url: str, workers: int) -> float:
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Event()
    procs = [ctx.Process(target=_worker, args=(url, f"bench-{n}", start)) for n in range(workers)]
    for p in procs:
        p.start()
    time.sleep(1.5)  # let them import; the clock starts when they are released together
    began = time.perf_counter()
    start.set()
    for p in procs:
        p.join()
    return time.perf_counter() - began


def _database() -> tuple[str, str, Any]:
    from sqlalchemy import create_engine, text

    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        name = f"dutyflow_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))

        def drop() -> None:
            from roster.storage import reset_engines

            reset_engines()
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

        return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}", "postgresql", drop
    except Exception:
        folder = tempfile.mkdtemp(prefix="dutyflow-bench-")
        return f"sqlite:///{folder}/bench.db", "sqlite", lambda: None


def run() -> list[dict]:
    from tests.notifications_helpers import webhook_server

    url, kind, cleanup = _database()
    timings: dict[str, float] = {}
    checks: dict[str, str] = {}
    try:
        with webhook_server(latency=LATENCY) as peer:
            for case, action in (
                ("naive", lambda: _naive(url, peer.url())),
                ("1 worker", lambda: timings.__setitem__("1 worker", _run_workers(url, 1))),
                ("2 workers", lambda: timings.__setitem__("2 workers", _run_workers(url, 2))),
            ):
                _fill(url, peer.url())
                with peer.lock:
                    peer.delivered.clear()
                    peer.requests.clear()
                began = time.perf_counter()
                action()
                timings.setdefault(case, time.perf_counter() - began)
                counts = Counter(peer.delivered_keys())
                duplicates = sum(c - 1 for c in counts.values())
                checks[case] = f"received {len(counts)}/{COUNT} distinct, {duplicates} duplicates"
                checks[case + "_ok"] = str(len(counts) == COUNT and duplicates == 0)
    finally:
        cleanup()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    rows = []
    cases = (
        ("1 worker", "naive", "ratio <= 0.8 (batched claims, concurrent sends beat the naive loop)", 0.8),
        ("2 workers", "naive", "ratio <= 0.6", 0.6),
        ("2 workers", "1 worker", "ratio <= 0.9 (a second worker helps)", 0.9),
    )
    for case, against, target, limit in cases:
        ratio = timings[case] / timings[against]
        rows.append(
            {
                "benchmark": "notifications.deliver",
                "case": f"{COUNT} webhook messages, {case} vs {against}, {kind}",
                "seconds": round(timings[case], 3),
                "baseline_seconds": round(timings[against], 3),
                "ratio": round(ratio, 3),
                "peak_mb": round(max(peak, peak_children), 1),
                "target": target,
                "ok": ratio <= limit and checks[case + "_ok"] == "True" and checks[against + "_ok"] == "True",
                "notes": f"{case}: {checks[case]}; {against}: {checks[against]}; "
                f"naive = 1 session per message, no claim/lease/audit; peer latency {LATENCY * 1000:.0f} ms; "
                f"{os.cpu_count()} CPUs shared with other jobs",
            }
        )
    return rows


if __name__ == "__main__":
    print(json.dumps(run(), ensure_ascii=False, indent=2))
