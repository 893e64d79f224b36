"""Runs one benchmark module in this (fresh) process and reports its rows and this process's peak memory.

Used by ``python -m bench``: ``python -m bench._child <module>``. The result is the last stdout line, after
``MARKER``, so a module printing its own progress does not confuse the parent.
"""

from __future__ import annotations

import importlib
import json
import resource
import sys
import time

MARKER = "@@bench-result@@ "


def peak_mb() -> float:
    """Peak resident memory of this process and of any process it waited for (Linux reports KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024  # macOS reports bytes
    return max(own, children) / scale


def main(name: str) -> None:
    started = time.perf_counter()
    module = importlib.import_module(f"bench.{name}")
    rows = module.run()
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise TypeError(f"bench.{name}.run() must return a list of dicts, got {type(rows).__name__}")
    result = {"rows": rows, "peak_mb": round(peak_mb(), 1), "seconds": round(time.perf_counter() - started, 2)}
    print(MARKER + json.dumps(result, default=str), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
