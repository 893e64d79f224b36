"""Real peers for the notification tests: an SMTP server (aiosmtpd) and an HTTP webhook server on loopback."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from roster.storage.models.people import Person


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    message: email.message.EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["subject"])

    @property
    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content()


class _MailHandler:
    def __init__(self) -> None:
        self.mails: list[ReceivedMail] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd hook
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.mails.append(ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"


@contextmanager
def smtp_server() -> Iterator[tuple[int, list[ReceivedMail]]]:
    from aiosmtpd.controller import Controller

    handler = _MailHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, handler.mails
    finally:
        controller.stop()


@dataclass
class WebhookPeer:
    """Records every request; answers 500 to the first ``fail_first`` ones (per path) or to paths in ``broken``."""

    port: int
    fail_first: int = 0
    broken: set[str] = field(default_factory=set)
    refusing: set[str] = field(default_factory=set)  # paths answered 200 with a robot's error code
    requests: list[dict[str, Any]] = field(default_factory=list)  # every request, failed ones too
    delivered: list[dict[str, Any]] = field(default_factory=list)  # bodies answered with 200
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def delivered_keys(self) -> list[str]:
        with self.lock:
            return [body.get("dedup_key") for body in self.delivered]


@contextmanager
def webhook_server(fail_first: int = 0, latency: float = 0.0) -> Iterator[WebhookPeer]:
    """``latency``: seconds each answer is delayed, like a robot API across the internet (no CPU used)."""
    peer = WebhookPeer(port=0, fail_first=fail_first)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server hook
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            body = json.loads(raw.decode("utf-8"))
            path = self.path.split("?")[0]
            with peer.lock:
                peer.requests.append({"path": self.path, "body": body})
                seen_on_path = sum(1 for r in peer.requests if r["path"].split("?")[0] == path)
                failing = path in peer.broken or seen_on_path <= peer.fail_first
                refusing = path in peer.refusing
                if not failing and not refusing:
                    peer.delivered.append(body | {"_path": self.path})
            if latency:
                time.sleep(latency)
            self.send_response(500 if failing else 200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            if refusing:
                self.wfile.write(b'{"errcode": 93000, "errmsg": "invalid webhook url"}')
            else:
                self.wfile.write(b'{"errcode": 1}' if failing else b'{"errcode": 0, "errmsg": "ok"}')

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    peer.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield peer
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def add_person(session: Any, person_id: str, channels: list[dict[str, str]], locale: str = "zh-CN") -> Person:
    person = Person(id=person_id, name=f"值班员{person_id}", phone="13812345678", channels=channels, locale=locale)
    session.add(person)
    session.flush()
    return person
