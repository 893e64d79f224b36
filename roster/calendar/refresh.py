"""Pre-render every subscribed feed: gather (owners, stale cache keys, roster) → render (pure) → write."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, select

from roster.calendar.feed import FeedData, Scope, UnknownOwner, load_feed_data
from roster.calendar.render import RenderedFeed, render_feed
from roster.calendar.service import cache_owner, current_state, memory_cache, prune, store, stored
from roster.feature import JobSummary
from roster.storage import get_engine
from roster.storage.models.calendar import CalendarToken
from roster.timeutil import as_utc


@dataclass(frozen=True)
class Stale:
    """What the refresh found: every owner with a live token, those whose cached feed is stale, the data."""

    owners: list[Scope]
    todo: list[tuple[Scope, str]]  # (owner, its current cache key)
    data: FeedData | None  # loaded only when something needs rendering
    window: tuple[dt.date, dt.date]


@dataclass(frozen=True)
class FeedRefresh(JobSummary):
    owners: int  # owners (person, group, role, all) with a live token
    rendered: int
    unchanged: int  # cache key (roster fingerprint) unchanged: not rendered again
    missing_owners: list[str]  # owners that left the roster; their tokens now answer 404
    events: int  # events in the feeds rendered now
    pruned: int  # cached feeds dropped (owner without a live token)
    window: tuple[dt.date, dt.date]  # first and last bureau-local day the feeds carry


def refresh_all(now: dt.datetime, database_url: str | None = None) -> FeedRefresh:
    now = as_utc(now)
    engine = get_engine(database_url)
    with engine.connect() as conn:
        stale = gather_stale(conn, now)
    rendered, missing = render_stale(stale)
    for scope, key, feed in rendered:
        store(engine, cache_owner(scope, None), key, feed, now)
        memory_cache.put((str(engine.url), cache_owner(scope, None)), key, feed)
    return FeedRefresh(
        owners=len(stale.owners),
        rendered=len(rendered),
        unchanged=len(stale.owners) - len(stale.todo),
        missing_owners=missing,
        events=sum(feed.events for _, _, feed in rendered),
        pruned=_prune_unowned(engine, stale.owners, missing),
        window=stale.window,
    )


def gather_stale(conn: Connection, now: dt.datetime) -> Stale:
    live = conn.execute(
        select(CalendarToken.owner_kind, CalendarToken.owner_id).where(CalendarToken.revoked_at.is_(None))
    )
    owners = sorted({Scope(kind, ident) for kind, ident in live}, key=lambda s: s.key)
    bureau, state = current_state(conn, now)
    todo = []
    for scope in owners:
        key = state.cache_key(scope, None)
        if stored(conn, cache_owner(scope, None), key) is None:
            todo.append((scope, key))
    data = load_feed_data(conn, bureau, state) if todo else None
    return Stale(owners, todo, data, (state.window.first_day, state.window.last_day))


def render_stale(stale: Stale) -> tuple[list[tuple[Scope, str, RenderedFeed]], list[str]]:
    """Pure: the stale owners' feeds, and the owners that left the roster (their tokens now answer 404)."""
    rendered, missing = [], []
    for scope, key in stale.todo:
        try:
            rendered.append((scope, key, render_feed(stale.data, scope)))
        except UnknownOwner:
            missing.append(scope.key)
    return rendered, missing


def _prune_unowned(engine: Engine, owners: list[Scope], missing: list[str]) -> int:
    return prune(engine, {cache_owner(s, None) for s in owners if s.key not in missing})
