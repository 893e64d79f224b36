"""Feeds on demand: fingerprint the roster, answer from the cache when nothing changed, else render once.

The fingerprint (``RosterState``) is one aggregate query; the cache is two-level: this process's memory,
then the ``calendar_feed_cache`` table shared by every server replica and filled ahead by ``refresh_feeds``.
"""

from __future__ import annotations

import datetime as dt
import gzip
import threading
import urllib.parse
import zoneinfo
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import Connection, Engine, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from roster.admin.current import NoBureauApplied
from roster.admin.schema import BureauFile
from roster.calendar.feed import FeedData, RosterState, Scope, Window, load_feed_data, newest_bureau, roster_state
from roster.calendar.render import RenderedFeed, render_feed
from roster.calendar.schema import CalendarSection
from roster.storage.models.calendar import CalendarFeedCache
from roster.storage.models.people import BureauConfig, Group, Person

_MEMORY_ENTRIES = 256


class _MemoryCache:
    """A small LRU of rendered feeds: (database, owner) -> (cache key, feed)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[tuple[str, str], tuple[str, RenderedFeed]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, slot: tuple[str, str], key: str) -> RenderedFeed | None:
        with self._lock:
            item = self._items.get(slot)
            if item is None or item[0] != key:
                return None
            self._items.move_to_end(slot)
            return item[1]

    def put(self, slot: tuple[str, str], key: str, feed: RenderedFeed) -> None:
        with self._lock:
            self._items[slot] = (key, feed)
            self._items.move_to_end(slot)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


memory_cache = _MemoryCache(_MEMORY_ENTRIES)


def cache_owner(scope: Scope, lang: str | None) -> str:
    return scope.key if lang is None else f"{scope.key}?lang={lang}"


@lru_cache(maxsize=8)
def bureau_by_sha(database: str, sha256: str, conn: _Conn) -> BureauFile:
    document = conn.connection.execute(
        select(BureauConfig.document).where(BureauConfig.sha256 == sha256).order_by(BureauConfig.id.desc()).limit(1)
    ).scalar_one()
    return BureauFile.model_validate(document)


class _Conn:
    """Carries a connection into the lru_cache without being part of the key (the sha256 is)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def __hash__(self) -> int:
        return 0

    def __eq__(self, other: object) -> bool:
        return True


def current_state(
    conn: Connection, now: dt.datetime, bureau_row: tuple[str, dt.datetime] | None = None
) -> tuple[BureauFile, RosterState]:
    """The admin file in force and the fingerprint of the window of shifts feeds show at ``now``.

    ``bureau_row`` is the (sha256, applied_at) of the newest admin file when the caller already has it."""
    newest = bureau_row or newest_bureau(conn)
    if newest is None:
        raise NoBureauApplied()
    sha, applied_at = newest
    bureau = bureau_by_sha(str(conn.engine.url), sha, _Conn(conn))
    zone = zoneinfo.ZoneInfo(bureau.bureau.timezone)  # ZoneInfo caches its instances
    today = now.astimezone(zone).date()
    window = Window.around(today, bureau.calendar or CalendarSection())
    opened = _local_midnight(today, bureau.bureau.timezone)
    return bureau, roster_state(conn, window, sha, applied_at, opened)


@lru_cache(maxsize=64)
def _local_midnight(day: dt.date, tz: str) -> dt.datetime:
    """The UTC instant local ``day`` began (the hot path asks for the same day all day long)."""
    return dt.datetime.combine(day, dt.time(0), zoneinfo.ZoneInfo(tz)).astimezone(dt.UTC)


@dataclass
class FeedLookup:
    """Where a feed request stands after the cheap part: its cache key, and the feed if it was cached."""

    scope: Scope
    lang: str | None
    owner: str
    key: str
    bureau: BureauFile
    state: RosterState
    feed: RenderedFeed | None


def lookup(
    conn: Connection,
    scope: Scope,
    now: dt.datetime,
    lang: str | None = None,
    bureau_row: tuple[str, dt.datetime] | None = None,
) -> FeedLookup:
    """Fingerprint the roster and look in memory, then in the cache table. Never renders."""
    bureau, state = current_state(conn, now, bureau_row)
    owner = cache_owner(scope, lang)
    key = state.cache_key(scope, lang)
    slot = (str(conn.engine.url), owner)
    feed = memory_cache.get(slot, key)
    if feed is None:
        feed = stored(conn, owner, key)
        if feed is not None:
            memory_cache.put(slot, key, feed)
    return FeedLookup(scope, lang, owner, key, bureau, state, feed)


def complete(engine: Engine, found: FeedLookup, now: dt.datetime) -> RenderedFeed:
    """The looked-up feed, rendering and caching it if it was not cached (raises UnknownOwner)."""
    if found.feed is not None:
        return found.feed
    with engine.connect() as conn:
        data = load_feed_data(conn, found.bureau, found.state)
    feed = render_feed(data, found.scope, found.lang)
    store(engine, found.owner, found.key, feed, now)
    memory_cache.put((str(engine.url), found.owner), found.key, feed)
    return feed


def store(engine: Engine, owner: str, key: str, feed: RenderedFeed, now: dt.datetime) -> None:
    """Upsert one rendered feed into the shared cache table (replicas may race: last writer wins)."""
    values = {
        "owner": owner,
        "cache_key": key,
        "etag": feed.etag,
        "last_modified": feed.last_modified,
        "rendered_at": now,
        "body": feed.body,
    }
    insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
    statement = insert(CalendarFeedCache).values(values)
    statement = statement.on_conflict_do_update(
        index_elements=[CalendarFeedCache.owner], set_={k: v for k, v in values.items() if k != "owner"}
    )
    with engine.begin() as conn:
        conn.execute(statement)


def stored(conn: Connection, owner: str, key: str) -> RenderedFeed | None:
    row = conn.execute(
        select(CalendarFeedCache.etag, CalendarFeedCache.last_modified, CalendarFeedCache.body).where(
            CalendarFeedCache.owner == owner, CalendarFeedCache.cache_key == key
        )
    ).first()
    if row is None:
        return None
    return RenderedFeed(body=bytes(row.body), etag=row.etag, last_modified=row.last_modified, events=-1)


def feed_for(engine: Engine, scope: Scope, now: dt.datetime, lang: str | None = None) -> RenderedFeed:
    """The feed of ``scope`` as of ``now``: from memory, else the cache table, else rendered (and cached).

    Raises NoBureauApplied, or UnknownOwner when the owner is gone from the roster."""
    with engine.connect() as conn:
        found = lookup(conn, scope, now, lang)
    return complete(engine, found, now)


def prune(engine: Engine, keep: set[str]) -> int:
    """Drop cached feeds of owners nobody subscribes to any more."""
    with engine.begin() as conn:
        owners = set(conn.scalars(select(CalendarFeedCache.owner)))
        stale = owners - keep
        if stale:
            conn.execute(delete(CalendarFeedCache).where(CalendarFeedCache.owner.in_(sorted(stale))))
    return len(stale)


_gzipped: OrderedDict[str, bytes] = OrderedDict()  # etag -> gzipped body: compressed once, served many times
_gzip_lock = threading.Lock()


def gzip_body(feed: RenderedFeed) -> bytes:
    """The feed's body gzipped (deterministic: no timestamp), from a small LRU keyed by its ETag."""
    with _gzip_lock:
        body = _gzipped.get(feed.etag)
        if body is not None:
            _gzipped.move_to_end(feed.etag)
            return body
    body = gzip.compress(feed.body, compresslevel=6, mtime=0)
    with _gzip_lock:
        _gzipped[feed.etag] = body
        while len(_gzipped) > _MEMORY_ENTRIES:
            _gzipped.popitem(last=False)
    return body


def feed_filename(conn: Connection, scope: Scope, bureau: BureauFile, lang: str | None) -> str:
    """The file name a browser or calendar app offers: the owner's name, e.g. ``徐超值班表.ics``."""
    en = (lang or bureau.bureau.locale) == "en"
    if scope.kind == "person":
        name = conn.scalar(select(Person.name).where(Person.id == scope.id)) or scope.id
    elif scope.kind == "group":
        name = conn.scalar(select(Group.name).where(Group.id == scope.id)) or scope.id
    elif scope.kind == "role":
        role = next((r for r in bureau.roles if r.id == scope.id), None)
        name = (role.name_en or role.id) if role and en else role.name if role else scope.id
    else:
        section = bureau.calendar or CalendarSection()
        name = (section.name_en if en else section.name) or bureau.bureau.name
    suffix = " duty roster" if en else "值班表"
    name = name if name.endswith(suffix.strip()) else name + suffix
    return "".join(c for c in name if c.isprintable() and c not in '\\/:*?"<>|') + ".ics"


def content_disposition(conn: Connection, scope: Scope, bureau: BureauFile, lang: str | None) -> str:
    """``inline`` with an ASCII fallback name (``duty-person-p01.ics``) and the owner's name in UTF-8 (RFC 6266)."""
    ascii_name = "duty-all.ics" if scope.kind == "all" else f"duty-{scope.kind}-{scope.id}.ics"
    utf8 = urllib.parse.quote(feed_filename(conn, scope, bureau, lang), safe="")
    return f"inline; filename=\"{ascii_name}\"; filename*=UTF-8''{utf8}"


__all__ = [
    "FeedData",
    "FeedLookup",
    "cache_owner",
    "complete",
    "content_disposition",
    "gzip_body",
    "current_state",
    "feed_for",
    "lookup",
    "memory_cache",
    "prune",
]
