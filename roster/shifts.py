"""Shift slots: the duty periods a pattern produces, as exact UTC intervals.

Each slot starts at a local wall-clock time resolved to UTC and ends where the next slot starts, so a
horizon is covered without gap or overlap even on days with 23 or 25 hours (daylight saving time).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pendulum

from roster.timeutil import local_wall_clock_to_utc


@dataclass(frozen=True, slots=True)
class ShiftSlot:
    duty_date: dt.date  # bureau-local date the slot starts on
    slot: str  # "full", "day" or "night"
    starts_at: pendulum.DateTime  # UTC
    ends_at: pendulum.DateTime  # UTC, exclusive

    @property
    def uid(self) -> str:
        """Stable identity for calendars: the same date and slot always give the same uid."""
        return f"{self.duty_date:%Y%m%d}-{self.slot}@dutyflow"

    @property
    def hours(self) -> float:
        return (self.ends_at - self.starts_at).total_seconds() / 3600

    @property
    def is_night(self) -> bool:
        return self.slot in ("night", "full")  # a 24 h duty includes the night


def slot_starts(day: dt.date, pattern, tz: str) -> list[tuple[str, pendulum.DateTime]]:  # noqa: ANN001
    """The (slot name, UTC start) pairs beginning on local ``day`` for a ShiftPattern."""
    if pattern.kind == "full":
        return [("full", local_wall_clock_to_utc(day, pattern.handover, tz))]
    return [
        ("day", local_wall_clock_to_utc(day, pattern.handover, tz)),
        ("night", local_wall_clock_to_utc(day, pattern.night_starts, tz)),
    ]


def generate_slots(start: dt.date, days: int, pattern, tz: str) -> list[ShiftSlot]:  # noqa: ANN001
    """All slots starting on the ``days`` local dates from ``start``; contiguous by construction."""
    if days < 1:
        raise ValueError("days must be at least 1")
    starts: list[tuple[dt.date, str, pendulum.DateTime]] = []
    for offset in range(days + 1):  # one extra day supplies the last slot's end
        day = start + dt.timedelta(days=offset)
        starts.extend((day, name, at) for name, at in slot_starts(day, pattern, tz))
    return [
        ShiftSlot(day, name, at, starts[i + 1][2])
        for i, (day, name, at) in enumerate(starts[:-1])
        if day < start + dt.timedelta(days=days)
    ]


def duty_date_at(instant: dt.datetime, pattern, tz: str) -> dt.date:  # noqa: ANN001
    """The duty date of the slot covering ``instant``.

    The trap: before the morning handover the slot on duty is still the one that started on the previous
    local date (05:45 on the 24th is inside the 23rd's 08:30→08:30 duty), so "today" is not the local date.
    """
    local = pendulum.instance(instant).in_timezone(tz)
    day = local.date()
    return day if local_wall_clock_to_utc(day, pattern.handover, tz) <= instant else day - dt.timedelta(days=1)
