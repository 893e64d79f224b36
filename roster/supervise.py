"""Supervising child processes for ``dutyflow up``: start, wait until healthy, stop without orphans.

Each child runs in its own session (process group), so the terminal's Ctrl-C reaches only the supervisor,
which then stops the children in order; stopping signals the whole group, which also reaches the
grandchildren (Prefect's server workers, flow-run subprocesses). Children also receive SIGTERM if the
supervisor dies abruptly (Linux ``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a server could listen on ``port``. SO_REUSEADDR as servers set it: connections of a
    just-stopped server lingering in TIME_WAIT do not make the port busy, a listener does."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _prepare_child(stop_signal: int) -> None:  # pragma: no cover - runs in the child between fork and exec
    # A supervisor started in the background (`nohup dutyflow up &`, a script's `&`) ignores SIGINT, and an
    # ignored signal stays ignored across exec: the child's stop signal must reach it, not only SIGKILL.
    signal.signal(stop_signal, signal.SIG_DFL)
    _die_with_parent()


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    stop_signal: int = signal.SIGTERM

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 15.0) -> int | None:
        """Signal the child's whole process group; SIGKILL it if it has not exited within ``timeout``."""
        pgid = self.process.pid  # start_new_session makes the child its group's leader
        if self.alive:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, self.stop_signal)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pgid, signal.SIGKILL)
                self.process.wait()
        # Grandchildren that outlived their parent are still in the group: end them too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
        return self.process.returncode


def start(
    name: str,
    argv: list[str],
    env: dict[str, str],
    cwd: str | None = None,
    stop_signal: int = signal.SIGTERM,
    quiet: bool = False,
) -> Child:
    """Start ``argv`` in a new session; ``quiet`` discards its output (default: the terminal's)."""
    output = subprocess.DEVNULL if quiet else None
    process = subprocess.Popen(  # noqa: S603 - argv is built by us, never by a shell
        argv,
        env=env,
        cwd=cwd,
        stdout=output,
        stderr=output,
        start_new_session=True,
        preexec_fn=functools.partial(_prepare_child, stop_signal),
    )
    return Child(name=name, process=process, stop_signal=stop_signal)


class ChildExited(RuntimeError):
    pass


def wait_http_ok(url: str, child: Child, timeout: float, stopping: Callable[[], bool] = lambda: False) -> bool:
    """Poll ``url`` until it answers 200. False if ``stopping()`` became true; raises if the child died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if stopping():
            return False
        if not child.alive:
            raise ChildExited(f"{child.name} exited with code {child.process.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback URL we built
                if response.status == 200:
                    return True
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{child.name} did not answer {url} within {timeout:.0f} s")


def watch(children: list[Child], stopping: Callable[[], bool], poll: float = 0.5) -> Child | None:
    """Block until ``stopping()`` or a child exits; returns the child that exited (None when asked to stop)."""
    while not stopping():
        for child in children:
            if not child.alive:
                return child
        time.sleep(poll)
    return None
