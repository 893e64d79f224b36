"""Fixtures of the scale test (``make test-scale``): one scaled-out cluster per run, a slow SMTP server."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path

import pytest

from roster.supervise import free_port
from tests_scale.cluster import Cluster


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    home: Path = tmp_path_factory.mktemp("cluster")
    cluster = Cluster(home)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


class Inbox:
    """Every mail received, with its Message-ID; ``delay`` seconds per mail, like a slow relay."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.mails: list[tuple[str, str, str]] = []  # (to, subject, message-id)
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: ANN001, N802 - aiosmtpd's hook
        import asyncio

        await asyncio.sleep(self.delay)
        message = message_from_bytes(envelope.content)
        with self.lock:
            self.mails.append((envelope.rcpt_tos[0], str(message["subject"]), str(message["message-id"])))
        return "250 OK"

    def wait_for_ids(self, identities: set[str], timeout: float) -> None:
        """Until a mail of each Message-ID (local part) in ``identities`` has arrived, or ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                arrived = {m[2].strip("<>").partition("@")[0] for m in self.mails}
            if identities <= arrived:
                return
            time.sleep(0.5)


@pytest.fixture(scope="session")
def inbox() -> Iterator[tuple[int, Inbox]]:
    from aiosmtpd.controller import Controller

    box = Inbox(delay=0.0)
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, box
    finally:
        controller.stop()
