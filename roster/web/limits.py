"""Bounded requests: every body is limited before it is read, and errors never echo the input.

``BodyLimit`` is an ASGI middleware in front of every route. A declared ``Content-Length`` over the route's
limit gets 413 at once (nothing is read); a chunked body is counted as it streams and cut off with 413 as
soon as it passes the limit, so no handler ever holds more than the limit in memory. Routes that take
uploads declare a larger ceiling here and check their exact, configured limit themselves.

Validation errors (422) list where and what, never the offending input: a 100 MB string must not come
back in the answer, nor a secret someone pasted into the wrong field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

DEFAULT_BODY_LIMIT = 64 * 1024  # JSON of a result, an acknowledgement, a form: a few hundred bytes
MAX_ATTACHMENT_LIMIT = 200 * 1024 * 1024  # the largest reports.attachment_limit_mb the admin file allows


def upload_body_cap(attachment_limit: int) -> int:
    """The largest report body for a per-attachment limit: two attachments' worth of base64 (4/3 larger)
    plus 1 MiB of text and JSON. POST /reports checks it (from the bureau's limit) before reading."""
    return 2 * (attachment_limit * 4 // 3) + 1024 * 1024


# POST /reports carries base64 attachments; it authenticates, then checks the bureau's own cap while
# reading; the middleware's ceiling for it is the cap of the largest limit an admin file can set.
UPLOAD_BODY_LIMIT = upload_body_cap(MAX_ATTACHMENT_LIMIT)
ROUTE_LIMITS: dict[tuple[str, str], int] = {("POST", "/reports"): UPLOAD_BODY_LIMIT}
# Upload routes with path parameters (``/inspect/{site}``): (method, full-match pattern, ceiling). They
# stream the body and enforce their exact, configured limits while reading (roster/web/uploads.py).
PATTERN_LIMITS: list[tuple[str, re.Pattern[str], int]] = []


def register_limit(method: str, pattern: str, limit: int) -> None:
    """Raise the ceiling for an upload route; ``pattern`` must match the whole path."""
    PATTERN_LIMITS.append((method, re.compile(pattern), limit))


MAX_MESSAGE = 300


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"请求体超过 {limit} 字节 / request body larger than {limit} bytes")
        self.limit = limit


def limit_for(method: str, path: str) -> int:
    path = path.rstrip("/") or "/"
    if (method, path) in ROUTE_LIMITS:
        return ROUTE_LIMITS[(method, path)]
    for wanted, pattern, limit in PATTERN_LIMITS:
        if wanted == method and pattern.fullmatch(path):
            return limit
    return DEFAULT_BODY_LIMIT


def _problem(status: int, message: str, field: str | None = "body") -> bytes:
    loc = [field] if field else []
    return json.dumps({"detail": [{"loc": loc, "msg": message}]}, ensure_ascii=False).encode()


class BodyLimit:
    """Refuse bodies over the route's limit, before or while reading them (413)."""

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope["method"], scope["path"])
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            if not declared.isdigit():
                await _answer(send, 400, _problem(400, "Content-Length 无效 / invalid Content-Length", None))
                return
            if int(declared) > limit:
                await _answer(send, 413, _problem(413, BodyTooLarge(limit).detail))
                return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge as exc:  # raised where no handler turned it into a response
            if not started:
                await _answer(send, 413, _problem(413, exc.detail))


async def _answer(send: Send, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    # Close the connection: the client may still be sending the body we refused to read.
    headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def validation_detail(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """pydantic errors without their input (and with short messages)."""
    return [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", ""))[:MAX_MESSAGE], "type": e.get("type", "")}
        for e in errors[:20]
    ]


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse(status_code=422, content={"detail": validation_detail(list(exc.errors()))})


async def _too_large(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    content = json.loads(_problem(exc.status_code, str(exc.detail)))
    return JSONResponse(status_code=exc.status_code, content=content, headers={"connection": "close"})


def install(app: FastAPI) -> None:
    """Put the body limit in front of every route and the input-free 422 handler behind them."""
    app.add_middleware(BodyLimit)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(BodyTooLarge, _too_large)
