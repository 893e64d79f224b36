"""Tick → delivered: how long an escalation written by the check-reports tick takes to reach a real SMTP server.

The seed bureau at 20:00 on a day nobody reported: the tick writes every due escalation and, with the urgent
hand-off, delivers them before it returns. Measured from the start of the tick to the last mail received by
an aiosmtpd server on loopback, on SQLite. Baseline in the same run: the tick alone with the hand-off off
(its messages would then wait for the every-minute delivery run: up to 60 s more). Target: ≤ 5 s.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "chuxiong.yaml"
APPLIED = dt.datetime(2026, 11, 22, 16, 0, tzinfo=dt.UTC)
EVENING = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
TARGET_SECONDS = 5.0


class _Inbox:
    def __init__(self) -> None:
        self.count = 0
        self.last = 0.0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: ANN001, N802 - aiosmtpd's hook
        with self.lock:
            self.count += 1
            self.last = time.perf_counter()
        return "250 OK"


def _tick(url: str, handoff: bool) -> tuple[float, int, float]:
    from roster.admin.apply import apply_file
    from roster.reports.jobs import check_reports
    from roster.storage import reset_engines

    apply_file(SEED, APPLIED, url)
    os.environ["DUTYFLOW_URGENT_HANDOFF"] = "1" if handoff else "0"
    started = time.perf_counter()
    summary = check_reports(EVENING, url)
    seconds = time.perf_counter() - started
    reset_engines()
    return seconds, summary["messages_enqueued"], started


def run() -> list[dict]:
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        os.environ.update(DUTYFLOW_SMTP_HOST="127.0.0.1", DUTYFLOW_SMTP_PORT=str(port), DUTYFLOW_SMTP_TLS="none")
        with tempfile.TemporaryDirectory() as tmp:
            baseline, _, _ = _tick(f"sqlite:///{tmp}/baseline.db", handoff=False)
            _, written, started = _tick(f"sqlite:///{tmp}/urgent.db", handoff=True)
            delivered = inbox.last - started if inbox.count else float("inf")
    finally:
        controller.stop()
    return [
        {
            "benchmark": "urgent",
            "case": "check-reports tick → last escalation mail received (seed bureau, SQLite, SMTP)",
            "seconds": round(delivered, 3),
            "baseline_seconds": round(baseline, 3),
            "ratio": round(delivered / baseline, 2) if baseline else None,
            "peak_mb": None,
            "target": f"≤ {TARGET_SECONDS:.0f} s",
            "ok": delivered <= TARGET_SECONDS and inbox.count > 0,
            "notes": f"{written} messages written, {inbox.count} mails received; baseline: the tick without hand-off",
        }
    ]
