"""Benchmarks: each ``bench/<name>.py`` exposes ``run() -> list[dict]``; ``python -m bench`` runs them all.

Row keys: benchmark, case, seconds, baseline_seconds, ratio, peak_mb, target, ok, notes. ``--quick`` sets
``DUTYFLOW_BENCH_QUICK=1`` in the benchmark's process; modules read it through :func:`quick` to shorten runs.
"""

import os

QUICK_ENV = "DUTYFLOW_BENCH_QUICK"


def quick() -> bool:
    """Whether ``python -m bench --quick`` asked for a short run (smaller cases, shorter time limits)."""
    return os.environ.get(QUICK_ENV, "") not in ("", "0")
