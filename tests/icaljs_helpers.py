"""ical.js (Thunderbird's calendar parser) from Python: one node process per test process, many calendars.

``make install`` runs ``npm ci`` (package.json at the project root pins ical.js); node 20 runs
tests/node/icaljs_parse.mjs, which answers one JSON line per calendar sent.
"""

from __future__ import annotations

import atexit
import json
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tests" / "node" / "icaljs_parse.mjs"


class IcalJs:
    def __init__(self) -> None:
        node = shutil.which("node")
        assert node, "node is required for the ical.js checks (node 20)"
        assert (ROOT / "node_modules" / "ical.js").is_dir(), "ical.js is missing: run `npm ci` (make install)"
        self._process = subprocess.Popen(
            [node, str(SCRIPT)], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            encoding="utf-8", bufsize=1,
        )  # fmt: skip
        self._lock = threading.Lock()
        atexit.register(self.close)

    def parse(self, body: bytes | str) -> dict[str, Any]:
        """The calendar as ical.js reads it: component names, calendar properties, events (UTC ms)."""
        text = body.decode("utf-8") if isinstance(body, bytes) else body
        with self._lock:
            assert self._process.stdin and self._process.stdout
            self._process.stdin.write(json.dumps({"text": text}) + "\n")
            self._process.stdin.flush()
            answer = json.loads(self._process.stdout.readline())
        assert answer["ok"], f"ical.js could not parse the calendar: {answer['error']}"
        return answer

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.stdin.close()  # type: ignore[union-attr]
            self._process.wait(10)


_instance: IcalJs | None = None


def icaljs() -> IcalJs:
    """The process's ical.js parser, started on first use."""
    global _instance
    if _instance is None:
        _instance = IcalJs()
    return _instance
