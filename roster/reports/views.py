"""What the report pages show: the day's board, one unit-day's history, the month's punctuality.

Read-only view models built as facts gathered up front → a pure function of those facts and ``now``. The
pages (roster/web/routes/report_pages.py) only render these; the CLI's ``reports status``/``stats`` read the
same ledger through ``roster.reports.board``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from roster.reports.board import _calendar_or_none, monthly_stats
from roster.reports.expectations import (
    EXCUSED,
    LATE,
    MISSING,
    PENDING,
    SUBMITTED,
    ZERO_REPORT,
    UnitTimes,
    _wall_clock_utc,
    plain_utc,
    reports_on,
    state_of,
    unit_times,
)
from roster.storage.models.outbox import OutboxMessage
from roster.storage.models.people import Person
from roster.storage.models.reports import EscalationEvent, ReportAck, ReportExpectation, ReportUnit

STATES = (PENDING, SUBMITTED, ZERO_REPORT, LATE, MISSING, EXCUSED)


@dataclass(frozen=True)
class BoardRow:
    unit_id: str
    name: str
    kind: str
    group_id: str | None
    deadline: str  # local HH:MM
    deadline_at: dt.datetime
    grace_until: dt.datetime
    state: str
    time_left: dt.timedelta | None  # to the deadline while pending, to the end of grace while late
    received_at: dt.datetime | None
    late_submission: bool
    submissions: int
    acked_by: str | None
    excused_by: str | None
    excuse_reason: str | None


@dataclass(frozen=True)
class Board:
    day: dt.date
    now: dt.datetime
    rows: list[BoardRow]

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATES, 0)
        for row in self.rows:
            counts[row.state] += 1
        return counts


def board_row(unit: ReportUnit, row: ReportExpectation | None, times: UnitTimes, now: dt.datetime) -> BoardRow:
    """One unit's line on the board at ``now`` (pure)."""
    state = state_of(row, times, now)
    left = None
    if state == PENDING:
        left = times.deadline_at - now
    elif state == LATE:
        left = times.grace_until - now
    received = row.first_received_at if row is not None else None
    return BoardRow(
        unit_id=unit.id,
        name=unit.name,
        kind=unit.kind,
        group_id=unit.group_id,
        deadline=unit.deadline,
        deadline_at=times.deadline_at,
        grace_until=times.grace_until,
        state=state,
        time_left=left,
        received_at=received,
        late_submission=bool(received and received > times.deadline_at),
        submissions=row.submissions if row is not None else 0,
        acked_by=row.acked_by if row is not None else None,
        excused_by=row.excused_by if row is not None else None,
        excuse_reason=row.excuse_reason if row is not None else None,
    )


_UNIT_COLUMNS = (
    ReportUnit.id, ReportUnit.name, ReportUnit.kind, ReportUnit.group_id, ReportUnit.deadline,
    ReportUnit.grace_minutes, ReportUnit.days, ReportUnit.timezone, ReportUnit.active_from,
)  # fmt: skip
_ROW_COLUMNS = (
    ReportExpectation.unit_id, ReportExpectation.excused_at, ReportExpectation.excused_by,
    ReportExpectation.excuse_reason, ReportExpectation.latest_kind, ReportExpectation.first_received_at,
    ReportExpectation.submissions, ReportExpectation.acked_by,
)  # fmt: skip


def board_times(unit: ReportUnit, day: dt.date) -> UnitTimes:
    """Deadline and end of grace (the board needs no escalation steps, so the policy is not decoded)."""
    hour, minute = (int(x) for x in unit.deadline.split(":"))
    deadline_at = _wall_clock_utc(day, hour, minute, unit.timezone)
    return UnitTimes(deadline_at, deadline_at + dt.timedelta(minutes=unit.grace_minutes), deadline_at)


def board(session: Session, day: dt.date, now: dt.datetime, *, unit_ids: set[str] | None = None) -> Board:
    """Every active unit owing a report on ``day`` (or holding a row for it), in id order. Reads only the
    columns the board shows (no policy JSON, no ORM objects): 200 units cost a few milliseconds."""
    now = plain_utc(now)
    query = select(*_UNIT_COLUMNS).where(ReportUnit.active.is_(True)).order_by(ReportUnit.id)
    rows_query = select(*_ROW_COLUMNS).where(ReportExpectation.day == day)
    if unit_ids is not None:
        query = query.where(ReportUnit.id.in_(unit_ids))
        rows_query = rows_query.where(ReportExpectation.unit_id.in_(unit_ids))
    units = session.execute(query).all()
    rows = {r.unit_id: r for r in session.execute(rows_query)}
    calendar: list = []  # read the holiday calendar only if a unit reports on workdays only
    out = []
    for unit in units:
        row = rows.get(unit.id)
        if row is None and unit.days != "every_day" and not calendar:
            calendar.append(_calendar_or_none(session))
        if row is None and not reports_on(unit, day, calendar[0] if calendar else None):
            continue
        out.append(board_row(unit, row, board_times(unit, day), now))  # type: ignore[arg-type]
    return Board(day, now, out)


# -- one unit-day -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    """One thing that happened to a unit-day's escalation, in time order."""

    at: dt.datetime
    kind: str  # notified | unreachable | resolved | collapsed | ack | excused
    step: int = 0
    repeat: int = 0
    who: str = ""  # recipient's name (or the acknowledging person's)
    person_id: str | None = None
    target: str = ""
    channel: str | None = None
    address: str | None = None
    delivery: str | None = None  # pending | sending | sent | fallen_back | dead (the outbox row's status)
    delivered_at: dt.datetime | None = None
    error: str | None = None
    message_id: int | None = None
    ack_path: str | None = None  # the recipient's acknowledgement page on this server
    via: str | None = None
    note: str | None = None


@dataclass
class UnitDay:
    unit: ReportUnit
    day: dt.date
    row: BoardRow
    submissions: list[dict] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)


def _ack_path(payload: dict | None) -> str | None:
    """The path of the acknowledgement link carried in an escalation message (``…/ack/<signed>``)."""
    url = (payload or {}).get("ack_url")
    if not url or "/ack/" not in url:
        return None
    return "/ack/" + url.rsplit("/ack/", 1)[1]


def timeline_of(
    events: list[EscalationEvent],
    messages: dict[str, OutboxMessage],
    acks: list[ReportAck],
    names: dict[str, str],
    expectation: ReportExpectation | None,
) -> list[TimelineEntry]:
    """The escalation timeline from its facts (pure): events joined to their outbox rows, acks, the excuse."""
    out = []
    for e in events:
        m = messages.get(e.outbox_key or "")
        out.append(
            TimelineEntry(
                at=e.due_at if e.kind == "unreachable" else e.created_at,
                kind=e.kind,
                step=e.step,
                repeat=e.repeat,
                who=e.recipient or names.get(e.person_id or "", ""),
                person_id=e.person_id,
                target=e.target,
                channel=e.channel,
                address=e.address,
                delivery=m.status if m else None,
                delivered_at=m.sent_at if m else None,
                error=m.last_error if m else None,
                message_id=m.id if m else None,
                ack_path=_ack_path(m.payload) if m and e.kind == "notified" else None,
            )
        )
    for a in acks:
        out.append(TimelineEntry(at=a.at, kind="ack", who=names.get(a.person_id, a.person_id), person_id=a.person_id,
                                 via=a.via))  # fmt: skip
    if expectation is not None and expectation.excused_at is not None:
        by = expectation.excused_by or ""
        out.append(TimelineEntry(at=expectation.excused_at, kind="excused", who=names.get(by, by), person_id=by,
                                 note=expectation.excuse_reason))  # fmt: skip
    return sorted(out, key=lambda t: (t.at, t.step, t.repeat, t.who))


def unit_day(session: Session, unit_id: str, day: dt.date, now: dt.datetime) -> UnitDay | None:
    """A unit-day's submissions (report and corrections, with attachments) and escalation timeline."""
    from roster.reports.ledger import history

    now = plain_utc(now)
    unit = session.get(ReportUnit, unit_id)
    if unit is None:
        return None
    row = session.scalars(
        select(ReportExpectation).where(ReportExpectation.unit_id == unit_id, ReportExpectation.day == day)
    ).first()
    events = list(
        session.scalars(
            select(EscalationEvent)
            .where(EscalationEvent.unit_id == unit_id, EscalationEvent.day == day)
            .order_by(EscalationEvent.id)
        )
    )
    keys = {e.outbox_key for e in events if e.outbox_key}
    messages = (
        {m.dedup_key: m for m in session.scalars(select(OutboxMessage).where(OutboxMessage.dedup_key.in_(keys)))}
        if keys
        else {}
    )
    acks = list(
        session.scalars(
            select(ReportAck).where(ReportAck.unit_id == unit_id, ReportAck.day == day).order_by(ReportAck.id)
        )
    )
    people = {e.person_id for e in events if e.person_id} | {a.person_id for a in acks}
    if row is not None and row.excused_by:
        people.add(row.excused_by)
    names = dict(session.execute(select(Person.id, Person.name).where(Person.id.in_(people))).tuples().all())
    return UnitDay(
        unit=unit,
        day=day,
        row=board_row(unit, row, unit_times(unit, day), now),
        submissions=history(session, unit_id=unit_id, day=day),
        timeline=timeline_of(events, messages, acks, names, row),
    )


# -- the month ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthLine:
    unit_id: str
    name: str
    owed: int
    on_time: int
    late: int
    missing: int
    excused: int
    zero_reports: int
    open: int
    punctuality: float | None  # 按时率: on time / owed


def month_lines(session: Session, month: str, now: dt.datetime) -> list[MonthLine]:
    """Punctuality per unit for ``YYYY-MM`` (the same counting as ``dutyflow reports stats``)."""
    return [
        MonthLine(
            unit_id=s["unit"],
            name=s["name"],
            owed=s["owed"],
            on_time=s["on_time"],
            late=s["late"],
            missing=s["missing"],
            excused=s["excused"],
            zero_reports=s["zero_reports"],
            open=s["open"],
            punctuality=s["punctuality"],
        )  # fmt: skip
        for s in monthly_stats(session, month, now)
    ]


def local_time(instant: dt.datetime | None, tz: str, fmt: str = "%H:%M") -> str:
    return instant.astimezone(ZoneInfo(tz)).strftime(fmt) if instant is not None else ""


def humanize_left(left: dt.timedelta | None, locale: str = "zh-CN") -> str:
    """``2小时05分`` / ``2 h 05 min`` for a time left; empty when nothing is counting down."""
    if left is None:
        return ""
    minutes = max(0, int(left.total_seconds() // 60))
    hours, minutes = divmod(minutes, 60)
    if locale.startswith("en"):
        return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"
    return f"{hours}小时{minutes:02d}分" if hours else f"{minutes}分钟"
