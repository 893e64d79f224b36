"""Sending one message through Apprise, with the failure reason kept (Apprise only logs it).

Apprise reports success as a bool and explains failures in its log. A handler on the ``apprise`` logger
collects warnings per thread, so concurrent workers in one process each get their own error text.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging
import sys
import threading
from collections.abc import Iterator
from typing import Any, TextIO

import apprise
import apprise.plugins.email.base as _apprise_email
from apprise.decorators import notify as apprise_plugin

from notifications import lazy_tls, robot_replies

_local = threading.local()
_console_stream: list[TextIO] = []


@dataclasses.dataclass(frozen=True)
class SendOutcome:
    ok: bool
    error: str | None = None
    permanent: bool = False  # retrying cannot help (the address itself is unusable)


class _PerThreadErrors(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        errors = getattr(_local, "errors", None)
        if errors is not None:
            errors.append(record.getMessage())


def message_id_for(key: str, domain: str = "dutyflow.local") -> str:
    """The RFC 5322 Message-ID of the outbox message with dedup key ``key``: the same on every try.

    A message sent again after a crash (delivery is at least once) then carries the Message-ID of the
    first copy, so mail clients and archives recognise and drop the repeat.
    """
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"<{digest}.dutyflow@{domain}>"


_make_msgid = _apprise_email.make_msgid


def _stable_msgid(idstring: str | None = None, domain: str | None = None) -> str:
    # Apprise always stamps a random Message-ID (a custom header would only add a second one); while a
    # message of ours is being sent, its derived id is used instead.
    fixed = getattr(_local, "message_id", None)
    return fixed or _make_msgid(idstring=idstring, domain=domain)


_apprise_email.make_msgid = _stable_msgid
lazy_tls.install(_apprise_email)  # its CA bundle loaded only when a message goes over TLS

_handler = _PerThreadErrors(level=logging.WARNING)
logging.getLogger("apprise").addHandler(_handler)
robot_replies.install()


@apprise_plugin(on="console", name="dutyflow console")
def _console(body: str, title: str, notify_type: str, meta: dict[str, Any], *args: Any, **kwargs: Any) -> bool:
    """The ``console`` channel: print the message (to stdout, or the stream chosen by ``console_to``)."""
    stream = _console_stream[-1] if _console_stream else sys.stdout
    label = meta.get("host") or ""
    stream.write(f"[notification -> {label}] {title}\n{body}\n" if title else f"[notification -> {label}]\n{body}\n")
    stream.flush()
    return True


@contextlib.contextmanager
def console_to(stream: TextIO) -> Iterator[None]:
    """Send console-channel output to ``stream`` (the CLI uses stderr when stdout carries JSON)."""
    _console_stream.append(stream)
    try:
        yield
    finally:
        _console_stream.pop()


# Shown by some services (the email From name when none is configured, the X-Application header).
_ASSET = apprise.AppriseAsset(app_id="dutyflow", app_desc="dutyflow duty system", app_url="")


@contextlib.contextmanager
def message_identity(message_id: str | None) -> Iterator[None]:
    """Send the email(s) of this thread under ``message_id`` (see ``message_id_for``)."""
    previous = getattr(_local, "message_id", None)
    _local.message_id = message_id
    try:
        yield
    finally:
        _local.message_id = previous


def send(url: str, title: str, body: str) -> SendOutcome:
    notifier = apprise.Apprise(asset=_ASSET)
    # A URL Apprise cannot parse is a configuration error, not a network hiccup.
    if not notifier.add(url):
        return SendOutcome(False, "Apprise cannot use this channel address (check the target)", permanent=True)
    _local.errors = []
    try:
        ok = notifier.notify(body=body, title=title, body_format=apprise.NotifyFormat.TEXT)
        errors = list(_local.errors)
    except Exception as exc:  # a plugin bug must not take the whole batch down
        return SendOutcome(False, f"{type(exc).__name__}: {exc}")
    finally:
        _local.errors = None
    if ok:
        return SendOutcome(True)
    return SendOutcome(False, "; ".join(errors[-3:]) or "Apprise reported a failure without a reason")
