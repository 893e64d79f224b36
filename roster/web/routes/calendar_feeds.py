"""``GET /calendars/{token}.ics``: subscribed duty calendars.

The hot path is two indexed queries (token, roster fingerprint) and a memory lookup; a conditional request
whose ETag still matches gets 304 without rendering. Unknown, revoked and orphaned tokens all get the same
404 so a guesser learns nothing. A client that accepts gzip gets the body gzipped (a bureau's year: 197 KB,
15 KB gzipped), compressed once per body and kept beside it; its ETag is the weak form of the same tag, so
revalidation (weak comparison) answers 304 whichever encoding the client holds.
"""

from __future__ import annotations

import datetime as dt
import time
from email.utils import format_datetime, parsedate_to_datetime

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from roster.admin.current import NoBureauApplied
from roster.calendar.feed import UnknownOwner
from roster.calendar.render import LANGS
from roster.calendar.service import complete, content_disposition, gzip_body, lookup
from roster.calendar.tokens import ACCESS_WRITE_INTERVAL, active_token, record_access
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


def accepts_gzip(header: str) -> bool:
    """RFC 9110 12.5.3: gzip (or ``*``) listed with a q-value above 0."""
    for item in header.split(","):
        coding, _, params = item.strip().partition(";")
        if coding.strip().lower() in ("gzip", "x-gzip", "*"):
            q = params.strip().lower()
            try:
                return not q.startswith("q=") or float(q[2:]) > 0
            except ValueError:
                return False
    return False


@router.head("/calendars/{token}.ics", include_in_schema=False)  # same answer without the body
@router.get("/calendars/{token}.ics")
async def calendar_feed(token: str, request: Request, lang: str | None = None) -> Response:
    """The duty calendar of the token's owner (a person, a group, a role or the whole roster)."""
    started = time.thread_time()  # CPU of this thread: the request's own cost, whatever the machine's load
    clock = getattr(request.app.state, "calendar_clock", None)
    now = clock() if clock else dt.datetime.now(dt.UTC)
    if lang is not None and lang not in LANGS:
        return Response(f"lang must be one of {', '.join(LANGS)}\n".encode(), status_code=400, media_type="text/plain")
    engine = get_engine(request.app.state.database_url)
    # The fast path runs on the event loop: two indexed reads (WAL readers never wait on SQLite) and a
    # dictionary lookup, cheaper than a hop to the thread pool. Rendering and writes go to the pool.
    with engine.connect() as conn:
        live = active_token(conn, token)
        if live is None:
            return _not_found()
        try:
            found = lookup(conn, live.scope, now, lang, live.bureau)
        except NoBureauApplied:
            return Response(b"Calendar not available yet\n", status_code=503, media_type="text/plain; charset=utf-8")
    feed = found.feed
    if feed is None:
        try:
            feed = await run_in_threadpool(complete, engine, found, now)
        except UnknownOwner:
            return _not_found()  # the person or group left the roster: same answer as a bad token
    if live.last_access_at is None or now - live.last_access_at >= ACCESS_WRITE_INTERVAL:
        await run_in_threadpool(record_access, engine, live.id, live.last_access_at, now)

    gzipped = accepts_gzip(request.headers.get("accept-encoding", ""))
    headers = {
        "ETag": f"W/{feed.etag}" if gzipped else feed.etag,
        "Vary": "Accept-Encoding",
        "Last-Modified": format_datetime(feed.last_modified.astimezone(dt.UTC), usegmt=True),
        "Cache-Control": CACHE_CONTROL,
    }
    # Server-Timing: CPU spent on the event loop for this request (ms); rendering in the pool is not counted.
    headers["Server-Timing"] = f"feed;dur={(time.thread_time() - started) * 1000:.3f}"
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        if _matches(if_none_match, feed.etag):
            return Response(status_code=304, headers=headers)
    elif (since := request.headers.get("if-modified-since")) and _not_modified_since(since, feed.last_modified):
        return Response(status_code=304, headers=headers)
    with engine.connect() as conn:
        headers["Content-Disposition"] = content_disposition(conn, live.scope, found.bureau, lang)
    headers["X-Content-Type-Options"] = "nosniff"
    if gzipped:
        headers["Content-Encoding"] = "gzip"
        return Response(gzip_body(feed), media_type="text/calendar; charset=utf-8", headers=headers)
    return Response(feed.body, media_type="text/calendar; charset=utf-8", headers=headers)
