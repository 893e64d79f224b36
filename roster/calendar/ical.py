"""RFC 5545 text primitives: value escaping, line folding, date-time and duration formats.

The feed renderer writes iCalendar text itself (icalendar's object model is ~10x too slow for a year-long
feed, see docs/calendar.md); these few functions are all the syntax it needs, and the tests parse every
feed with icalendar, ics and vobject to prove the text is equivalent.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from functools import lru_cache

CRLF = "\r\n"
MAX_OCTETS = 75  # RFC 5545 3.1: lines SHOULD NOT be longer than 75 octets, excluding the line break
_FOLD = CRLF + " "

# Control characters are not allowed in TEXT values (RFC 5545 3.3.11), except HTAB; newlines are escaped.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SAFE_PARAM = re.compile(r"^[A-Za-z0-9_./+-]+$")


def escape_text(value: str) -> str:
    """A TEXT property value: backslash, semicolon, comma and newline escaped; control characters dropped."""
    # Chained str.replace: several times faster than str.translate with a mapping on non-ASCII text.
    escaped = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")
    if escaped.isprintable():  # the usual case, checked in C; else drop control characters, CR -> newline
        return escaped
    value = _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def param_value(value: str) -> str:
    """A parameter value (e.g. a TZID): quoted when it contains anything beyond a safe set."""
    if _SAFE_PARAM.match(value):
        return value
    return '"' + _CONTROL.sub("", value).replace('"', "'") + '"'


def fold(line: str) -> str:
    """Fold a content line into chunks of at most 75 octets, never splitting a UTF-8 sequence.

    Continuation lines start with one space, which counts towards their 75 octets.
    """
    length = len(line)
    if length <= MAX_OCTETS // 4:
        return line  # short enough whatever the encoding
    if line.isascii():  # one octet per character: cut by index, no encoding needed
        if length <= MAX_OCTETS:
            return line
        step = MAX_OCTETS - 1
        return _FOLD.join([line[:MAX_OCTETS]] + [line[i : i + step] for i in range(MAX_OCTETS, length, step)])
    data = line.encode("utf-8")
    if len(data) <= MAX_OCTETS:
        return line
    chunks: list[bytes] = []
    start, limit = 0, MAX_OCTETS
    while len(data) - start > limit:
        end = start + limit
        while data[end] & 0xC0 == 0x80:  # a continuation byte: step back to the character's first byte
            end -= 1
        chunks.append(data[start:end])
        start, limit = end, MAX_OCTETS - 1
    chunks.append(data[start:])
    return b"\r\n ".join(chunks).decode("utf-8")


def utc_stamp(instant: dt.datetime) -> str:
    """A UTC DATE-TIME, form 2: ``20261123T003000Z``."""
    return instant.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def local_stamp(local: dt.datetime) -> str:
    """A local DATE-TIME (already in the zone) for use with TZID, form 3: ``20261123T083000``."""
    return f"{local.year:04d}{local.month:02d}{local.day:02d}T{local.hour:02d}{local.minute:02d}{local.second:02d}"


def duration(minutes: int) -> str:
    """A positive DURATION: ``PT1H``, ``P1D``, ``PT1H30M``."""
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    out = "P" + (f"{days}D" if days else "")
    if hours or mins:
        out += "T" + (f"{hours}H" if hours else "") + (f"{mins}M" if mins else "")
    return out if out != "P" else "PT0S"


def is_ambiguous(local: dt.datetime) -> bool:
    """Whether this local wall-clock time occurs twice (the repeated hour when clocks go back)."""
    return local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()


@lru_cache(maxsize=32)
def repeated_spans(tzid: str, first_year: int, last_year: int) -> tuple[tuple[dt.datetime, dt.datetime], ...]:
    """The UTC spans, ``first_year`` to ``last_year``, whose local wall-clock times occur twice (both
    occurrences): a renderer checks its instants against these few spans instead of asking zoneinfo each."""
    zone = zoneinfo.ZoneInfo(tzid)
    start = dt.datetime(first_year, 1, 1, tzinfo=dt.UTC)
    spans = []
    for t in zone_transitions(zone, start, dt.datetime(last_year + 1, 1, 1, tzinfo=dt.UTC)):
        back = (t - dt.timedelta(minutes=1)).astimezone(zone).utcoffset() - t.astimezone(zone).utcoffset()
        if back > dt.timedelta(0):
            spans.append((t - back, t + back))
    return tuple(spans)


def fixed_offset_zone(offset: dt.timedelta) -> str | None:
    """The IANA zone of a whole-hour UTC offset (``Etc/GMT-1`` is UTC+1: POSIX signs are inverted)."""
    hours, rest = divmod(int(offset.total_seconds()), 3600)
    if rest or not -12 <= -hours <= 14:
        return None
    return "Etc/GMT" if hours == 0 else f"Etc/GMT{-hours:+d}"


def _offset(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}{mins:02d}"


def _kind(local: dt.datetime) -> str:
    return "DAYLIGHT" if local.dst() else "STANDARD"


def zone_transitions(zone: zoneinfo.ZoneInfo, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    """The UTC instants in [start, end) where ``zone``'s offset, name or DST flag changes (to the minute).

    zoneinfo has no public list of transitions: sample every 6 hours (no zone changes twice within 6
    hours), then bisect each change down to the minute."""

    def state(t: dt.datetime) -> tuple:
        local = t.astimezone(zone)
        return local.utcoffset(), local.tzname(), bool(local.dst())

    out, step = [], dt.timedelta(hours=6)
    t, before = start, state(start)
    while t < end:
        after_t = t + step
        now = state(after_t)
        if now != before:
            lo, hi = t, after_t  # state(lo) == before != state(hi)
            while hi - lo > dt.timedelta(minutes=1):
                mid = lo + (hi - lo) / 2
                mid = mid.replace(second=0, microsecond=0)
                if mid <= lo:
                    mid = lo + dt.timedelta(minutes=1)
                lo, hi = (mid, hi) if state(mid) == before else (lo, mid)
            out.append(hi)
        t, before = after_t, now
    return out


@lru_cache(maxsize=32)
def vtimezone_lines(tzid: str, first_year: int, last_year: int) -> tuple[str, ...]:
    """A VTIMEZONE for ``tzid`` from 1 January ``first_year`` to the end of ``last_year``, from zoneinfo.

    Written so every common parser reads it alike: one observance per (kind, offsets, name), its DTSTART
    the first transition in the local time *before* the change (RFC 5545 3.6.5), then one RDATE line per
    transition, the first included (ical.js reads only the first value of a comma-separated RDATE, and
    ignores DTSTART as an onset when RDATEs exist; the other parsers take the repeat as one). An observance for
    the start of the range covers instants before its first transition. Cached: it depends only on tzdata.
    """
    zone = zoneinfo.ZoneInfo(tzid)
    start = dt.datetime(first_year, 1, 1, tzinfo=zone).astimezone(dt.UTC)
    end = dt.datetime(last_year + 1, 1, 1, tzinfo=zone).astimezone(dt.UTC)
    first = start.astimezone(zone)
    # (kind, from, to, name) -> the transitions' local times before the change, in order
    observances: dict[tuple[str, str, str, str], list[str]] = {
        (_kind(first), _offset(first.utcoffset()), _offset(first.utcoffset()), first.tzname() or tzid): [
            local_stamp(first.replace(tzinfo=None))
        ]
    }
    for instant in zone_transitions(zone, start, end):
        before, after = (instant - dt.timedelta(minutes=1)).astimezone(zone), instant.astimezone(zone)
        key = (_kind(after), _offset(before.utcoffset()), _offset(after.utcoffset()), after.tzname() or tzid)
        local_before = (instant + before.utcoffset()).replace(tzinfo=None)
        observances.setdefault(key, []).append(local_stamp(local_before))
    lines = ["BEGIN:VTIMEZONE", f"TZID:{tzid}", f"X-LIC-LOCATION:{tzid}"]
    for (kind, offset_from, offset_to, name), stamps in observances.items():
        lines += [f"BEGIN:{kind}", f"DTSTART:{stamps[0]}"]
        if len(stamps) > 1:  # ical.js ignores DTSTART once RDATEs exist: list the first onset again
            lines += [f"RDATE:{stamp}" for stamp in stamps]
        lines += [f"TZOFFSETFROM:{offset_from}", f"TZOFFSETTO:{offset_to}", fold(f"TZNAME:{escape_text(name)}")]
        lines.append(f"END:{kind}")
    lines.append("END:VTIMEZONE")
    return tuple(lines)
