"""Duty reminders: the day before a shift (at a local time the admin file sets) and minutes before its handover.

State, not ticks: what is owed is computed from the stored roster and ``now``. A reminder is due from its
instant until the next one takes over (the day-before one until the handover reminder is due, that one until
the shift starts), so a missed tick catches up late rather than never, and never after the shift began.
Each (kind, shift, start, person, channel) is one outbox row under a unique key: a repeated tick, or two
racing, send nothing twice. A person who takes over a seat later is owed the reminders still in their window.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from notifications.outbox import dedup_key, enqueue_many, message
from roster.admin.schema import BureauFile
from roster.notices.facts import Lines, ShiftFacts, load_shifts, recipients
from roster.notices.schema import RemindersSection
from roster.notices.texts import reminder_text
from roster.storage.models.shifts import Shift
from roster.timeutil import local_date_of, local_wall_clock_to_utc

SOURCE = "reminder"
DAY_BEFORE, BEFORE_HANDOVER = "day_before", "before_handover"
LOOKAHEAD = dt.timedelta(days=3)  # the earliest reminder (day before, early morning) is < 48 h ahead of its shift


@dataclass(frozen=True)
class DueReminder:
    kind: str
    shift: ShiftFacts
    person_id: str
    role: str
    due_at: dt.datetime  # UTC


def reminder_windows(
    shift: ShiftFacts, section: RemindersSection, tz: str
) -> list[tuple[str, dt.datetime, dt.datetime]]:
    """(kind, due from, due until) of each reminder of ``shift``; each ends where the next begins."""
    marks: list[tuple[str, dt.datetime]] = []
    if section.day_before_at is not None:
        day = shift.duty_date - dt.timedelta(days=1)
        marks.append((DAY_BEFORE, local_wall_clock_to_utc(day, section.day_before_at, tz)))
    if section.minutes_before is not None:
        marks.append((BEFORE_HANDOVER, shift.starts_at - dt.timedelta(minutes=section.minutes_before)))
    ends = [at for _, at in marks[1:]] + [shift.starts_at]
    return [(kind, start, end) for (kind, start), end in zip(marks, ends, strict=True) if start < end]


def due_reminders(shifts: list[ShiftFacts], section: RemindersSection, tz: str, now: dt.datetime) -> list[DueReminder]:
    """Every reminder owed at ``now`` to every seat holder (a pure decision over the loaded shifts)."""
    due = []
    for shift in shifts:
        for kind, start, end in reminder_windows(shift, section, tz):
            if start <= now < end:
                due.extend(DueReminder(kind, shift, pid, role, start) for role, pid in shift.seats)
    return due


def send_reminders(session: Session, bureau: BureauFile, now: dt.datetime) -> dict[str, Any]:
    """Write every owed reminder to the outbox (in the caller's transaction); counts of what happened."""
    section = bureau.reminders or RemindersSection()
    tz = bureau.bureau.timezone
    shifts = load_shifts(session, Shift.starts_at > now, Shift.starts_at <= now + LOOKAHEAD)
    owed = due_reminders(shifts, section, tz, now)
    people = recipients(session)
    lines = Lines(bureau, people)
    rows, unreachable = [], []
    for item in owed:
        person = people.get(item.person_id)
        if person is None or person.channel is None:
            unreachable.append(item.person_id)
            continue
        today = local_date_of(item.due_at, tz)
        subject, body = reminder_text(
            item.kind, lines.line(item.shift, item.role, person.locale), today, section.duty_phone, person.locale
        )
        kind = person.channel["kind"]
        key = dedup_key(SOURCE, item.kind, item.shift.uid, item.shift.starts_at.isoformat(), person.id, kind)
        payload = {"kind": item.kind, "shift": item.shift.uid, "role": item.role, "due_at": item.due_at.isoformat()}
        rows.append(
            message(key=key, source=SOURCE, channel=kind, address=person.channel["target"], subject=subject,
                    body=body, now=now, person_id=person.id, locale=person.locale, payload=payload)
        )  # fmt: skip
    added = enqueue_many(session, rows)
    return {"due": len(owed), "enqueued": len(added), "already_sent": len(rows) - len(added),
            "unreachable": sorted(set(unreachable))}  # fmt: skip
