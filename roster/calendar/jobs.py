"""Job entry point for Prefect: pre-render every subscribed feed after a roster change.

Imports stay inside the function: ``roster.calendar.feature`` declares this job and must cost nothing to
import.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from roster.feature import JobSummary


@dataclass(frozen=True)
class FeedRefresh(JobSummary):
    owners: int  # owners (person, group, role, all) with a live token
    rendered: int
    unchanged: int  # cache key (roster fingerprint) unchanged: not rendered again
    missing_owners: list[str]  # owners that left the roster; their tokens now answer 404
    events: int  # events in the feeds rendered now
    pruned: int  # cached feeds dropped (owner without a live token)
    window: tuple[dt.date, dt.date]  # first and last bureau-local day the feeds carry


def refresh_feeds(now: dt.datetime, database_url: str | None = None) -> FeedRefresh:
    """Render the feed of every owner with a live token into the shared cache, loading the roster once.

    Idempotent: a feed whose cache key (roster fingerprint) is unchanged is not rendered again. Cached feeds
    of owners without live tokens are dropped. Returns counts for the flow's log.
    """
    from sqlalchemy import select

    from roster.calendar.feed import Scope, UnknownOwner, load_feed_data
    from roster.calendar.render import render_feed
    from roster.calendar.service import cache_owner, current_state, memory_cache, prune, store, stored
    from roster.storage import get_engine
    from roster.storage.models.calendar import CalendarToken
    from roster.timeutil import as_utc

    now = as_utc(now)
    engine = get_engine(database_url)
    with engine.connect() as conn:
        owners = sorted(
            {
                Scope(kind, ident)
                for kind, ident in conn.execute(
                    select(CalendarToken.owner_kind, CalendarToken.owner_id).where(CalendarToken.revoked_at.is_(None))
                )
            },
            key=lambda s: s.key,
        )
        bureau, state = current_state(conn, now)
        data = None
        todo = []
        unchanged = 0
        for scope in owners:
            key = state.cache_key(scope, None)
            if stored(conn, cache_owner(scope, None), key) is not None:
                unchanged += 1
                continue
            todo.append((scope, key))
        if todo:
            data = load_feed_data(conn, bureau, state)
    rendered, missing, events = 0, [], 0
    for scope, key in todo:
        try:
            feed = render_feed(data, scope)
        except UnknownOwner:
            missing.append(scope.key)  # the person or group left the roster; its token now answers 404
            continue
        store(engine, cache_owner(scope, None), key, feed, now)
        memory_cache.put((str(engine.url), cache_owner(scope, None)), key, feed)
        rendered += 1
        events += feed.events
    pruned = prune(engine, {cache_owner(s, None) for s in owners if s.key not in missing})
    return FeedRefresh(
        owners=len(owners),
        rendered=rendered,
        unchanged=unchanged,
        missing_owners=missing,
        events=events,
        pruned=pruned,
        window=(state.window.first_day, state.window.last_day),
    )
