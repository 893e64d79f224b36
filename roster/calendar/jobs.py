"""Job entry point for Prefect: pre-render every subscribed feed after a roster change.

Imports stay inside the function: ``roster.calendar.feature`` declares this job and must cost nothing to
import.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the summary is defined where it is computed
    from roster.calendar.refresh import FeedRefresh


def refresh_feeds(now: dt.datetime, database_url: str | None = None) -> FeedRefresh:
    """Render the feed of every owner with a live token into the shared cache, loading the roster once.

    Idempotent: a feed whose cache key (roster fingerprint) is unchanged is not rendered again. Cached feeds
    of owners without live tokens are dropped. Returns counts for the flow's log.
    """
    from roster.calendar.refresh import refresh_all

    return refresh_all(now, database_url)
