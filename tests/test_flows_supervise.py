"""The process supervision behind `dutyflow up`: no orphans even from children that ignore SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import sys
import time
from pathlib import Path

import pytest

from roster import supervise


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait_for(path: Path, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while not (path.exists() and path.read_text().strip()):
        assert time.monotonic() < deadline, f"{path} never written"
        time.sleep(0.05)
    return path.read_text()


STUBBORN = """
import signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
grandchild = subprocess.Popen(["sleep", "300"])
open(sys.argv[1], "w").write(str(grandchild.pid))
time.sleep(300)
"""


def test_stop_kills_a_stubborn_child_and_its_grandchildren(tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    child = supervise.start("stubborn", [sys.executable, "-c", STUBBORN, str(pid_file)], dict(os.environ))
    grandchild = int(_wait_for(pid_file))
    assert child.alive and _alive(grandchild)

    child.stop(timeout=1.0)  # SIGTERM ignored: SIGKILL after the timeout, to the whole group

    assert not child.alive
    deadline = time.monotonic() + 10
    while _alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(grandchild)


def test_a_polite_child_stops_on_its_signal_with_its_exit_code() -> None:
    child = supervise.start("sleeper", ["sleep", "300"], dict(os.environ), stop_signal=signal.SIGINT)
    assert child.stop(timeout=10) == -signal.SIGINT


def test_a_child_of_a_supervisor_ignoring_sigint_still_stops_on_it() -> None:
    """`nohup dutyflow up &` starts with SIGINT ignored, which children inherit across exec: the sleeper would
    then only stop by SIGKILL after the timeout (-9), as it did when the suite itself ran in the background."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        child = supervise.start("sleeper", ["sleep", "300"], dict(os.environ), stop_signal=signal.SIGINT)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert child.stop(timeout=10) == -signal.SIGINT


def test_waiting_for_a_dead_child_fails_fast_naming_it() -> None:
    child = supervise.start("broken server", [sys.executable, "-c", "raise SystemExit(3)"], dict(os.environ))
    with pytest.raises(supervise.ChildExited, match="broken server exited with code 3"):
        supervise.wait_http_ok(f"http://127.0.0.1:{supervise.free_port()}/health", child, timeout=60)


def test_port_is_free_only_without_a_listener() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert not supervise.port_is_free(port)
    assert supervise.port_is_free(port)


def test_watch_returns_the_child_that_died_and_none_when_asked_to_stop() -> None:
    env = dict(os.environ)
    steady = supervise.start("steady", ["sleep", "300"], env)
    crash = [sys.executable, "-c", "import time; time.sleep(0.5); raise SystemExit(4)"]
    crashing = supervise.start("crashing", crash, env)
    try:
        dead = supervise.watch([steady, crashing], stopping=lambda: False, poll=0.05)
        assert dead is crashing and crashing.process.returncode == 4
        assert steady.alive
        assert supervise.watch([steady], stopping=lambda: True) is None
    finally:
        steady.stop()
        crashing.stop()
