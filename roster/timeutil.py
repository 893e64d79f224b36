"""Time helpers. Instants are stored in UTC; rules are written in the bureau's local zone.

The trap these helpers exist for: adding hours to a *local* wall-clock time across a daylight-saving
change gives the wrong instant. Always resolve the local wall-clock time to UTC first, then add durations
in UTC (the way healthchecks does it).
"""

from __future__ import annotations

import datetime as dt

import pendulum


class TimeInputError(ValueError):
    """A time argument could not be understood; the message names the argument."""


def utc_now() -> pendulum.DateTime:
    return pendulum.now("UTC")


def parse_instant(value: str, *, tz: str, argument: str = "--now") -> pendulum.DateTime:
    """Parse an ISO 8601 instant; a value without offset is read in ``tz``. Returns UTC."""
    try:
        parsed = pendulum.parse(value, tz=tz)
    except (ValueError, pendulum.parsing.exceptions.ParserError) as exc:
        raise TimeInputError(f"{argument}: not an ISO 8601 date-time: {value!r}") from exc
    if not isinstance(parsed, pendulum.DateTime):
        if isinstance(parsed, pendulum.Date):
            parsed = pendulum.datetime(parsed.year, parsed.month, parsed.day, tz=tz)
        else:
            raise TimeInputError(f"{argument}: not an ISO 8601 date-time: {value!r}")
    return parsed.in_timezone("UTC")


def parse_date(value: str, *, argument: str = "--date") -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise TimeInputError(f"{argument}: not an ISO 8601 date (YYYY-MM-DD): {value!r}") from exc


def local_wall_clock_to_utc(day: dt.date, clock: dt.time, tz: str) -> pendulum.DateTime:
    """The UTC instant of wall-clock ``clock`` on ``day`` in ``tz``.

    A wall-clock time skipped by a DST jump resolves forward (02:30 on a spring-forward day is 03:30);
    an ambiguous one takes the first occurrence. pendulum's defaults do exactly that.
    """
    local = pendulum.datetime(day.year, day.month, day.day, clock.hour, clock.minute, clock.second, tz=tz)
    return local.in_timezone("UTC")


def local_date_of(instant: dt.datetime, tz: str) -> dt.date:
    """The bureau-local calendar date of a UTC instant."""
    return pendulum.instance(instant).in_timezone(tz).date()


def as_utc(instant: dt.datetime) -> pendulum.DateTime:
    """Treat a naive datetime (as SQLite returns them) as UTC."""
    if instant.tzinfo is None:
        return pendulum.instance(instant.replace(tzinfo=dt.UTC))
    return pendulum.instance(instant).in_timezone("UTC")
