"""The incident tick over many open incidents: 200 incidents of the four seed severities received a minute
apart, the seed bureau with 24 h shifts, SQLite. Measured: the catch-up tick 5 h later (writes every due
alert) and then the same tick repeated (writes nothing: what every 5-minute tick costs while incidents stay
open). Baseline in the same run: the catch-up tick. Target: a repeated tick ≤ 1 s.
"""

from __future__ import annotations

import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "chuxiong.yaml"
START = dt.datetime(2026, 11, 29, 1, 0, tzinfo=dt.UTC)
INCIDENTS = 200
TARGET_SECONDS = 1.0


def _shifts(session, first: dt.date, days: int) -> None:  # noqa: ANN001
    from roster.storage.models.shifts import Shift, ShiftAssignment

    leaders, officers = ("p03", "p04", "p05", "p06"), (("p10", "p11"), ("p12", "p13"), ("p14", "p15"), ("p16", "p17"))
    for i in range(days):
        day = first + dt.timedelta(days=i)
        start = dt.datetime(day.year, day.month, day.day, 0, 30, tzinfo=dt.UTC)
        shift = Shift(uid=f"{day:%Y%m%d}-full@bench", duty_date=day, slot="full", starts_at=start,
                      ends_at=start + dt.timedelta(hours=24), changed_at=start)  # fmt: skip
        shift.assignments = [ShiftAssignment(role="leader_on_duty", seat=0, person_id=leaders[i % 4])] + [
            ShiftAssignment(role="duty_officer", seat=s, person_id=p) for s, p in enumerate(officers[i % 4])
        ]
        session.add(shift)
    session.commit()


def run() -> list[dict]:
    from roster.admin.apply import apply_file
    from roster.incidents import escalation, ledger
    from roster.storage import open_session, reset_engines

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/incidents.db"
        apply_file(SEED, START - dt.timedelta(days=1), url)
        session = open_session(url)
        _shifts(session, START.date() - dt.timedelta(days=1), 4)
        levels = ("grave", "major", "large", "general")
        for i in range(INCIDENTS):
            at = START + dt.timedelta(minutes=i)
            ledger.open_incident(session, title=f"事件{i}", severity=levels[i % 4], received_at=at, now=at)
        session.commit()
        now = START + dt.timedelta(hours=5)
        started = time.perf_counter()
        first = escalation.check(session, now)
        session.commit()
        catch_up = time.perf_counter() - started
        repeats = []
        for _ in range(5):
            started = time.perf_counter()
            escalation.check(session, now)
            session.commit()
            repeats.append(time.perf_counter() - started)
        session.close()
        reset_engines()
    repeated = statistics.median(repeats)
    return [
        {
            "benchmark": "incidents",
            "case": f"repeated tick, {INCIDENTS} open incidents, sqlite (median of 5)",
            "seconds": round(repeated, 3),
            "baseline_seconds": round(catch_up, 3),
            "ratio": round(repeated / catch_up, 3) if catch_up else None,
            "peak_mb": None,
            "target": f"≤ {TARGET_SECONDS:.0f} s",
            "ok": repeated <= TARGET_SECONDS,
            "notes": f"baseline: the catch-up tick 5 h later, {first.messages_enqueued} alerts, "
            f"{first.clocks_open} open clocks",
        }
    ]
