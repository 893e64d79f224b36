"""The same feed built with icalendar's object model: the benchmark's baseline and the tests' reference.

``render_feed`` writes the text itself for speed; this builds Calendar/Event/Alarm objects per shift from
the same wording (``event_texts``) and lets icalendar serialize them. Tests parse both and require equal
content.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from roster.calendar.feed import FeedData, Scope
from roster.calendar.ical import fixed_offset_zone, is_ambiguous
from roster.calendar.render import Words, calendar_name, event_texts, feed_language, prodid


def naive_feed(data: FeedData, scope: Scope, lang: str | None = None) -> bytes:
    """Calendar, Event and Alarm objects per shift, then ``to_ical()``."""
    from icalendar import Alarm, Calendar, Event, vDuration

    shifts = data.shifts_for(scope)
    language = feed_language(data, scope, lang)
    words = Words(data, language)
    zone = zoneinfo.ZoneInfo(data.bureau.bureau.timezone)
    calendar = Calendar()
    calendar.add("version", "2.0")
    calendar.add("prodid", prodid(language))
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    name = calendar_name(data, scope, words)
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", data.bureau.bureau.timezone)
    refresh = dt.timedelta(minutes=data.calendar.refresh_minutes)
    calendar.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(refresh))  # an X- property: say it is a DURATION
    reminder = data.people[scope.id].reminder_minutes if scope.kind == "person" else None
    for shift in shifts:
        texts = event_texts(shift, scope, data, words, zone)
        event = Event()
        event.add("uid", texts.uid)
        event.add("dtstamp", shift.changed_at)
        event.add("last-modified", shift.changed_at)
        event.add("sequence", shift.revision)
        start, end = shift.starts_at.astimezone(zone), shift.ends_at.astimezone(zone)
        if is_ambiguous(start) or is_ambiguous(end):  # both ends in fixed offsets, as the renderer does
            start, end = (_fixed(t) for t in (start, end))
        event.add("dtstart", start)
        event.add("dtend", end)
        event.add("summary", texts.summary)
        event.add("description", texts.description)
        event.add("status", "CONFIRMED")
        event.add("transp", "OPAQUE")
        if reminder is not None:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", texts.summary)
            alarm.add("trigger", -dt.timedelta(minutes=reminder))
            event.add_component(alarm)
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def _fixed(local: dt.datetime) -> dt.datetime:
    """The same instant in the fixed-offset zone in force (UTC for an odd offset)."""
    fixed = fixed_offset_zone(local.utcoffset())
    return local.astimezone(zoneinfo.ZoneInfo(fixed) if fixed else dt.UTC)
