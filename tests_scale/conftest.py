"""Fixtures of the scale test (``make test-scale``): one scaled-out cluster per run, a slow SMTP server."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path

import pytest

from notifications.sender import message_id_for
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

    def has_keys(self, keys: set[str]) -> bool:
        """Whether a mail of each outbox key has arrived (by its Message-ID, derived from the key)."""
        with self.lock:
            arrived = {_identity(m[2]) for m in self.mails}
        return {_identity(message_id_for(key)) for key in keys} <= arrived

    def wait_for_keys(self, keys: set[str], timeout: float) -> None:
        """Until a mail of each outbox key in ``keys`` has arrived, or ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while not self.has_keys(keys) and time.monotonic() < deadline:
            time.sleep(0.5)


def _identity(message_id: str) -> str:
    """A Message-ID without its domain (the sender's domain is the relay's business)."""
    return message_id.strip("<>").partition("@")[0]


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
