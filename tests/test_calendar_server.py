"""The real feed server (uvicorn on a loopback port, httpx client): 200/304/404, headers, access tracking."""

from __future__ import annotations

import datetime as dt
import gzip
import urllib.parse
from collections.abc import Iterator

import httpx
import pytest
from calendar_helpers import UTC, Clock, apply_bureau, assert_valid_feed, load_example, plan, reassign, serve
from sqlalchemy import select, text

from roster.calendar.export import export_feed
from roster.calendar.feed import Scope
from roster.calendar.service import memory_cache
from roster.calendar.tokens import issue, revoke
from roster.storage import get_engine, open_session
from roster.storage.models.calendar import CalendarToken

NOW = dt.datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
PLANNED = dt.datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def seeded(any_db_url: str) -> str:
    memory_cache.clear()
    bureau = load_example()
    with open_session(any_db_url) as s:
        apply_bureau(s, bureau, PLANNED)
        plan(s, bureau, dt.date(2026, 11, 16), 21, PLANNED)
        s.commit()
    return any_db_url


@pytest.fixture
def server(seeded: str, clock: Clock) -> Iterator[str]:
    yield from serve(seeded, clock)


def issue_token(url: str, scope: Scope) -> tuple[str, int]:
    with open_session(url) as s:
        token, row = issue(s, scope, NOW)
        s.commit()
        return token, row.id


def test_feed_served_with_validators_then_304(seeded: str, server: str, clock: Clock) -> None:
    token, token_id = issue_token(seeded, Scope("person", "p01"))
    with httpx.Client(base_url=server, headers={"Accept-Encoding": "identity"}) as client:
        first = client.get(f"/calendars/{token}.ics")
        assert first.status_code == 200
        assert first.headers["content-type"] == "text/calendar; charset=utf-8"
        assert "content-encoding" not in first.headers and first.headers["vary"] == "Accept-Encoding"
        etag = first.headers["etag"]
        assert etag.startswith('"') and not etag.startswith("W/")
        # The window slid to 11-23 at local midnight (16:00 UTC): newer than the plan (11-20 02:00 UTC).
        assert first.headers["last-modified"] == "Sun, 22 Nov 2026 16:00:00 GMT"
        assert "private" in first.headers["cache-control"]
        assert first.content == export_feed(get_engine(seeded), Scope("person", "p01"), NOW).body
        assert_valid_feed(first.content)

        again = client.get(f"/calendars/{token}.ics", headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == etag
        listed = client.get(f"/calendars/{token}.ics", headers={"If-None-Match": f'"other", W/{etag}'})
        assert listed.status_code == 304
        stale = client.get(f"/calendars/{token}.ics", headers={"If-None-Match": '"not-this-one"'})
        assert stale.status_code == 200 and stale.headers["etag"] == etag
        head = client.head(f"/calendars/{token}.ics")
        assert head.status_code == 200 and head.content == b"" and head.headers["etag"] == etag
        english = client.get(f"/calendars/{token}.ics?lang=en")
        assert english.status_code == 200 and "On duty: Leader on duty" in english.text
        assert english.headers["etag"] != etag
        assert client.get(f"/calendars/{token}.ics?lang=fr").status_code == 400
        assert first.headers["content-disposition"] == (
            "inline; filename=\"duty-person-p01.ics\"; filename*=UTF-8''" + urllib.parse.quote("徐超值班表.ics")
        )
        assert english.headers["content-disposition"].endswith(urllib.parse.quote("徐超 duty roster.ics"))
        since = client.get(f"/calendars/{token}.ics", headers={"If-Modified-Since": first.headers["last-modified"]})
        assert since.status_code == 304

        # A re-plan touching p01's shift changes the body, so the old ETag no longer matches.
        with open_session(seeded) as s:
            reassign(s, "20261124-full@dutyflow", "duty_officer", 0, "p44", NOW)
            s.commit()
        changed = client.get(f"/calendars/{token}.ics", headers={"If-None-Match": etag})
        assert changed.status_code == 200 and changed.headers["etag"] != etag
        assert changed.headers["last-modified"] == "Mon, 23 Nov 2026 03:00:00 GMT"
        assert b"p44" not in changed.content and "13" in changed.text
        assert changed.content == export_feed(get_engine(seeded), Scope("person", "p01"), NOW).body


def test_bad_and_revoked_tokens_get_the_same_404(seeded: str, server: str) -> None:
    token, token_id = issue_token(seeded, Scope("all"))
    with httpx.Client(base_url=server) as client:
        assert client.get(f"/calendars/{token}.ics").status_code == 200
        unknown = client.get("/calendars/" + "A" * 43 + ".ics")
        malformed = client.get("/calendars/x.ics")
        with open_session(seeded) as s:
            revoke(s, str(token_id), NOW)
            s.commit()
        revoked = client.get(f"/calendars/{token}.ics")
    for response in (unknown, malformed, revoked):
        assert response.status_code == 404
        assert (
            response.content == unknown.content and response.headers["content-type"] == unknown.headers["content-type"]
        )


def test_last_access_recorded_at_most_once_a_minute(seeded: str, server: str, clock: Clock) -> None:
    token, token_id = issue_token(seeded, Scope("group", "construction"))

    def last_access() -> dt.datetime | None:
        with open_session(seeded) as s:
            return s.scalars(select(CalendarToken.last_access_at).where(CalendarToken.id == token_id)).one()

    assert last_access() is None
    with httpx.Client(base_url=server) as client:
        assert client.get(f"/calendars/{token}.ics").status_code == 200
        assert last_access() == NOW
        clock.now = NOW + dt.timedelta(seconds=30)
        assert client.get(f"/calendars/{token}.ics").status_code == 200
        assert last_access() == NOW  # within the minute: no write
        clock.now = NOW + dt.timedelta(minutes=2)
        assert client.get(f"/calendars/{token}.ics").status_code == 200
        assert last_access() == NOW + dt.timedelta(minutes=2)


def test_feed_served_from_the_shared_cache_after_a_restart(seeded: str, clock: Clock) -> None:
    """refresh_feeds pre-renders into the table; a fresh server process answers from it."""
    from roster.calendar.jobs import refresh_feeds

    token, _ = issue_token(seeded, Scope("role", "leader_on_duty"))
    summary = refresh_feeds(NOW, database_url=seeded)
    assert summary["rendered"] == 1 and summary["owners"] == 1
    with get_engine(seeded).begin() as conn:  # poison the stored body: if the server re-rendered we would see it
        conn.execute(text("UPDATE calendar_feed_cache SET body = :b"), {"b": b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"})
    memory_cache.clear()
    for base in serve(seeded, clock):
        with httpx.Client(base_url=base) as client:
            assert client.get(f"/calendars/{token}.ics").content == b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"


def test_tokens_are_stored_hashed(seeded: str) -> None:
    token, token_id = issue_token(seeded, Scope("person", "p01"))
    with get_engine(seeded).connect() as conn:
        dump = repr(conn.execute(text("SELECT * FROM calendar_tokens")).all())
    assert token not in dump
    assert len(token) >= 43  # 32 random bytes, base64url


def test_gzip_when_accepted_with_the_same_revalidation(seeded: str, server: str) -> None:
    token, _ = issue_token(seeded, Scope("all"))
    plain = httpx.get(f"{server}/calendars/{token}.ics", headers={"Accept-Encoding": "identity"})
    with httpx.Client(base_url=server) as client:
        zipped = client.get(f"/calendars/{token}.ics", headers={"Accept-Encoding": "gzip, deflate"})
        assert zipped.headers["content-encoding"] == "gzip" and zipped.headers["vary"] == "Accept-Encoding"
        assert int(zipped.headers["content-length"]) < len(plain.content) / 5  # a year of shifts compresses well
        assert zipped.content == plain.content  # httpx decoded it: the very same calendar
        assert zipped.headers["etag"] == f"W/{plain.headers['etag']}"  # another representation of the same feed
        for tag in (zipped.headers["etag"], plain.headers["etag"]):  # either validator revalidates either way
            for accept in ("gzip", "identity"):
                again = client.get(f"/calendars/{token}.ics", headers={"If-None-Match": tag, "Accept-Encoding": accept})
                assert again.status_code == 304 and again.content == b"", (tag, accept)
        refused = client.get(f"/calendars/{token}.ics", headers={"Accept-Encoding": "gzip;q=0, br"})
        assert "content-encoding" not in refused.headers and refused.content == plain.content
    with httpx.stream("GET", f"{server}/calendars/{token}.ics", headers={"Accept-Encoding": "gzip"}) as response:
        raw = b"".join(response.iter_raw())
    assert raw[:2] == b"\x1f\x8b" and gzip.decompress(raw) == plain.content
    group_token, _ = issue_token(seeded, Scope("group", "construction"))
    group = httpx.get(f"{server}/calendars/{group_token}.ics", headers={"Accept-Encoding": "identity"})
    assert "filename*=UTF-8''" in group.headers["content-disposition"]
    assert urllib.parse.unquote(group.headers["content-disposition"].split("''")[1]).endswith("值班表.ics")


def test_if_modified_since_alone_sees_the_window_slide(seeded: str, server: str, clock: Clock) -> None:
    token, _ = issue_token(seeded, Scope("person", "p09"))
    with httpx.Client(base_url=server, headers={"Accept-Encoding": "identity"}) as client:
        today = client.get(f"/calendars/{token}.ics")
        since = {"If-Modified-Since": today.headers["last-modified"]}
        assert client.get(f"/calendars/{token}.ics", headers=since).status_code == 304
        # Nothing re-planned, but the window (30 days back) moved on: the first planned week left the feed.
        clock.now = NOW + dt.timedelta(days=38)
        later = client.get(f"/calendars/{token}.ics", headers=since)
        assert later.status_code == 200 and later.content != today.content
        assert later.headers["last-modified"] == "Wed, 30 Dec 2026 16:00:00 GMT"
        tomorrow = later
        assert (
            client.get(
                f"/calendars/{token}.ics", headers={"If-Modified-Since": tomorrow.headers["last-modified"]}
            ).status_code
            == 304
        )
