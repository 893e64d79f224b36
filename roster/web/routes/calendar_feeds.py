"""``GET /calendars/{token}.ics``: subscribed duty calendars.

The hot path is two indexed queries (token, roster fingerprint) and a memory lookup; a conditional request
whose ETag still matches gets 304 without rendering. Unknown, revoked and orphaned tokens all get the same
404 so a guesser learns nothing. No gzip: calendar clients differ in how well they handle it, and feeds are
small and mostly answered with 304.
"""

from __future__ import annotations

import datetime as dt
from email.utils import format_datetime, parsedate_to_datetime

from fastapi import APIRouter, Request, Response

from roster.admin.current import NoBureauApplied
from roster.calendar.feed import UnknownOwner
from roster.calendar.render import LANGS
from roster.calendar.service import feed_for
from roster.calendar.tokens import active_token, record_access
from roster.storage import get_engine

router = APIRouter(tags=["calendar"])

CACHE_CONTROL = "private, max-age=300"  # the URL is a secret: no shared caches; clients revalidate cheaply


def _not_found() -> Response:
    return Response(b"Not Found\n", status_code=404, media_type="text/plain; charset=utf-8")


def _matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110 13.1.2: weak comparison, a list of tags or ``*``."""
    if if_none_match.strip() == "*":
        return True
    opaque = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == opaque for tag in if_none_match.split(","))


def _not_modified_since(header: str, last_modified: dt.datetime) -> bool:
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        return False
    return last_modified.replace(microsecond=0) <= since


@router.api_route("/calendars/{token}.ics", methods=["GET", "HEAD"], include_in_schema=True)
def calendar_feed(token: str, request: Request, lang: str | None = None) -> Response:
    """The duty calendar of the token's owner (a person, a group, a role or the whole roster)."""
    clock = getattr(request.app.state, "calendar_clock", None)
    now = clock() if clock else dt.datetime.now(dt.UTC)
    if lang is not None and lang not in LANGS:
        return Response(f"lang must be one of {', '.join(LANGS)}\n".encode(), status_code=400, media_type="text/plain")
    engine = get_engine(request.app.state.database_url)
    with engine.connect() as conn:
        found = active_token(conn, token)
    if found is None:
        return _not_found()
    token_id, scope, last_access = found
    try:
        feed = feed_for(engine, scope, now, lang)
    except UnknownOwner:
        return _not_found()
    except NoBureauApplied:
        return Response(b"Calendar not available yet\n", status_code=503, media_type="text/plain; charset=utf-8")
    record_access(engine, token_id, last_access, now)

    headers = {
        "ETag": feed.etag,
        "Last-Modified": format_datetime(feed.last_modified.astimezone(dt.UTC), usegmt=True),
        "Cache-Control": CACHE_CONTROL,
    }
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        if _matches(if_none_match, feed.etag):
            return Response(status_code=304, headers=headers)
    elif (since := request.headers.get("if-modified-since")) and _not_modified_since(since, feed.last_modified):
        return Response(status_code=304, headers=headers)
    headers["Content-Disposition"] = 'inline; filename="duty.ics"'
    headers["X-Content-Type-Options"] = "nosniff"
    return Response(feed.body, media_type="text/calendar; charset=utf-8", headers=headers)
