"""Signed session cookies and CSRF tokens.

The cookie holds ``{"a": account id or None, "e": session epoch, "c": CSRF token}``, signed with the server's
signing keys (``roster.signing``: ``DUTYFLOW_SECRET_KEY`` on every replica, or the 0600 key file).
HttpOnly, SameSite=Lax, Secure when the request came over https. Every state-changing request to a page
must repeat the CSRF token: as the form field ``csrf_token``, the ``X-CSRF-Token`` header, or (for streamed
multipart uploads, whose body should not be read twice) the ``csrf_token`` query parameter. A mismatch is
403.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "dutyflow_session"
LANG_COOKIE = "dutyflow_lang"
MAX_AGE = 7 * 24 * 3600  # a week: duty staff log in on their phones and should not re-type passwords daily
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass(frozen=True)
class SessionData:
    account_id: int | None
    epoch: int
    csrf: str


def _serializer(request: Request) -> URLSafeTimedSerializer:
    """Signed with the server's signing keys (``roster.signing``: the environment or a 0600 key file, never
    the database, so reading the database is not enough to forge a session); keys retired by ``dutyflow
    secret rotate`` still verify until the next restart, the newest signs."""
    app = request.app
    serializer = getattr(app.state, "session_serializer", None)
    if serializer is None:
        from roster.signing import load_keys

        keys = load_keys()
        serializer = URLSafeTimedSerializer(list(reversed(keys.accepted)), salt="dutyflow.session")
        app.state.session_serializer = serializer
    return serializer


def read_session(request: Request) -> SessionData | None:
    """The request's valid session cookie (cached on the request), or None."""
    if "dutyflow_session" in request.scope.get("state", {}):
        return request.state.dutyflow_session
    raw = request.cookies.get(COOKIE)
    data = None
    if raw:
        try:
            payload = _serializer(request).loads(raw, max_age=MAX_AGE)
            data = SessionData(payload.get("a"), int(payload.get("e", 0)), str(payload["c"]))
        except (BadSignature, KeyError, TypeError, ValueError):
            data = None
    request.state.dutyflow_session = data
    return data


def ensure_session(request: Request) -> SessionData:
    """The current session, or a fresh anonymous one (written by ``write_session`` on the response)."""
    data = read_session(request)
    if data is None:
        data = SessionData(None, 0, secrets.token_urlsafe(24))
        request.state.dutyflow_session = data
        request.state.dutyflow_session_new = True
    return data


def write_session(request: Request, response: Response, data: SessionData) -> None:
    value = _serializer(request).dumps({"a": data.account_id, "e": data.epoch, "c": data.csrf})
    response.set_cookie(
        COOKIE,
        value,
        max_age=MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=is_https(request),
        path="/",
    )


def new_login_session(account_id: int, epoch: int) -> SessionData:
    """After a login the CSRF token changes too (no token fixation across the login)."""
    return SessionData(account_id, epoch, secrets.token_urlsafe(24))


def clear_session(request: Request, response: Response) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=is_https(request))


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


class CsrfFailed(Exception):
    pass


async def submitted_token(request: Request) -> str:
    token = request.headers.get("x-csrf-token") or request.query_params.get("csrf_token")
    if token:
        return token
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(FORM_TYPES):
        form = await request.form()  # cached on the request: the endpoint reads the same parsed form
        value = form.get("csrf_token")
        return value if isinstance(value, str) else ""
    return ""
