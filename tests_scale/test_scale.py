"""Scale-out survives machine loss (``make test-scale``; also run by .ci/run after the main suite).

Two Prefect API replicas (``--no-services``) and one background-services process on PostgreSQL and Redis,
two process workers (one per replica), dutyflow on PostgreSQL, a real SMTP server. Then:
1. manual runs of check-reports through both replicas at once escalate each unit once, and the cron of
   deliver-notifications delivers what was queued, once;
2. one worker, its flow process and its API replica are killed mid-delivery: every message still arrives,
   only the in-flight ones twice and then with the same Message-ID, and the surviving worker's reap-lost-runs
   flow marks the lost run Crashed (no heartbeat for 3 intervals), leaving nothing Running or Pending.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from notifications.outbox import enqueue
from roster.storage import open_session
from roster.storage.models.outbox import OutboxMessage
from tests_scale.cluster import Cluster

pytestmark = pytest.mark.scale
SEED_APPLIED = "2026-11-23T00:00:00+08:00"
EVENING = "2026-11-23T20:00:00+08:00"
LOST_RUN_CRASHED_WITHIN = 300  # seconds: 3 missed 30 s heartbeats, plus the next minute's reap-lost-runs run


def _deployment_id(api: str, name: str) -> str:
    return httpx.get(f"{api}/deployments/name/{name}/{name}", timeout=10).raise_for_status().json()["id"]


def _run(api: str, name: str, **parameters: object) -> str:
    url = f"{api}/deployments/{_deployment_id(api, name)}/create_flow_run"
    return httpx.post(url, json={"parameters": parameters}, timeout=10).raise_for_status().json()["id"]


def _flow_run(api: str, run_id: str) -> dict:
    return httpx.get(f"{api}/flow_runs/{run_id}", timeout=10).raise_for_status().json()


def _wait_final(api: str, run_id: str, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = _flow_run(api, run_id)
        if run["state"] and run["state"]["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
            return run
        time.sleep(1)
    raise AssertionError(f"run {run_id} not final after {timeout} s: {run['state']}")


def _unfinished(api: str, flow: str | None = None) -> list[dict]:
    body: dict = {"flow_runs": {"state": {"type": {"any_": ["RUNNING", "PENDING", "CANCELLING"]}}}}
    if flow:
        body["flows"] = {"name": {"any_": [flow]}}
    return httpx.post(f"{api}/flow_runs/filter", json=body, timeout=10).raise_for_status().json()


@pytest.fixture(scope="module")
def deployed(cluster: Cluster, inbox) -> Cluster:
    port, _ = inbox
    cluster.prefect(["work-pool", "create", "dutyflow-process", "--type", "process"], api="api-a")
    cluster.prefect(["--no-prompt", "deploy", "--all"], api="api-a")
    cluster.dutyflow(["flows", "setup"], api="api-a")
    cluster.dutyflow(["apply", "examples/chuxiong.yaml", "--now", SEED_APPLIED])
    smtp = dict(
        DUTYFLOW_SMTP_HOST="127.0.0.1",
        DUTYFLOW_SMTP_PORT=str(port),
        DUTYFLOW_SMTP_TLS="none",
        DUTYFLOW_NOTIFY_BATCH="4",
        DUTYFLOW_NOTIFY_CONCURRENCY="1",
        DUTYFLOW_NOTIFY_LEASE_SECONDS="20",
        DUTYFLOW_NOTIFY_JITTER="0",
    )
    cluster.start_worker("worker-a", "api-a", **smtp)
    cluster.start_worker("worker-b", "api-b", **smtp)
    return cluster


def test_manual_runs_through_both_replicas_escalate_once_and_the_cron_delivers(deployed: Cluster, inbox) -> None:
    _, box = inbox
    runs = [_run(deployed.apis[api], "check-reports", now=EVENING) for api in ("api-a", "api-b")]
    for api, run_id in zip(("api-a", "api-b"), runs, strict=True):
        assert _wait_final(deployed.apis[api], run_id)["state"]["type"] == "COMPLETED"
    with open_session(deployed.dutyflow_url) as s:
        keys = Counter(s.scalars(select(OutboxMessage.dedup_key)))
        emails = set(s.scalars(select(OutboxMessage.dedup_key).where(OutboxMessage.channel == "email")))
    assert keys and max(keys.values()) == 1
    # Only these runs' mails count: the real-clock crons (check-reports, duty checks) may mail meanwhile.
    box.wait_for_keys(emails, timeout=30)  # the urgent hand-off: no delivery run needed
    assert Counter(m[2] for m in box.mails).most_common(1)[0][1] == 1, "an escalation mail arrived twice"
    assert box.has_keys(emails), "an escalation mail never arrived"

    # A message that is not urgent waits for the every-minute deliver-notifications cron of the scheduler.
    with open_session(deployed.dutyflow_url) as s:
        enqueue(
            s,
            key="cron-check",
            source="inspection",
            channel="email",
            address="cron@cxzjj.gov.cn",
            subject="cron",
            body="cron",
            now=dt.datetime.now(dt.UTC),
        )
        s.commit()
    box.wait_for_keys({"cron-check"}, timeout=150)
    assert [m for m in box.mails if m[0] == "cron@cxzjj.gov.cn"], "the cron never delivered the queued message"
    time.sleep(65)  # one more cron tick of both workers
    assert sum(1 for m in box.mails if m[0] == "cron@cxzjj.gov.cn") == 1


def test_a_lost_machine_loses_nothing_and_its_run_is_crashed(deployed: Cluster, inbox) -> None:
    _, box = inbox
    box.delay = 1.0  # a slow relay, so the kill lands mid-delivery
    before = len(box.mails)
    with open_session(deployed.dutyflow_url) as s:
        for n in range(24):
            enqueue(
                s,
                key=f"loss|{n}",
                source="inspection",
                channel="email",
                address=f"loss{n}@cxzjj.gov.cn",
                subject=f"loss {n}",
                body="正文",
                now=dt.datetime.now(dt.UTC),
            )
        s.commit()
    _run(deployed.apis["api-a"], "deliver-notifications")  # or the cron's run, whichever claims first
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and sum(1 for m in box.mails[before:] if m[0].startswith("loss")) < 3:
        time.sleep(0.5)
    # The delivery run that is sending them (other crons, e.g. duty roll calls, run beside it).
    [run, *_] = [
        r for r in _unfinished(deployed.apis["api-a"], "deliver-notifications") if r["state"]["type"] == "RUNNING"
    ]
    run_id = run["id"]
    pid = int(str(run["infrastructure_pid"]).rpartition(":")[2])
    worker = next(name for name in ("worker-a", "worker-b") if _is_ancestor(deployed.processes[name].pid, pid))
    api = "api-a" if worker == "worker-a" else "api-b"
    survivor_api = "api-b" if api == "api-a" else "api-a"
    os.kill(pid, signal.SIGKILL)
    deployed.kill(worker)
    deployed.kill(api)

    # The survivor's cron runs reclaim the lapsed leases. (The real-clock check-reports cron also mails
    # today's escalations meanwhile: only the test's own messages are counted.)
    lost = [m for m in box.mails if m[0].startswith("loss")]
    deadline = time.monotonic() + 240
    while len({m[0] for m in lost}) < 24 and time.monotonic() < deadline:
        time.sleep(1)
        lost = [m for m in box.mails if m[0].startswith("loss")]
    received = Counter(m[0] for m in lost)
    assert set(received) == {f"loss{n}@cxzjj.gov.cn" for n in range(24)}, "a message was lost"
    repeats = [address for address, count in received.items() if count > 1]
    assert len(repeats) <= 4, f"only the in-flight batch may repeat: {repeats}"
    ids = {m[0]: set() for m in lost}
    for to, _, message_id in lost:
        ids[to].add(message_id)
    assert all(len(v) == 1 for v in ids.values()), "a repeat must carry the first copy's Message-ID"

    deadline = time.monotonic() + LOST_RUN_CRASHED_WITHIN
    while time.monotonic() < deadline and _flow_run(deployed.apis[survivor_api], run_id)["state"]["type"] != "CRASHED":
        time.sleep(2)
    lost_run = _flow_run(deployed.apis[survivor_api], run_id)
    assert lost_run["state"]["type"] == "CRASHED"
    assert "dutyflow watchdog: no heartbeat" in lost_run["state"]["message"]
    stale = [r for r in _unfinished(deployed.apis[survivor_api]) if _age(r) > LOST_RUN_CRASHED_WITHIN]
    assert not stale, f"runs left Running/Pending: {[(r['name'], r['state']['type']) for r in stale]}"


def _age(run: dict) -> float:
    started = dt.datetime.fromisoformat(run["state"]["timestamp"].replace("Z", "+00:00"))
    return (dt.datetime.now(dt.UTC) - started).total_seconds()


def _is_ancestor(ancestor: int, pid: int) -> bool:
    while pid > 1:
        if pid == ancestor:
            return True
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return False
        pid = int(stat.rpartition(")")[2].split()[1])
    return False
