"""Group robots (WeCom, DingTalk, Feishu) answer HTTP 200 even when they refuse a message — a wrong key or a
blocked keyword comes back as ``{"errcode": 93000, "errmsg": "invalid webhook url"}``. Apprise 1.13 looks
at the status code only, so such a message would count as sent and be lost silently.

``install()`` gives those three plugin modules a ``requests`` stand-in whose ``post`` reads the reply and
turns a non-zero error code into an HTTP 502 with the robot's own message in the log, so Apprise reports
a failure and delivery retries / falls back like for any other error.
"""

from __future__ import annotations

import importlib
import logging
from types import ModuleType
from typing import Any

import requests

ROBOT_PLUGINS = ("apprise.plugins.wecombot", "apprise.plugins.dingtalk", "apprise.plugins.feishu")
log = logging.getLogger("apprise")  # the sender collects this logger's warnings as the failure reason


def robot_error(reply: Any) -> tuple[object, str] | None:
    """(code, message) when a robot's JSON reply reports an error, else None."""
    if not isinstance(reply, dict):
        return None
    for code_field, message_field in (("errcode", "errmsg"), ("code", "msg"), ("StatusCode", "StatusMessage")):
        if code_field in reply:
            code = reply[code_field]
            if code not in (0, "0", None):
                return code, str(reply.get(message_field, ""))
            return None
    return None


class _CheckedRequests:
    """Everything of ``requests`` as is, except that ``post`` checks the robot's reply."""

    def __init__(self, real: ModuleType) -> None:
        self._real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def post(self, *args: Any, **kwargs: Any) -> requests.Response:
        response = self._real.post(*args, **kwargs)
        if response.status_code == 200:
            try:
                error = robot_error(response.json())
            except ValueError:
                error = None
            if error is not None:
                log.warning("robot refused the message: code %s, %s", *error)
                response.status_code = 502
        return response


def install() -> None:
    for name in ROBOT_PLUGINS:
        module = importlib.import_module(name)
        if not isinstance(module.requests, _CheckedRequests):
            module.requests = _CheckedRequests(requests)
