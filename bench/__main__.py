"""``python -m bench``: run every benchmark module, each in its own process, print one table, write latest.md.

A benchmark module is any ``bench/<name>.py`` (not starting with ``_``) that defines ``run() -> list[dict]``;
new modules are picked up without registering them. Each runs in a fresh child process
(``python -m bench._child <name>``), so its peak memory (``ru_maxrss`` of that child and of whatever it waited
for) belongs to that benchmark alone and one crash does not stop the others.

Options: ``--only NAME`` (repeatable or comma-separated), ``--quick`` (sets ``DUTYFLOW_BENCH_QUICK=1`` for the
modules), ``--list``, ``--output PATH`` (default ``bench/latest.md``; ``-`` = do not write), ``--timeout S`` per
module. Exit status: 0 when every row is ``ok``, 1 when a row misses its target or a module fails, 2 on bad
arguments.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench import QUICK_ENV
from bench._child import MARKER

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
ROW_KEYS = ("benchmark", "case", "seconds", "baseline_seconds", "ratio", "peak_mb", "target", "ok", "notes")
_RUN = re.compile(r"^def run\(", re.MULTILINE)


def discover() -> list[str]:
    """Module names under bench/ that define ``run()`` (read as text: nothing is imported here)."""
    names = []
    for path in sorted(BENCH_DIR.glob("*.py")):
        if path.stem.startswith("_"):
            continue
        if _RUN.search(path.read_text(encoding="utf-8")):
            names.append(path.stem)
    return names


def machine_info() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "?"
    try:
        kib = int(
            next(x for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal")).split()[1]
        )
        ram = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=5
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    try:
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        load = "?"
    return {
        "cpu": cpu,
        "cores": f"{usable} usable of {os.cpu_count()}",
        "ram": ram,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "os": f"{platform.system()} {platform.release()}",
        "load average at start": load,
        "commit": commit or "?",
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _failure_row(name: str, seconds: float, notes: str) -> dict[str, Any]:
    return {
        **dict.fromkeys(ROW_KEYS),
        "benchmark": name,
        "case": "(module failed)",
        "seconds": round(seconds, 2),
        "ok": False,
        "notes": notes,
    }


def run_module(name: str, quick: bool, timeout: float) -> list[dict[str, Any]]:
    env = dict(os.environ)
    env[QUICK_ENV] = "1" if quick else ""
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "bench._child", name],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return [_failure_row(name, time.perf_counter() - started, f"timed out after {timeout:g} s")]
    lines = [x for x in proc.stdout.splitlines() if x.startswith(MARKER)]
    if proc.returncode != 0 or not lines:
        tail = " | ".join((proc.stderr or proc.stdout).strip().splitlines()[-3:])
        return [_failure_row(name, time.perf_counter() - started, f"exit {proc.returncode}: {tail}")]
    result = json.loads(lines[-1][len(MARKER) :])
    rows = []
    for raw in result["rows"]:
        row = {key: raw.get(key) for key in ROW_KEYS}
        row["benchmark"] = row["benchmark"] or name
        row["process_peak_mb"] = result["peak_mb"]
        if row["peak_mb"] is None:
            row["peak_mb"] = result["peak_mb"]
        rows.append(row)
    return rows or [_failure_row(name, time.perf_counter() - started, "run() returned no rows")]


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 10 else f"{value:,.1f}"
    return str(value)


def print_table(rows: list[dict[str, Any]], info: dict[str, str]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="dutyflow benchmarks", show_lines=True)
    for column, justify in (
        ("benchmark", "left"),
        ("case", "left"),
        ("seconds", "right"),
        ("baseline s", "right"),
        ("ratio", "right"),
        ("peak MB", "right"),
        ("target", "left"),
        ("ok", "center"),
        ("notes", "left"),
    ):
        table.add_column(column, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for row in rows:
        style = None if row["ok"] else "red"
        table.add_row(*(_fmt(row[key]) for key in ROW_KEYS), style=style)
    # Piped output (make bench | tee) gets 80 columns by default: too narrow for the notes.
    console = Console(width=max(Console().width, 180))
    console.print(table)
    console.print(" · ".join(f"{k}: {v}" for k, v in info.items()))


def markdown(rows: list[dict[str, Any]], info: dict[str, str], quick: bool) -> str:
    def cell(value: Any) -> str:
        return _fmt(value).replace("|", "\\|").replace("\n", " ")

    lines = [
        "# Benchmark results",
        "",
        f"`python -m bench{' --quick' if quick else ''}` — each benchmark module in its own process; "
        "ratio = seconds / baseline seconds (baseline measured in the same run).",
        "",
        *(f"- {k}: {v}" for k, v in info.items()),
        "",
        "| benchmark | case | seconds | baseline s | ratio | peak MB | target | ok | notes |",
        "|---|---|---:|---:|---:|---:|---|:-:|---|",
    ]
    lines += ["| " + " | ".join(cell(row[key]) for key in ROW_KEYS) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", default=[], metavar="NAME", help="run only these modules")
    parser.add_argument("--quick", action="store_true", help="short runs (DUTYFLOW_BENCH_QUICK=1)")
    parser.add_argument("--list", action="store_true", help="list the benchmark modules and exit")
    parser.add_argument("--output", default=str(BENCH_DIR / "latest.md"), help="markdown report ('-' = none)")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per module (default 1800)")
    args = parser.parse_args(argv)

    available = discover()
    if args.list:
        print("\n".join(available))
        return 0
    wanted = [n.strip() for item in args.only for n in item.split(",") if n.strip()]
    unknown = [n for n in wanted if n not in available]
    if unknown:
        parser.print_usage(sys.stderr)
        print(
            f"error: --only: unknown benchmark {', '.join(unknown)} (available: {', '.join(available)})",
            file=sys.stderr,
        )
        return 2
    names = wanted or available

    info = machine_info()
    rows: list[dict[str, Any]] = []
    for name in names:
        print(f"running bench.{name} ...", file=sys.stderr, flush=True)
        rows += run_module(name, args.quick, args.timeout)
    print_table(rows, info)
    if args.output != "-":
        Path(args.output).write_text(markdown(rows, info, args.quick), encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    return 0 if rows and all(row["ok"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
