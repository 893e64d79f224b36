"""Exported files remember what they carried: the next export of the same owner cancels what is gone.

A subscribed feed simply stops listing a shift that moved to someone else and calendar apps drop it; an
imported file never drops anything. So each ``calendar export`` records, per owner, the events it wrote, and
the next one adds STATUS:CANCELLED events (SEQUENCE above the exported one) for shifts that left the owner's
window since: re-importing the new file removes them. A cancelled event is repeated while its date stays in
the window, with the same SEQUENCE; a shift that comes back outranks its cancellation.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from roster.calendar.feed import FeedData, FeedShift, Scope
from roster.calendar.render import (
    CancelledEvent,
    RenderedFeed,
    Words,
    event_texts,
    event_uid,
    feed_language,
    render_feed,
)
from roster.storage.models.calendar import CalendarExport
from roster.timeutil import as_utc


def _cancellations(
    previous: dict[str, Any], live: dict[str, FeedShift], data: FeedData, scope: Scope, now: dt.datetime
) -> tuple[dict[str, dict[str, Any]], dict[str, int]]:
    """(shift uid -> cancelled entry, shift uid -> SEQUENCE floor of shifts back after a cancellation)."""
    window, every = data.state.window, {s.uid: s for s in data.shifts}
    cancelled, floors = {}, {}
    for uid, entry in previous.items():
        if uid in live:
            if entry["cancelled"]:
                floors[uid] = entry["seq"] + 1
            continue
        if not window.first_day <= dt.date.fromisoformat(entry["date"]) <= window.last_day:
            continue  # slid out of the window: neither shown nor cancelled
        if entry["cancelled"]:
            cancelled[uid] = entry
            continue
        shift = every.get(uid)  # still on the roster, held by someone else; or deleted
        seq = max(entry["seq"] + 1, shift.revision if shift else 0)
        stamp = as_utc(shift.changed_at) if shift else now
        cancelled[uid] = entry | {"seq": seq, "cancelled": True, "stamp": stamp.isoformat()}
    return cancelled, floors


def export_and_remember(
    conn: Connection, data: FeedData, scope: Scope, lang: str | None, now: dt.datetime
) -> RenderedFeed:
    """Render ``scope``'s file with the cancellations it owes, and record what it carries (caller commits)."""
    live = {s.uid: s for s in data.shifts_for(scope)}  # raises UnknownOwner before anything is written
    previous = conn.scalar(select(CalendarExport.events).where(CalendarExport.owner == scope.key)) or {}
    cancelled, floors = _cancellations(previous, live, data, scope, now)
    events = sorted(
        (CancelledEvent(event_uid(uid, scope), dt.datetime.fromisoformat(e["start"]),
                        dt.datetime.fromisoformat(e["end"]), e["seq"], dt.datetime.fromisoformat(e["stamp"]),
                        e["summary"])
         for uid, e in cancelled.items()),
        key=lambda e: (e.starts_at, e.uid),
    )  # fmt: skip
    feed = render_feed(data, scope, lang, cancelled=events, sequence_floor=floors)
    words = Words(data, feed_language(data, scope, lang))
    zone = zoneinfo.ZoneInfo(data.bureau.bureau.timezone)
    carried = dict(cancelled)
    for uid, shift in live.items():
        carried[uid] = {
            "seq": max(shift.revision, floors.get(uid, 0)),
            "start": as_utc(shift.starts_at).isoformat(),
            "end": as_utc(shift.ends_at).isoformat(),
            "date": shift.duty_date.isoformat(),
            "summary": event_texts(shift, scope, data, words, zone).summary,
            "cancelled": False,
        }
    conn.execute(delete(CalendarExport).where(CalendarExport.owner == scope.key))
    conn.execute(insert(CalendarExport).values(owner=scope.key, exported_at=now, events=carried))
    return feed
