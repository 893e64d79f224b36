"""Prefect orchestration overhead, against a real local Prefect server (as `dutyflow up` runs it).

Two measurements, both with the reports job (``roster.reports.jobs.check_reports``) on a bureau whose one
unit is always overdue, so every run writes one escalation (the tables are emptied between runs):

- ``tick_to_effect``: a served deployment on an every-minute cron; from the run's scheduled time (the
  tick) to the moment the escalation row is visible in the database. Baseline: the job called directly.
- ``flow_wrapper``: the ``check-reports`` flow called in-process (flow + task runs recorded by the server)
  versus calling the job function directly, N runs each, same database work.
"""

from __future__ import annotations

import datetime as dt
import os
import resource
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "chuxiong.yaml"
RUNS = 5
TICKS = 2
TICK_TARGET_SECONDS = 30.0  # a 5-minute escalation cadence tolerates this easily
OVERHEAD_TARGET_SECONDS = 2.0  # per run, flow + task bookkeeping on a loaded 2-core machine


def _always_overdue_bureau():  # noqa: ANN202
    from roster.admin.schema import BureauFile

    doc = yaml.safe_load(SEED.read_text(encoding="utf-8"))
    doc["reports"]["policies"] = [{"id": "bench", "steps": [{"after": "0m", "targets": ["unit_contact"]}]}]
    doc["reports"]["default_policy"] = "bench"
    # Due at 00:00 local, every day: overdue whatever the real time is.
    doc["reports"]["units"] = [
        {"id": "bench-unit", "name": "基准测试组", "contact": "p09", "group": "construction", "deadline": "00:00"}
    ]
    return BureauFile.model_validate(doc)


def _setup(url: str) -> None:
    from roster.admin.apply import apply_bureau
    from roster.storage import session_scope

    with session_scope(url) as session:
        apply_bureau(session, _always_overdue_bureau(), dt.datetime.now(dt.UTC))


def _clear(url: str) -> None:
    from sqlalchemy import delete

    from roster.storage import session_scope
    from roster.storage.models.outbox import OutboxAttempt, OutboxMessage
    from roster.storage.models.reports import EscalationEvent, ReportExpectation

    # Expectations too: their next_check_at moved on, and a fresh row makes the next run do the same work.
    # Attempts first: the job hands urgent messages to delivery at once, and an attempt points at its message.
    with session_scope(url) as session:
        session.execute(delete(EscalationEvent))
        session.execute(delete(ReportExpectation))
        session.execute(delete(OutboxAttempt))
        session.execute(delete(OutboxMessage))


def _escalations(url: str) -> int:
    from sqlalchemy import func, select

    from roster.storage import open_session
    from roster.storage.models.outbox import OutboxMessage

    with open_session(url) as session:
        return session.scalar(select(func.count()).select_from(OutboxMessage)) or 0


def _timed(fn, url: str) -> float:  # noqa: ANN001
    _clear(url)
    start = time.perf_counter()
    fn(dt.datetime.now(dt.UTC), database_url=url)
    elapsed = time.perf_counter() - start
    assert _escalations(url) >= 1, "the benchmark scenario must escalate on every run"
    return elapsed


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _latest_tick(api_url: str, deployment: str) -> dt.datetime | None:
    import asyncio

    from prefect.client.orchestration import PrefectClient
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterName,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort

    async def read() -> dt.datetime | None:
        async with PrefectClient(api_url) as client:
            runs = await client.read_flow_runs(
                deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=[deployment])),
                flow_run_filter=FlowRunFilter(
                    state=FlowRunFilterState(type=FlowRunFilterStateType(not_any_=[StateType.SCHEDULED]))
                ),
                sort=FlowRunSort.EXPECTED_START_TIME_DESC,
                limit=1,
            )
            return runs[0].expected_start_time if runs else None

    return asyncio.run(read())


def run() -> list[dict]:
    from bench import quick
    from roster import supervise

    runs, ticks = (3, 1) if quick() else (RUNS, TICKS)
    from roster.reports.jobs import check_reports as job
    from roster.storage import reset_engines

    with tempfile.TemporaryDirectory(prefix="dutyflow-bench-prefect-") as tmp:
        home = Path(tmp)
        url = f"sqlite:///{home / 'dutyflow.db'}"
        _setup(url)
        baseline = [_timed(job, url) for _ in range(runs)]

        port = supervise.free_port()
        api_url = f"http://127.0.0.1:{port}/api"
        env = _prefect_env(home, url, api_url)
        children: list[supervise.Child] = []
        saved = {k: os.environ.get(k) for k in ("PREFECT_API_URL", "PREFECT_HOME")}
        try:
            server = supervise.start(
                "prefect server",
                [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                env,
                quiet=True,
            )
            children.append(server)
            supervise.wait_http_ok(f"{api_url}/health", server, 180)

            # In-process flow runs against the same server (the harness a worker would use).
            os.environ.update(PREFECT_API_URL=api_url, PREFECT_HOME=str(home / "prefect"))
            from flows.check_reports import check_reports as flow

            _timed(flow, url)  # warm-up: registers the flow, opens the client
            wrapped = [_timed(flow, url) for _ in range(runs)]
            latencies = _scheduled_latencies(url, api_url, env, ticks, children)
        finally:
            for child in reversed(children):
                child.stop()
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            reset_engines()
    return _rows(baseline, wrapped, latencies, runs, ticks)


def _prefect_env(home: Path, url: str, api_url: str) -> dict[str, str]:
    """This process's environment without any PREFECT_ setting, pointed at the bench's own server and home."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        DUTYFLOW_HOME=str(home),
        DUTYFLOW_DATABASE_URL=url,
        PREFECT_HOME=str(home / "prefect"),
        PREFECT_API_URL=api_url,
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
    )
    return env


def _scheduled_latencies(url: str, api_url: str, env: dict[str, str], ticks: int, children: list) -> list[float]:
    """Serve the deployment on an every-minute cron; for each tick, seconds from the scheduled time to the
    escalation row. The runner joins ``children`` (the caller stops them)."""
    from roster import supervise

    _clear(url)
    runner = supervise.start(
        "flow runner",
        [
            sys.executable,
            "-c",
            "from flows.serving import serve_all; serve_all(only=('check-reports',), cron='* * * * *')",
        ],
        env,
        cwd=str(ROOT),
        stop_signal=signal.SIGINT,
        quiet=True,
    )
    children.append(runner)
    latencies = []
    for _ in range(ticks):
        _clear(url)
        deadline = time.monotonic() + 180
        while _escalations(url) == 0:
            if not runner.alive or time.monotonic() > deadline:
                raise RuntimeError("no scheduled run wrote its escalation within 180 s")
            time.sleep(0.1)
        seen = dt.datetime.now(dt.UTC)
        tick = _latest_tick(api_url, "check-reports")
        latencies.append((seen - tick).total_seconds())
    return latencies


def _rows(baseline: list[float], wrapped: list[float], latencies: list[float], runs: int, ticks: int) -> list[dict]:
    direct = statistics.median(baseline)
    flow_median = statistics.median(wrapped)
    tick = statistics.median(latencies)
    return [
        {
            "benchmark": "prefect",
            "case": f"tick_to_effect (check-reports, served, {ticks} cron ticks, median)",
            "seconds": round(tick, 3),
            "baseline_seconds": round(direct, 4),
            "ratio": round(tick / direct, 1),
            "peak_mb": round(_peak_mb(), 1),
            "target": f"<= {TICK_TARGET_SECONDS:.0f} s from the scheduled tick to the escalation row",
            "ok": tick <= TICK_TARGET_SECONDS,
            "notes": f"samples {[round(x, 2) for x in latencies]}; runner polls every 10 s (Prefect default) and "
            "starts each run in a subprocess",
        },
        {
            "benchmark": "prefect",
            "case": f"flow_wrapper (check-reports flow vs job, {runs} runs each, median)",
            "seconds": round(flow_median, 4),
            "baseline_seconds": round(direct, 4),
            "ratio": round(flow_median / direct, 1),
            "peak_mb": round(_peak_mb(), 1),
            "target": f"overhead <= {OVERHEAD_TARGET_SECONDS:.0f} s per run",
            "ok": flow_median - direct <= OVERHEAD_TARGET_SECONDS,
            "notes": f"overhead {flow_median - direct:.3f} s per run (flow run + task run recorded by a local server)",
        },
    ]


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2, ensure_ascii=False))
