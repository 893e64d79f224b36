"""``dutyflow calendar export``: a feed written to a file, over the default window or an explicit one."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from roster.calendar.exports import export_and_remember
from roster.calendar.feed import Window, load_feed_data, roster_state
from roster.calendar.render import RenderedFeed, render_feed
from roster.calendar.schema import CalendarSection
from roster.calendar.service import Scope, current_state


def export_feed(
    engine: Engine,
    scope: Scope,
    now: dt.datetime,
    *,
    start: dt.date | None = None,
    days: int | None = None,
    lang: str | None = None,
    remember: bool = False,
) -> RenderedFeed:
    """Render ``scope``'s feed. Without ``start``/``days`` the window is the admin file's horizon around
    ``now``'s local date; ``start`` alone runs to the horizon's length, ``days`` alone starts at its start.

    ``remember``: a file for importing (``dutyflow calendar export``): cancel what earlier exports carried
    and the owner no longer has, and record what this one carries (see roster/calendar/exports.py)."""
    with engine.begin() as conn:
        bureau, state = current_state(conn, now)
        if start is not None or days is not None:
            section = bureau.calendar or CalendarSection()
            window = Window.starting(
                start or state.window.first_day, days or (section.past_days + section.future_days + 1)
            )
            state = roster_state(conn, window, state.bureau_sha, state.bureau_applied_at)
        data = load_feed_data(conn, bureau, state)
        if remember:
            return export_and_remember(conn, data, scope, lang, now)
    return render_feed(data, scope, lang)
