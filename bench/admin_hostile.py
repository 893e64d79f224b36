"""Hostile admin files (issue 16): each is refused with a located error, in well under a second.

Each case is loaded as ``dutyflow validate`` loads it (``load_bureau``), in this process after the imports, and
timed to its first located error; loading the valid seed is shown beside it. Before the guards, a "billion
laughs" file was still running after 120 s.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "chuxiong.yaml"
TARGET_SECONDS = 1.0

LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(8)
)


def _cases() -> dict[str, str]:
    seed = SEED.read_text(encoding="utf-8")
    return {
        "billion laughs (9^9 values)": LAUGHS,
        "alias cycle": "version: 1\nbureau: &b\n  name: x\n  self: *b\n",
        "invalid date 2026-02-30 in the seed": seed.replace("to: 2026-12-06", "to: 2026-02-30", 1),
        "1.9 MB value": "version: 1\nbureau:\n  name: " + "x" * 1_900_000 + "\n",
        "50 MB file": "version: 1\n#" + "x" * 50_000_000 + "\n",
        "nesting 5,000 deep": "version: 1\nx: " + "[" * 5000 + "]" * 5000 + "\n",
    }


def _located(path: Path) -> tuple[float, str]:
    """Seconds to the first located error (or "ok"), loading the file as ``validate`` does."""
    from roster.admin.loader import AdminFileError, load_bureau

    start = time.perf_counter()
    try:
        load_bureau(path)
        where = "ok"
    except AdminFileError as exc:
        first = exc.issues[0]
        where = f"{first.location} (line {first.line})"
    return time.perf_counter() - start, where


def run() -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        baseline, _ = _located(SEED)  # the valid seed: a full parse and validation
        for name, text in _cases().items():
            path = Path(tmp) / "hostile.yaml"
            path.write_text(text, encoding="utf-8")
            seconds, where = _located(path)
            rows.append(
                {
                    "benchmark": "admin_hostile",
                    "case": name,
                    "seconds": round(seconds, 3),
                    "baseline_seconds": round(baseline, 3),
                    "target": f"located error in <= {TARGET_SECONDS:g} s",
                    "ok": where != "ok" and seconds <= TARGET_SECONDS,
                    "notes": f"first error at {where}; baseline = loading the valid seed",
                }
            )
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
