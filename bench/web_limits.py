"""Bounded request bodies (issue 16): peak memory of ``dutyflow serve`` under ten concurrent 100 MB requests.

A real server process on the seed bureau (SQLite). Ten clients at once each try to send 100 MB to the
write endpoints (``POST /inspections/results``, ``/reports``, ``/reports/ack``, ``/ack/{signed}``), with the
tokens of a real member and a real unit so authentication passes where it comes first. Two rounds: with a
declared ``Content-Length`` (refused before reading) and chunked (counted as it streams, cut off at the
limit). The server's peak resident memory is its ``VmHWM`` from ``/proc``; the target is 200 MB (before the
limits, 100 MB took the server to 1.19 GB). A third round sends all ten, chunked, to the upload endpoint
with a valid unit token: the bureau's own cap (27 MB for 10 MB attachments) applies, two at a time.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "chuxiong.yaml"
TARGET_PEAK_MB = 200
CLIENTS = 10
BODY_MB = 100
CHUNK = b"x" * (1024 * 1024)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _cli(env: dict, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "roster.cli", *args], env=env, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"dutyflow {' '.join(args)}: {done.stderr}")
    return done.stdout.strip()


def _peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _send(port: int, path: str, auth: str, chunked: bool, statuses: list[str]) -> None:
    head = f"POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
    head += f"Authorization: Bearer {auth}\r\n" if auth else ""
    head += "Transfer-Encoding: chunked\r\n\r\n" if chunked else f"Content-Length: {BODY_MB * len(CHUNK)}\r\n\r\n"
    frame = f"{len(CHUNK):x}\r\n".encode() + CHUNK + b"\r\n" if chunked else CHUNK
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        try:
            sock.sendall(head.encode())
            for _ in range(BODY_MB):
                sock.sendall(frame)
            if chunked:
                sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server answered and closed while we were still sending: what a limit should do
        try:
            answer = sock.recv(200)
        except OSError:
            answer = b""
    statuses.append(answer.split(b" ", 2)[1].decode() if answer.startswith(b"HTTP/") else "closed")


def _round(port: int, targets: list[tuple[str, str]], chunked: bool) -> tuple[float, list[str]]:
    statuses: list[str] = []
    threads = [
        threading.Thread(target=_send, args=(port, *targets[i % len(targets)], chunked, statuses))
        for i in range(CLIENTS)
    ]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start, sorted(statuses)


def run() -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DUTYFLOW_HOME": tmp, "DUTYFLOW_DATABASE_URL": f"sqlite:///{tmp}/bench.db"}
        env["PYTHONPATH"] = str(ROOT)
        _cli(env, "apply", str(SEED), "--now", "2026-11-23T08:00")
        _cli(env, "inspections", "assign", "--date", "2026-11-23", "--now", "2026-11-23T07:00")
        unit_token = _cli(env, "reports", "token", "issue", "grp-water").split()[-1]
        member_token = _cli(env, "inspections", "token", "issue", "p14").split()[-1]
        targets = [
            ("/inspections/results", member_token),
            ("/reports", unit_token),
            ("/reports/ack", ""),
            ("/ack/x.y", ""),
        ]
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "roster.cli", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_ready(port)
            idle = _peak_mb(server.pid)
            rows = []
            rounds = [(False, targets, "mixed endpoints"), (True, targets, "mixed endpoints")]
            rounds.append((True, [("/reports", unit_token)], "all to POST /reports, authenticated"))
            for chunked, aimed, label in rounds:
                seconds, statuses = _round(port, aimed, chunked)
                peak = _peak_mb(server.pid)
                rows.append(
                    {
                        "benchmark": "web_limits",
                        "case": f"{CLIENTS} x {BODY_MB} MB at once, {'chunked' if chunked else 'Content-Length'}, "
                        + label,
                        "seconds": round(seconds, 3),
                        "peak_mb": round(peak, 1),
                        "target": f"peak <= {TARGET_PEAK_MB} MB",
                        "ok": peak <= TARGET_PEAK_MB and all(s in ("401", "413", "closed") for s in statuses),
                        "notes": f"server idle peak {idle:.1f} MB; answers {', '.join(statuses)}",
                    }
                )
            return rows
        finally:
            server.terminate()
            server.wait(timeout=30)


def _wait_ready(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n")
                if sock.recv(100).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not start")


if __name__ == "__main__":
    for row in run():
        print(row)
