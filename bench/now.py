"""``dutyflow now`` against a year of shifts: wall time and peak RSS, against ``python -c pass``.

Each case runs in a fresh subprocess (a user's real invocation); peak memory is the child's max RSS from
``resource.getrusage(RUSAGE_CHILDREN)``, measured in a throwaway wrapper process so earlier children do
not mask it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "chuxiong.yaml"
RUNS = 5
TARGET_SECONDS = 1.0  # "well under a second": the whole command, interpreter start included

# Runs one command in a child and reports the child's wall time and peak RSS (KiB on Linux).
_MEASURE = """
import json, resource, subprocess, sys, time
t = time.perf_counter()
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
seconds = time.perf_counter() - t
print(json.dumps({"rc": rc, "seconds": seconds, "rss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


def insert_shifts(session, bureau, start: dt.date, days: int) -> int:  # noqa: ANN001
    """A plausible roster without the solver: leaders and officers in rotation, one row per seat."""
    from roster.shifts import generate_slots
    from roster.storage.models.shifts import Shift, ShiftAssignment

    eligible = {role: [p.id for p in bureau.people if role in p.roles] for role in bureau.requirements}
    slots = generate_slots(start, days, bureau.shift_pattern, bureau.bureau.timezone)
    changed_at = dt.datetime.now(dt.UTC)
    for n, slot in enumerate(slots):
        shift = Shift(
            uid=slot.uid,
            duty_date=slot.duty_date,
            slot=slot.slot,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            is_weekend=slot.duty_date.weekday() >= 5,
            is_night=slot.is_night,
            changed_at=changed_at,
        )
        for role, count in bureau.requirements.items():
            people = eligible[role]
            for seat in range(count):
                person = people[(n * count + seat) % len(people)]
                shift.assignments.append(ShiftAssignment(role=role, seat=seat, person_id=person))
        session.add(shift)
    session.flush()
    return len(slots)


def build_database(url: str, start: dt.date, days: int = 365) -> None:
    from roster.admin.apply import apply_bureau
    from roster.admin.loader import load_bureau
    from roster.storage import session_scope

    bureau = load_bureau(SEED)
    now = dt.datetime.combine(start, dt.time(0), tzinfo=dt.UTC)
    with session_scope(url) as session:
        apply_bureau(session, bureau, now)
        insert_shifts(session, bureau, start, days)


def _measure(argv: list[str], env: dict[str, str]) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, *argv], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def _best(argv: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    runs = [_measure(argv, env) for _ in range(RUNS)]
    return min(r["seconds"] for r in runs), max(r["rss_kb"] for r in runs) / 1024, max(r["rc"] for r in runs)


def run() -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        start = dt.date(2026, 1, 1)
        build_database(url, start)
        env = {**os.environ, "DUTYFLOW_DATABASE_URL": url, "DUTYFLOW_HOME": tmp}
        baseline, baseline_mb, _ = _best([sys.executable, "-c", "pass"], env)
        command = [sys.executable, "-m", "roster.cli", "now", "--json", "--now", "2026-07-01T12:00:00+08:00"]
        _measure(command, env)  # warm the OS file cache and bytecode
        seconds, peak_mb, rc = _best(command, env)
    return [
        {
            "benchmark": "now",
            "case": "dutyflow now --json, seed bureau, 365 shifts (SQLite)",
            "seconds": round(seconds, 4),
            "baseline_seconds": round(baseline, 4),
            "ratio": round(seconds / baseline, 1) if baseline else None,
            "peak_mb": round(peak_mb, 1),
            "target": f"< {TARGET_SECONDS} s wall",
            "ok": rc == 0 and seconds < TARGET_SECONDS,
            "notes": f"best of {RUNS}; baseline `python -c pass` peak {baseline_mb:.1f} MB; exit code {rc}",
        }
    ]


if __name__ == "__main__":
    for row in run():
        print(json.dumps(row, ensure_ascii=False))
