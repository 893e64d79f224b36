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
    from roster.calendar.refresh import refresh_all

    return refresh_all(now, database_url)
