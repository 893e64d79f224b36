"""One escalation tick: what is due at ``now``, computed from stored facts, written to the outbox.

Evaluation is set-based: expectation rows are created in bulk, the rows whose ``next_check_at`` has come are
read in one query (indexed; resolved rows carry NULL), events are inserted in bulk with ON CONFLICT DO
NOTHING, and ``next_check_at`` is updated in one executemany. Delivery is not done here.

Timing of a policy (all from the unit-day's UTC deadline):
- step ``i`` starts at ``deadline + after_i``; its repeat ``r`` (0..repeat) is due at ``start + r*every``;
- a step whose targets reach nobody (no person, or nobody with a channel) is recorded as ``unreachable`` and
  the next step starts at the same moment instead of waiting for its own delay;
- catch-up collapses repeats: a tick sends, per step, only the newest repeat due at ``now``. A checker that
  was down does not fire five identical reminders at once; every *step* still fires (they reach different
  people). With regular ticks (every 5 minutes) each repeat is its own tick and nothing collapses.
Dedup keys (unit, date, step, repeat, recipient, channel) make repeated or concurrent ticks harmless.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from notifications.outbox import dedup_key, enqueue_many, message_to
from roster.admin.current import NoBureauApplied, current_bureau
from roster.feature import JobSummary
from roster.holidays import HolidayCalendar
from roster.reports import links
from roster.reports.expectations import (
    LATE,
    MISSING,
    ensure_expectations,
    missing_expectations,
    plain_utc,
    reports_on,
    take_write_lock,
)
from roster.reports.messages import escalation_text
from roster.reports.schema import DEFAULT_LINK_TTL_HOURS, DEFAULT_PUBLIC_URL, ReportsSection
from roster.reports.steps import DueMessage, Recipient, Resolver, plan_unit_day
from roster.storage.insert import insert_ignoring_conflicts
from roster.storage.models.reports import EscalationEvent, ReportExpectation, ReportUnit

LOOKBACK_DAYS = 7  # expectation rows are (re)created for this many past local days on every tick


@dataclass(frozen=True)
class EscalationTick(JobSummary):
    """What one escalation tick did."""

    now: dt.datetime
    expectations_created: int  # unit-days whose expectation row was written now
    unit_days_due: int  # unit-days still unreported with a step due
    messages_enqueued: int  # outbox rows written (duplicates under the same dedup key not counted)
    events_recorded: int  # escalation events (state changes) recorded
    delivered_at_once: int | None = None  # urgent messages the hand-off sent before returning (None: off)


def _full_units(session: Session, ids: set[str]) -> dict[str, ReportUnit]:
    if not ids:
        return {}
    return {u.id: u for u in session.scalars(select(ReportUnit).where(ReportUnit.id.in_(ids)))}


class DueRow(NamedTuple):
    """An unresolved unit-day whose ``next_check_at`` has come."""

    id: int
    unit_id: str
    day: dt.date
    deadline_at: dt.datetime
    grace_until: dt.datetime


@dataclass(frozen=True)
class TickWrites:
    """Everything one tick writes: outbox messages, escalation events, and each row's next check."""

    outbox: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    next_checks: list[dict[str, Any]] = field(default_factory=list)  # {"row_id", "next"}


AckUrl = Callable[[str, dt.date, str], str]  # (unit id, day, person id) -> signed acknowledgement URL


def check(session: Session, now: dt.datetime) -> EscalationTick:
    """One tick: gather what is due → ``decide_tick`` (pure) → write. Returns a summary; the caller commits."""
    now = plain_utc(now)
    bureau = _bureau_facts(session)
    take_write_lock(session)  # SQLite: read what is due inside the write transaction (no stale alerts)
    created, units = _ensure_expectations(session, now, bureau.calendar)
    due_rows = _due_rows(session, now)
    units.update(_full_units(session, {row.unit_id for row in due_rows} - set(units)))
    resolver = Resolver(session, bureau.head_id)
    secret = links.server_secret(session, now) if due_rows else ""

    def ack_url(unit_id: str, day: dt.date, person_id: str) -> str:
        token = links.sign_ack(secret, unit_id, day, person_id, now + bureau.link_ttl)
        return f"{bureau.public_url.rstrip('/')}/ack/{token}"

    writes = decide_tick(due_rows, units, now, resolver.resolve, ack_url)
    messages = len(enqueue_many(session, writes.outbox))
    table = EscalationEvent.__table__
    # The event key is the outbox key: a race is harmless.
    recorded = len(insert_ignoring_conflicts(session, table, writes.events, ["event_key"], returning=table.c.id))
    _write_next_checks(session, writes.next_checks)
    return EscalationTick(
        now=now,
        expectations_created=created,
        unit_days_due=len(due_rows),
        messages_enqueued=messages,
        events_recorded=recorded,
    )


@dataclass(frozen=True)
class BureauFacts:
    calendar: HolidayCalendar | None
    head_id: str | None
    public_url: str
    link_ttl: dt.timedelta


def _bureau_facts(session: Session) -> BureauFacts:
    try:
        bureau = current_bureau(session)
    except NoBureauApplied:
        return BureauFacts(None, None, DEFAULT_PUBLIC_URL, dt.timedelta(hours=DEFAULT_LINK_TTL_HOURS))
    section = bureau.reports or ReportsSection()  # a bureau without the section: its defaults
    return BureauFacts(
        calendar=HolidayCalendar.from_section(bureau.holidays),
        head_id=bureau.bureau.head,
        public_url=section.public_url,
        link_ttl=dt.timedelta(hours=section.link_ttl_hours),
    )


def wanted_unit_days(units: list[Any], now: dt.datetime, calendar: HolidayCalendar | None) -> list[tuple[str, dt.date]]:
    """Pure: the unit-days whose expectation rows should exist at ``now`` (the last ``LOOKBACK_DAYS`` local
    days of each unit, on its reporting days). ``units`` carry id, timezone, days and active_from."""
    wanted: list[tuple[str, dt.date]] = []
    todays: dict[str, dt.date] = {}
    for unit in units:
        if unit.timezone not in todays:
            todays[unit.timezone] = now.astimezone(ZoneInfo(unit.timezone)).date()
        today = todays[unit.timezone]
        for back in range(LOOKBACK_DAYS, -1, -1):
            day = today - dt.timedelta(days=back)
            if reports_on(unit, day, calendar):
                wanted.append((unit.id, day))
    return wanted


def _ensure_expectations(
    session: Session, now: dt.datetime, calendar: HolidayCalendar | None
) -> tuple[int, dict[str, ReportUnit]]:
    """Create the missing expectation rows; returns how many, and the full units loaded for them."""
    # Light columns of every active unit (no JSON decoding of 1,000 policies).
    light = session.execute(
        select(ReportUnit.id, ReportUnit.timezone, ReportUnit.days, ReportUnit.active_from).where(
            ReportUnit.active.is_(True)
        )
    ).all()
    missing = missing_expectations(session, wanted_unit_days(light, now, calendar))
    units = _full_units(session, {unit_id for unit_id, _ in missing})
    return ensure_expectations(session, [(units[unit_id], day) for unit_id, day in missing]), units


def _due_rows(session: Session, now: dt.datetime) -> list[DueRow]:
    stmt = (
        select(
            ReportExpectation.id,
            ReportExpectation.unit_id,
            ReportExpectation.day,
            ReportExpectation.deadline_at,
            ReportExpectation.grace_until,
        )
        .where(ReportExpectation.next_check_at <= now, ReportExpectation.resolved_at.is_(None))
        .order_by(ReportExpectation.deadline_at, ReportExpectation.unit_id, ReportExpectation.id)
    )
    if session.get_bind().dialect.name == "postgresql":
        # Wait for (never skip) a row another transaction holds: a submission resolving it, or another
        # checker. After the wait PostgreSQL re-checks the WHERE clause on the committed row, so the row is
        # either gone (resolved, or already advanced past ``now``) or still due and evaluated here.
        # SKIP LOCKED would lose repeats: a checker skipping a locked row at tick t and finding it at t+1
        # collapses the repeat that was due at t (see "catch-up collapses repeats" above). Every checker
        # locks in the same ORDER BY, so two of them cannot deadlock on these rows.
        stmt = stmt.with_for_update()
    return [DueRow(*row) for row in session.execute(stmt).all()]


def decide_tick(
    due_rows: list[DueRow],
    units: dict[str, ReportUnit],
    now: dt.datetime,
    resolve: Callable[[ReportUnit, list[str], dt.datetime], list[Recipient]],
    ack_url: AckUrl,
) -> TickWrites:
    """Pure: for every due unit-day, the messages and events due at ``now`` and when to look again."""
    writes = TickWrites()
    for row in due_rows:
        unit = units.get(row.unit_id)
        if unit is None or not unit.active:
            writes.next_checks.append({"row_id": row.id, "next": None})
            continue
        plan = plan_unit_day(unit.steps, row.deadline_at, now, lambda t, at, u=unit: resolve(u, t, at))
        writes.next_checks.append({"row_id": row.id, "next": plan.next_check_at})
        for step, start, targets in plan.unreachable:
            writes.events.append(_unreachable_event(unit.id, row.day, step, start, targets, now))
        for message, recipients in plan.due:
            state = LATE if message.due_at < row.grace_until else MISSING
            for recipient in recipients:
                outbox, event = _notification(unit, row.day, message, state, recipient, now, ack_url)
                writes.outbox.append(outbox)
                writes.events.append(event)
    return writes


def _unreachable_event(
    unit_id: str, day: dt.date, step: int, start: dt.datetime, targets: list[str], now: dt.datetime
) -> dict[str, Any]:
    return dict(
        event_key=dedup_key("escalation-unreachable", unit_id, day, step),
        unit_id=unit_id,
        day=day,
        step=step + 1,
        repeat=0,
        kind="unreachable",
        person_id=None,
        recipient="",
        target=",".join(targets),
        channel=None,
        address=None,
        due_at=start,
        created_at=now,
        outbox_key=None,
    )


def _notification(
    unit: ReportUnit,
    day: dt.date,
    message: DueMessage,
    state: str,
    r: Recipient,
    now: dt.datetime,
    ack_url: AckUrl,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The outbox message to ``r`` (first channel; the others are its fallbacks) and its event row."""
    key = dedup_key("escalation", unit.id, day, message.step + 1, message.repeat, r.ident, r.channels[0][0])
    url = ack_url(unit.id, day, r.person_id) if r.person_id else None
    subject, body = escalation_text(
        locale=r.locale,
        unit_name=unit.name,
        day=day,
        deadline=unit.deadline,
        state=state,
        step=message.step + 1,
        steps=len(unit.steps),
        repeat=message.repeat,
        ack_url=url,
    )
    payload = {
        "unit": unit.id,
        "date": day.isoformat(),
        "step": message.step + 1,
        "repeat": message.repeat,
        "target": r.target,
        "state": state,
        "ack_url": url,
    }
    outbox = message_to(r, key=key, source="escalation", subject=subject, body=body, now=now, payload=payload)
    return outbox, notified_event(key, unit.id, day, message, r, now)


def notified_event(
    key: str, unit_id: str, day: dt.date, message: DueMessage, r: Recipient, now: dt.datetime
) -> dict[str, Any]:
    """The ``EscalationEvent`` row (as column values) recording that ``r`` was sent ``message``."""
    channel, address = r.channels[0]
    return dict(
        event_key=key,
        unit_id=unit_id,
        day=day,
        step=message.step + 1,
        repeat=message.repeat,
        kind="notified",
        person_id=r.person_id,
        recipient=r.name,
        target=r.target,
        channel=channel,
        address=address,
        due_at=message.due_at,
        created_at=now,
        outbox_key=key,
    )


def _write_next_checks(session: Session, next_checks: list[dict[str, Any]]) -> None:
    if next_checks:
        table = ReportExpectation.__table__
        session.execute(
            update(table).where(table.c.id == bindparam("row_id")).values(next_check_at=bindparam("next")),
            next_checks,
        )
