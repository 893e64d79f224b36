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
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from notifications.outbox import dedup_key, enqueue_many
from notifications.outbox import message as outbox_message
from roster.admin.current import NoBureauApplied, current_bureau
from roster.holidays import HolidayCalendar
from roster.on_duty import on_duty_at
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
from roster.reports.jobs import EscalationTick
from roster.reports.messages import escalation_text
from roster.storage.models.people import Group, Person
from roster.storage.models.reports import EscalationEvent, ReportExpectation, ReportUnit

LOOKBACK_DAYS = 7  # expectation rows are (re)created for this many past local days on every tick


@dataclass(frozen=True)
class Recipient:
    target: str
    person_id: str | None
    name: str
    locale: str
    channels: tuple[tuple[str, str], ...]  # (kind, target) in the person's order; the first is used
    contact_of: str | None = None  # outside contacts are identified by their unit (their name may change)

    @property
    def reachable(self) -> bool:
        return bool(self.channels)

    @property
    def ident(self) -> str:
        return self.person_id or f"contact:{self.contact_of}"


@dataclass(frozen=True)
class DueMessage:
    step: int
    repeat: int
    due_at: dt.datetime


@dataclass(frozen=True)
class Plan:
    """What one unit-day needs at ``now``: messages to send, unreachable steps, and the next check."""

    due: list[tuple[DueMessage, list[Recipient]]]
    unreachable: list[tuple[int, dt.datetime, list[str]]]
    next_check_at: dt.datetime | None


def plan_unit_day(
    steps: list[dict[str, Any]],
    deadline_at: dt.datetime,
    now: dt.datetime,
    resolve: Callable[[list[str], dt.datetime], list[Recipient]],
) -> Plan:
    """Pure timing: which (step, newest due repeat) fire at ``now``, given a recipient resolver."""
    due: list[tuple[DueMessage, list[Recipient]]] = []
    unreachable: list[tuple[int, dt.datetime, list[str]]] = []
    upcoming: list[dt.datetime] = []
    carried: dt.datetime | None = None  # start inherited from an unreachable previous step
    for index, step in enumerate(steps):
        start = deadline_at + dt.timedelta(minutes=int(step["after"]))
        if carried is not None:
            start = min(start, carried)
        carried = None
        if start > now:
            upcoming.append(start)  # steps are ordered by delay: later ones start later still
            break
        targets = list(step["targets"])
        if not any(r.reachable for r in resolve(targets, start)):
            unreachable.append((index, start, targets))
            carried = start
            continue
        every = dt.timedelta(minutes=max(int(step.get("every") or 0), 1))
        repeats = int(step.get("repeat") or 0)
        newest = min(repeats, int((now - start) / every)) if repeats else 0
        due_at = start + newest * every
        recipients = [r for r in resolve(targets, due_at) if r.reachable]
        if not recipients:  # e.g. no leader on duty at this repeat's time: fall back to the step's start
            recipients = [r for r in resolve(targets, start) if r.reachable]
        due.append((DueMessage(index, newest, due_at), recipients))
        if newest < repeats:
            upcoming.append(due_at + every)
    return Plan(due, unreachable, min(upcoming) if upcoming else None)


class Resolver:
    """Finds who a target means for a unit at an instant. People and groups are loaded once per tick; the
    leader on duty is looked up from the roster at the step's due time (cached per instant)."""

    def __init__(self, session: Session, head_id: str | None) -> None:
        self.session = session
        self.head_id = head_id
        self.people = {
            p.id: p
            for p in session.execute(select(Person.id, Person.name, Person.locale, Person.channels, Person.active))
        }
        self.group_leaders = dict(session.execute(select(Group.id, Group.leader_id)).all())
        self._leaders: dict[dt.datetime, str | None] = {}

    def _person(self, target: str, person_id: str | None) -> list[Recipient]:
        person = self.people.get(person_id) if person_id else None
        if person is None or not person.active:
            return []
        channels = tuple((c["kind"], c["target"]) for c in person.channels or [])
        return [Recipient(target, person.id, person.name, person.locale or "zh-CN", channels)]

    def leader_on_duty(self, instant: dt.datetime) -> str | None:
        if instant not in self._leaders:
            leader = on_duty_at(self.session, instant).leader_on_duty
            self._leaders[instant] = leader.person_id if leader else None
        return self._leaders[instant]

    def resolve(self, unit: ReportUnit, targets: list[str], instant: dt.datetime) -> list[Recipient]:
        found: dict[str, Recipient] = {}
        for target in targets:
            if target == "unit_contact":
                if unit.contact_person_id:
                    people = self._person(target, unit.contact_person_id)
                else:
                    c = unit.contact or {}
                    channels = tuple((ch["kind"], ch["target"]) for ch in c.get("channels", []))
                    people = [
                        Recipient(target, None, c.get("name", unit.name), c.get("locale") or "zh-CN", channels, unit.id)
                    ]
            elif target == "group_leader":
                people = self._person(target, self.group_leaders.get(unit.group_id) if unit.group_id else None)
            elif target == "leader_on_duty":
                people = self._person(target, self.leader_on_duty(instant))
            elif target == "bureau_head":
                people = self._person(target, self.head_id)
            else:  # person:<id>
                people = self._person(target, target.split(":", 1)[1])
            for r in people:
                found.setdefault(r.ident, r)  # the group leader may also be the leader on duty: tell them once
        return list(found.values())


def _bulk_insert_events(session: Session, rows: list[dict[str, Any]]) -> int:
    """One executemany INSERT … ON CONFLICT DO NOTHING (the event key is the outbox key: a race is harmless)."""
    if not rows:
        return 0
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = EscalationEvent.__table__
    stmt = insert(table).on_conflict_do_nothing(index_elements=["event_key"]).returning(table.c.id)
    return len(session.execute(stmt, rows).all())


def _full_units(session: Session, ids: set[str]) -> dict[str, ReportUnit]:
    if not ids:
        return {}
    return {u.id: u for u in session.scalars(select(ReportUnit).where(ReportUnit.id.in_(ids)))}


def check(session: Session, now: dt.datetime) -> EscalationTick:
    """One tick. Returns a summary; the caller commits."""
    now = plain_utc(now)
    try:
        bureau = current_bureau(session)
        calendar: HolidayCalendar | None = HolidayCalendar.from_section(bureau.holidays)
        head_id = bureau.bureau.head
        section = bureau.reports
    except NoBureauApplied:
        calendar, head_id, section = None, None, None
    public_url = section.public_url if section else "http://127.0.0.1:8080"
    link_ttl = dt.timedelta(hours=section.link_ttl_hours if section else 48)

    take_write_lock(session)  # SQLite: read what is due inside the write transaction (no stale alerts)
    # Which unit-days should exist: light columns of every active unit (no JSON decoding of 1,000 policies).
    light = session.execute(
        select(ReportUnit.id, ReportUnit.timezone, ReportUnit.days, ReportUnit.active_from).where(
            ReportUnit.active.is_(True)
        )
    ).all()
    wanted: list[tuple[str, dt.date]] = []
    todays: dict[str, dt.date] = {}
    for unit in light:
        if unit.timezone not in todays:
            todays[unit.timezone] = now.astimezone(ZoneInfo(unit.timezone)).date()
        today = todays[unit.timezone]
        for back in range(LOOKBACK_DAYS, -1, -1):
            day = today - dt.timedelta(days=back)
            if reports_on(unit, day, calendar):
                wanted.append((unit.id, day))
    missing = missing_expectations(session, wanted)
    units = _full_units(session, {unit_id for unit_id, _ in missing})
    created = ensure_expectations(session, [(units[unit_id], day) for unit_id, day in missing])

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
    due_rows = session.execute(stmt).all()
    units.update(_full_units(session, {row.unit_id for row in due_rows} - set(units)))

    resolver = Resolver(session, head_id)
    secret = links.server_secret(session, now) if due_rows else ""
    events: list[dict[str, Any]] = []
    outbox: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for row in due_rows:
        unit = units.get(row.unit_id)
        if unit is None or not unit.active:
            updates.append({"row_id": row.id, "next": None})
            continue
        plan = plan_unit_day(unit.steps, row.deadline_at, now, lambda t, at, u=unit: resolver.resolve(u, t, at))
        updates.append({"row_id": row.id, "next": plan.next_check_at})
        for step, start, targets in plan.unreachable:
            events.append(
                dict(
                    event_key=dedup_key("escalation-unreachable", unit.id, row.day, step),
                    unit_id=unit.id,
                    day=row.day,
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
            )
        for message, recipients in plan.due:
            state = LATE if message.due_at < row.grace_until else MISSING
            for r in recipients:
                channel, address = r.channels[0]
                key = dedup_key("escalation", unit.id, row.day, message.step + 1, message.repeat, r.ident, channel)
                ack_url = None
                if r.person_id:
                    token = links.sign_ack(secret, unit.id, row.day, r.person_id, now + link_ttl)
                    ack_url = f"{public_url.rstrip('/')}/ack/{token}"
                subject, body = escalation_text(
                    locale=r.locale,
                    unit_name=unit.name,
                    day=row.day,
                    deadline=unit.deadline,
                    state=state,
                    step=message.step + 1,
                    steps=len(unit.steps),
                    repeat=message.repeat,
                    ack_url=ack_url,
                )
                outbox.append(
                    outbox_message(
                        key=key,
                        source="escalation",
                        channel=channel,
                        address=address,
                        subject=subject,
                        body=body,
                        now=now,
                        person_id=r.person_id,
                        locale=r.locale,
                        payload={
                            "unit": unit.id,
                            "date": row.day.isoformat(),
                            "step": message.step + 1,
                            "repeat": message.repeat,
                            "target": r.target,
                            "state": state,
                            "fallback_channels": [list(c) for c in r.channels[1:]],
                            "ack_url": ack_url,
                        },
                    )
                )
                events.append(
                    dict(
                        event_key=key,
                        unit_id=unit.id,
                        day=row.day,
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
                )
    messages = len(enqueue_many(session, outbox))
    recorded = _bulk_insert_events(session, events)
    if updates:
        session.execute(
            update(ReportExpectation.__table__)
            .where(ReportExpectation.__table__.c.id == bindparam("row_id"))
            .values(next_check_at=bindparam("next")),
            updates,
        )
    return EscalationTick(
        now=now,
        expectations_created=created,
        unit_days_due=len(due_rows),
        messages_enqueued=messages,
        events_recorded=recorded,
    )
