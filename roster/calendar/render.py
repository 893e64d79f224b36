"""Render a feed as RFC 5545 text: one VEVENT per shift in the feed, deterministic to the byte.

Nothing here reads the clock or draws random numbers: UID comes from the shift's stable uid and the scope,
SEQUENCE from the shift's revision, LAST-MODIFIED and DTSTAMP from its changed_at. Events are in the
order of the loaded shifts (start, uid), so the same roster always gives the same bytes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from roster.calendar.feed import FeedData, FeedPerson, FeedShift, Scope, Window
from roster.calendar.ical import (
    CRLF,
    duration,
    escape_text,
    fixed_offset_zone,
    fold,
    local_stamp,
    param_value,
    repeated_spans,
    utc_stamp,
    vtimezone_lines,
)

Spans = tuple[tuple[dt.datetime, dt.datetime], ...]  # UTC spans whose wall-clock times occur twice
PRODID = "-//dutyflow//Duty roster calendar 1.0//"
LANGS = ("zh-CN", "en")


def prodid(language: str) -> str:
    return PRODID + ("EN" if language == "en" else "ZH")


class EventTexts(NamedTuple):
    uid: str
    summary: str
    description: str


@dataclass(frozen=True)
class RenderedFeed:
    body: bytes
    etag: str  # strong validator: a hash of the body, quoted
    last_modified: dt.datetime
    events: int


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _clock(moment: dt.datetime) -> str:
    return f"{moment.hour:02d}:{moment.minute:02d}"


def _en_day(day: dt.datetime) -> str:
    return f"{_WEEKDAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]}"


class Words:
    """Staff-facing wording in one language."""

    def __init__(self, data: FeedData, lang: str) -> None:
        self.en = lang == "en"
        self.roles = {
            r.id: (r.name_en or r.id.replace("_", " ").capitalize()) if self.en else r.name for r in data.bureau.roles
        }
        section = data.calendar
        bureau = data.bureau.bureau.name
        if self.en:
            self.calendar_name = section.name_en or f"{bureau} duty roster"
        else:
            self.calendar_name = section.name or f"{bureau}值班表"

        self.people = data.people
        self._seat_lines: dict[tuple[str, str], str] = {}
        self._seat_names: dict[tuple[str, str], str] = {}

    def role(self, role_id: str) -> str:
        return self.roles.get(role_id, role_id)

    def seat_line(self, role_id: str, person_id: str) -> str:
        """``带班领导 徐超 15082760689``, memoized: a feed repeats the same few dozen people."""
        key = (role_id, person_id)
        line = self._seat_lines.get(key)
        if line is None:
            name, phone = _person_label(self.people, person_id)
            line = self._seat_lines[key] = f"{self.role(role_id)} {name} {phone}".rstrip()
        return line

    def seat_name(self, role_id: str, person_id: str) -> str:
        """``徐超（带班领导）``, memoized."""
        key = (role_id, person_id)
        label = self._seat_names.get(key)
        if label is None:
            name = _person_label(self.people, person_id)[0]
            role = self.role(role_id)
            label = self._seat_names[key] = f"{name} ({role})" if self.en else f"{name}（{role}）"
        return label

    def when(self, start: dt.datetime, end: dt.datetime) -> str:
        if self.en:  # spelled out here: strftime's %a/%b follow the process locale
            return f"{_en_day(start)} {_clock(start)} – {_en_day(end)} {_clock(end)}"
        return f"{start.month}月{start.day}日 {_clock(start)} 至 {end.month}月{end.day}日 {_clock(end)}"

    def list_sep(self) -> str:
        return ", " if self.en else "、"


def _person_label(people: dict[str, FeedPerson], person_id: str) -> tuple[str, str]:
    person = people.get(person_id)
    return (person.name, person.phone) if person else (person_id, "")


def event_texts(
    shift: FeedShift,
    scope: Scope,
    data: FeedData,
    words: Words,
    zone: zoneinfo.ZoneInfo,
    local: tuple[dt.datetime, dt.datetime] | None = None,
) -> EventTexts:
    """UID, summary and description of one shift's event in ``scope``'s feed (unescaped)."""
    local_start, local_end = local or (shift.starts_at.astimezone(zone), shift.ends_at.astimezone(zone))
    en = words.en
    lines = []
    if scope.kind == "person":
        mine = next(seat for seat in shift.seats if seat.person_id == scope.id)
        others = [seat for seat in shift.seats if seat.person_id != scope.id]
        role = words.role(mine.role)
        summary = f"On duty: {role}" if en else f"值班：{role}"
        lines.append(f"Your duty: {role}" if en else f"您的岗位：{role}")
        heading = "Also on duty:" if en else "同班人员："
    else:
        if scope.kind == "role":
            names = [_person_label(data.people, s.person_id)[0] for s in shift.seats if s.role == scope.id]
            summary = f"{words.role(scope.id)}: " if en else f"{words.role(scope.id)}："
        else:
            names = [words.seat_name(seat.role, seat.person_id) for seat in shift.seats]
            summary = "Duty: " if en else "值班："
        summary += words.list_sep().join(names)
        others = shift.seats
        heading = "On duty:" if en else "值班人员："
    lines.append(("Time: " if en else "时间：") + words.when(local_start, local_end))
    lines.append(("Handover: " if en else "交接班：") + _clock(local_end))
    lines.append(heading)
    lines.extend(words.seat_line(seat.role, seat.person_id) for seat in others)
    if not others:
        lines.append("(nobody else)" if en else "（无）")

    return EventTexts(event_uid(shift.uid, scope), summary, "\n".join(lines))


def event_uid(shift_uid: str, scope: Scope) -> str:
    """The shift's uid in the whole-roster feed; else one per scope: Google drops an event whose UID it
    already has in another subscribed calendar."""
    if scope.kind == "all":
        return shift_uid
    local_part, _, domain = shift_uid.partition("@")
    return f"{local_part}.{scope.kind}-{scope.id}@{domain or 'dutyflow'}"


@dataclass(frozen=True)
class CancelledEvent:
    """An event an earlier export carried that its owner no longer has: sent as STATUS:CANCELLED so that
    re-importing the file removes it (imports, unlike subscriptions, never drop events by themselves)."""

    uid: str  # the event's UID as exported
    starts_at: dt.datetime  # UTC
    ends_at: dt.datetime  # UTC
    sequence: int  # higher than the exported one
    stamp: dt.datetime  # UTC: DTSTAMP and LAST-MODIFIED
    summary: str


def _cancelled_lines(event: CancelledEvent, zone: zoneinfo.ZoneInfo, tz_param: str, repeated: Spans) -> list[str]:
    local = (event.starts_at.astimezone(zone), event.ends_at.astimezone(zone))
    stamp = utc_stamp(event.stamp)
    return [
        "BEGIN:VEVENT",
        fold(f"UID:{escape_text(event.uid)}"),
        f"DTSTAMP:{stamp}",
        f"LAST-MODIFIED:{stamp}",
        f"SEQUENCE:{event.sequence}",
        *_times(local, tz_param, {}, repeated),
        fold(f"SUMMARY:{escape_text(event.summary)}"),
        fold(f"DESCRIPTION:{escape_text(event.summary)}"),
        "STATUS:CANCELLED",
        "TRANSP:TRANSPARENT",
        "END:VEVENT",
    ]


def _stamp(stamps: dict[dt.datetime, str], local: dt.datetime) -> str:
    """Memoized local_stamp. Its own dict: aware datetimes for the same instant are equal keys, so sharing
    one with the UTC stamps would hand out the wrong form."""
    text = stamps.get(local)
    if text is None:
        text = stamps[local] = local_stamp(local)
    return text


def _times(local: tuple[dt.datetime, dt.datetime], tz_param: str, local_stamps: dict[dt.datetime, str],
           repeated: Spans = ()) -> list[str]:  # fmt: skip
    """DTSTART and DTEND in the bureau's zone, except a wall-clock time that occurs twice (02:30 on the autumn
    change): with the zone's TZID every parser takes the first occurrence, whichever was meant, so such a
    time is written in the fixed-offset zone in force then (``TZID=Etc/GMT-1``; UTC for odd offsets)."""
    # Both ends or neither: a parser that computes DTEND as DTSTART + duration in DTSTART's zone
    # (recurring-ical-events) is then exact, since fixed offsets have no wall-clock jumps.
    fixed_ends = bool(repeated) and any(a <= moment < b for moment in local for a, b in repeated)
    out = []
    for name, moment in (("DTSTART", local[0]), ("DTEND", local[1])):
        if fixed_ends:
            fixed = fixed_offset_zone(moment.utcoffset())
            if fixed is None:
                out.append(f"{name}:{utc_stamp(moment)}")
            else:
                out.append(f"{name};TZID={fixed}:{local_stamp(moment.astimezone(zoneinfo.ZoneInfo(fixed)))}")
        else:
            out.append(f"{name};TZID={tz_param}:{_stamp(local_stamps, moment)}")
    return out


def _fixed_zones(pairs: Sequence[tuple[dt.datetime, dt.datetime]], repeated: Spans) -> set[str]:
    """The fixed-offset zones ``_times`` will name for these (start, end) pairs (each needs its VTIMEZONE)."""
    zones = set()
    for pair in pairs:
        if any(a <= moment < b for moment in pair for a, b in repeated):
            zones |= {z for z in (fixed_offset_zone(m.utcoffset()) for m in pair) if z}
    return zones


def _event_lines(
    shift: FeedShift,
    texts: EventTexts,
    local: tuple[dt.datetime, dt.datetime],
    tz_param: str,
    reminder: int | None,
    stamps: dict[dt.datetime, str],
    local_stamps: dict[dt.datetime, str],
    repeated: Spans,
) -> list[str]:
    changed = stamps.get(shift.changed_at)
    if changed is None:  # most shifts of a plan share one changed_at
        changed = stamps[shift.changed_at] = utc_stamp(shift.changed_at)
    summary = escape_text(texts.summary)
    out = [
        "BEGIN:VEVENT",
        fold(f"UID:{escape_text(texts.uid)}"),
        f"DTSTAMP:{changed}",
        f"LAST-MODIFIED:{changed}",
        f"SEQUENCE:{shift.revision}",
        *_times(local, tz_param, local_stamps, repeated),
        fold(f"SUMMARY:{summary}"),
        fold(f"DESCRIPTION:{escape_text(texts.description)}"),
        "STATUS:CONFIRMED",
        "TRANSP:OPAQUE",
    ]
    if reminder is not None:
        out += [
            "BEGIN:VALARM",
            "ACTION:DISPLAY",
            fold(f"DESCRIPTION:{summary}"),
            f"TRIGGER:-{duration(reminder)}",
            "END:VALARM",
        ]
    out.append("END:VEVENT")
    return out


def calendar_name(data: FeedData, scope: Scope, words: Words) -> str:
    name = words.calendar_name
    if scope.kind == "person":
        name += f" · {data.people[scope.id].name}"
    elif scope.kind == "group":
        name += f" · {data.groups[scope.id]}"
    elif scope.kind == "role":
        name += f" · {words.role(scope.id)}"
    return name


def feed_language(data: FeedData, scope: Scope, lang: str | None) -> str:
    """``lang`` if given; else the person's own locale for a personal feed; else the bureau's locale."""
    if lang is not None:
        if lang not in LANGS:
            raise ValueError(f"lang must be one of {', '.join(LANGS)}, not {lang!r}")
        return lang
    if scope.kind == "person" and scope.id in data.people:
        return data.people[scope.id].locale if data.people[scope.id].locale in LANGS else data.bureau.bureau.locale
    return data.bureau.bureau.locale


@dataclass(frozen=True)
class FeedHead:
    """What a feed says about itself: decided from the loaded data and the scope, before any event."""

    language: str
    name: str  # the calendar's name in the subscriber's app
    tzid: str  # the bureau's zone: every local time in the feed is in it
    ttl: str  # how often apps should re-read the feed (an iCalendar duration)
    reminder: int | None  # minutes before each shift: a personal feed whose owner asked for a reminder


def feed_head(data: FeedData, scope: Scope, language: str, words: Words) -> FeedHead:
    """Pure: the name, zone, refresh interval and reminder of ``scope``'s feed in ``language`` (``words``)."""
    reminder = data.people[scope.id].reminder_minutes if scope.kind == "person" else None
    ttl = duration(data.calendar.refresh_minutes)
    return FeedHead(language, calendar_name(data, scope, words), data.bureau.bureau.timezone, ttl, reminder)


def _head_lines(head: FeedHead) -> list[str]:
    return [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{prodid(head.language)}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        fold(f"NAME:{escape_text(head.name)}"),
        fold(f"X-WR-CALNAME:{escape_text(head.name)}"),
        f"X-WR-TIMEZONE:{head.tzid}",
        f"REFRESH-INTERVAL;VALUE=DURATION:{head.ttl}",
        f"X-PUBLISHED-TTL:{head.ttl}",
    ]


def _local_spans(
    shifts: Sequence[FeedShift], cancelled: Sequence[CancelledEvent], zone: zoneinfo.ZoneInfo
) -> list[tuple[dt.datetime, dt.datetime]]:
    """(start, end) in the bureau's zone of each shift, then of each cancelled event. Each instant of the
    shifts is converted once: contiguous shifts share it (each end is the next start)."""
    local_times: dict[dt.datetime, dt.datetime] = {}

    def to_local(instant: dt.datetime) -> dt.datetime:
        local = local_times.get(instant)
        if local is None:
            local = local_times[instant] = instant.astimezone(zone)
        return local

    spans = [(to_local(s.starts_at), to_local(s.ends_at)) for s in shifts]
    return spans + [(e.starts_at.astimezone(zone), e.ends_at.astimezone(zone)) for e in cancelled]


def _zone_lines(tzid: str, window: Window, spans: Sequence[tuple[dt.datetime, dt.datetime]]) -> tuple[list[str], Spans]:
    """The VTIMEZONE of the bureau's zone over the window's years, always: it also keeps a window without
    shifts a valid calendar (RFC 5545: a VCALENDAR has at least one component). Plus one per fixed-offset
    zone that a repeated wall-clock time is written in. Also returns those repeated spans."""
    years = (window.first_day.year, window.last_day.year + 1)
    repeated = repeated_spans(tzid, *years)
    lines = list(vtimezone_lines(tzid, *years))
    for fixed in sorted(_fixed_zones(spans, repeated) if repeated else ()):
        lines.extend(vtimezone_lines(fixed, *years))
    return lines, repeated


def render_feed(
    data: FeedData,
    scope: Scope,
    lang: str | None = None,
    *,
    cancelled: Sequence[CancelledEvent] = (),
    sequence_floor: Mapping[str, int] | None = None,
) -> RenderedFeed:
    """The whole VCALENDAR for ``scope`` over the loaded window (raises UnknownOwner for a missing owner).

    Exports add ``cancelled`` events and a ``sequence_floor`` per shift uid (a shift that comes back after
    a cancelled export must outrank the cancellation); subscribed feeds use neither."""
    shifts = data.shifts_for(scope)
    if sequence_floor:
        shifts = [dataclasses.replace(s, revision=max(s.revision, sequence_floor.get(s.uid, 0))) for s in shifts]
    language = feed_language(data, scope, lang)
    words = Words(data, language)
    head = feed_head(data, scope, language, words)
    zone = zoneinfo.ZoneInfo(head.tzid)
    spans = _local_spans(shifts, cancelled, zone)
    zone_lines, repeated = _zone_lines(head.tzid, data.state.window, spans)
    lines = _head_lines(head) + zone_lines
    tz_param = param_value(head.tzid)
    stamps: dict[dt.datetime, str] = {}
    local_stamps: dict[dt.datetime, str] = {}
    for shift, local in zip(shifts, spans, strict=False):
        texts = event_texts(shift, scope, data, words, zone, local)
        lines.extend(_event_lines(shift, texts, local, tz_param, head.reminder, stamps, local_stamps, repeated))
    for event in cancelled:
        lines.extend(_cancelled_lines(event, zone, tz_param, repeated))
    lines.append("END:VCALENDAR")
    body = (CRLF.join(lines) + CRLF).encode("utf-8")
    return RenderedFeed(body=body, etag=etag_of(body), last_modified=data.state.last_modified, events=len(shifts))
