"""Handover (交接班): the outgoing officer writes the note and signs; the incoming one acknowledges each open
item and signs. Complete only when both have signed.

Open items come from ``ITEM_SOURCES``, a tuple of provider functions ``(HandoverContext) -> list[HandoverItem]``:
add a feature's open things (for example open incidents) by appending its provider there. Items are frozen
when the outgoing officer signs, so both sides sign the same list.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from roster.duty import log as duty_log
from roster.duty.facts import DutyError, DutySettings, ShiftFacts, person_or_error, shifts_between, write_lock
from roster.duty.items import HandoverContext, HandoverItem, ItemSource
from roster.incidents.links import awaiting_report
from roster.storage.models.duty import DutyHandover, DutyHandoverAck


def log_todos(ctx: HandoverContext) -> list[HandoverItem]:
    from roster.duty.facts import contacts

    todos = duty_log.open_todos(ctx.session)
    names = {c.person_id: c.name for c in contacts(ctx.session, {e.author_id for e in todos}).values()}
    return [
        HandoverItem(
            f"log:{e.seq}",
            "log",
            f"待办 #{e.seq}：{e.text[:60]}",
            f"{e.category} · {names.get(e.author_id, e.author_id)}",
        )
        for e in todos
    ]


def missing_reports(ctx: HandoverContext) -> list[HandoverItem]:
    from roster.reports.board import report_status
    from roster.timeutil import local_date_of

    days = sorted({ctx.outgoing.duty_date, local_date_of(ctx.now, ctx.settings.timezone)})
    items = []
    for day in days:
        for row in report_status(ctx.session, day, ctx.now):
            if row["state"] in ("late", "missing"):
                state = "逾期未报" if row["state"] == "missing" else "已过时限"
                items.append(HandoverItem(f"report:{row['unit']}:{day}", "reports", f"{row['name']} {day} 日报{state}"))
    return items


def unanswered_rollcalls(ctx: HandoverContext) -> list[HandoverItem]:
    from roster.storage.models.duty import DutyRollcall, DutyRollcallTarget

    rows = ctx.session.execute(
        select(DutyRollcall.id, DutyRollcall.sent_at, DutyRollcallTarget.person_id)
        .join(DutyRollcallTarget, DutyRollcallTarget.rollcall_id == DutyRollcall.id)
        .where(
            DutyRollcall.shift_uid == ctx.outgoing.uid,
            DutyRollcall.reply_until <= ctx.now,
            DutyRollcallTarget.answered_at.is_(None),
        )
        .order_by(DutyRollcall.sent_at)
    ).all()
    return [
        HandoverItem(f"rollcall:{r.id}:{r.person_id}", "rollcall", f"{r.person_id} 未应答查岗 #{r.id}") for r in rows
    ]


def unfinished_inspections(ctx: HandoverContext) -> list[HandoverItem]:
    """Per group: visits of the outgoing duty date without a result, and older overdue ones."""
    from roster.inspections.results import overdue_inspections
    from roster.storage.models.inspections import InspectionResult, InspectionVisit

    day = ctx.outgoing.duty_date
    open_today = ctx.session.execute(
        select(InspectionVisit.group_id, InspectionVisit.site_id).where(
            InspectionVisit.day == day, InspectionVisit.id.not_in(select(InspectionResult.visit_id))
        )
    ).all()
    counts: dict[str, int] = {}
    for group, _site in open_today:
        counts[group] = counts.get(group, 0) + 1
    items = [
        HandoverItem(f"inspections:{day}:{g}", "inspections", f"{g} {day} 尚有 {n} 处检查未完成")
        for g, n in sorted(counts.items())
    ]
    older: dict[str, int] = {}
    for o in overdue_inspections(ctx.session, ctx.now):
        if o.day < day:
            older[o.group_id] = older.get(o.group_id, 0) + 1
    items += [
        HandoverItem(f"inspections-overdue:{g}", "inspections", f"{g} 有 {n} 处逾期检查")
        for g, n in sorted(older.items())
    ]
    return items


# The open-item sources, in the order they are listed. Features add theirs here.
ITEM_SOURCES: tuple[ItemSource, ...] = (
    log_todos,
    missing_reports,
    unanswered_rollcalls,
    unfinished_inspections,
    awaiting_report,  # open incidents with a reporting clock still running
)


def open_items(ctx: HandoverContext, sources: tuple[ItemSource, ...] | None = None) -> list[HandoverItem]:
    items: dict[str, HandoverItem] = {}
    for source in sources if sources is not None else ITEM_SOURCES:
        for item in source(ctx):
            items.setdefault(item.key, item)
    return list(items.values())


@dataclass
class HandoverView:
    handover_at: dt.datetime
    outgoing: ShiftFacts
    incoming: ShiftFacts
    note: str = ""
    items: list[dict[str, str]] = field(default_factory=list)
    frozen: bool = False  # items frozen by the outgoing signature
    outgoing_by: str | None = None
    outgoing_signed_at: dt.datetime | None = None
    incoming_by: str | None = None
    incoming_signed_at: dt.datetime | None = None
    acked: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.outgoing_signed_at is not None and self.incoming_signed_at is not None

    def as_dict(self) -> dict[str, Any]:
        return {
            "handover_at": self.handover_at.isoformat(),
            "outgoing": {"shift": self.outgoing.uid, "people": [p for p, _ in self.outgoing.people]},
            "incoming": {"shift": self.incoming.uid, "people": [p for p, _ in self.incoming.people]},
            "note": self.note,
            "items": [i | {"acknowledged": i["key"] in self.acked} for i in self.items],
            "frozen": self.frozen,
            "outgoing_by": self.outgoing_by,
            "outgoing_signed_at": self.outgoing_signed_at.isoformat() if self.outgoing_signed_at else None,
            "incoming_by": self.incoming_by,
            "incoming_signed_at": self.incoming_signed_at.isoformat() if self.incoming_signed_at else None,
            "complete": self.complete,
        }


def boundary(session: Session, now: dt.datetime) -> tuple[ShiftFacts, ShiftFacts]:
    """The handover nearest to ``now``: between the shift on duty and the next, or the previous and it."""
    shifts = shifts_between(session, now - dt.timedelta(days=2), now + dt.timedelta(days=2))
    pairs = [(a, b) for a, b in zip(shifts, shifts[1:], strict=False) if a.ends_at == b.starts_at]
    if not pairs:
        raise DutyError(
            "now", "此时前后没有相邻的两个班次，无班可交", "no handover between planned shifts near now", 409
        )
    return min(pairs, key=lambda p: abs((p[1].starts_at - now).total_seconds()))


def view(session: Session, settings: DutySettings, now: dt.datetime) -> HandoverView:
    outgoing, incoming = boundary(session, now)
    row = session.scalars(select(DutyHandover).where(DutyHandover.shift_uid == incoming.uid)).first()
    result = HandoverView(incoming.starts_at, outgoing, incoming)
    if row is not None and row.outgoing_signed_at is not None:
        result.note, result.items, result.frozen = row.note, list(row.items), True
        result.outgoing_by, result.outgoing_signed_at = row.outgoing_by, row.outgoing_signed_at
        result.incoming_by, result.incoming_signed_at = row.incoming_by, row.incoming_signed_at
        result.acked = list(
            session.scalars(select(DutyHandoverAck.item_key).where(DutyHandoverAck.handover_id == row.id))
        )
    else:
        ctx = HandoverContext(session, now, settings, outgoing, incoming)
        result.items = [i.as_dict() for i in open_items(ctx)]
    return result


def sign(
    session: Session,
    settings: DutySettings,
    now: dt.datetime,
    *,
    by: str,
    note: str | None = None,
    acks: list[str] | None = None,
    ack_all: bool = False,
) -> HandoverView:
    """Sign the handover nearest to ``now`` as whichever side ``by`` is on. Outgoing: writes the note and
    freezes the items. Incoming: must acknowledge every frozen item (``acks`` or ``ack_all``) in the same
    call; all or nothing."""
    person_or_error(session, by, "--by")
    write_lock(session)
    current = view(session, settings, now)
    on_out, on_in = current.outgoing.role_of(by), current.incoming.role_of(by)
    if on_out and current.outgoing_signed_at is None:
        return _sign_outgoing(session, settings, now, current, by, note)
    if on_in:
        return _sign_incoming(session, settings, now, current, by, acks or [], ack_all)
    if on_out:
        raise DutyError("--by", "交班人已签字", "the outgoing side has already signed", 409)
    raise DutyError("--by", f"{by} 不在交班或接班班次中", f"{by} is on neither shift of this handover", 403)


def _sign_outgoing(session, settings, now, current: HandoverView, by: str, note: str | None) -> HandoverView:  # noqa: ANN001
    note = (note or "").strip()
    if not note:
        raise DutyError("note", "交班人须填写交接班记录", "the outgoing officer must write the handover note")
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    values = dict(
        shift_uid=current.incoming.uid, from_shift_uid=current.outgoing.uid, handover_at=current.handover_at,
        note=note, items=current.items, outgoing_by=by, outgoing_signed_at=now,
    )  # fmt: skip
    session.execute(insert(DutyHandover).values(**values).on_conflict_do_nothing(index_elements=["shift_uid"]))
    session.flush()
    return view(session, settings, now)


def _sign_incoming(session, settings, now, current: HandoverView, by, acks, ack_all) -> HandoverView:  # noqa: ANN001
    if current.outgoing_signed_at is None:
        raise DutyError("--by", "交班人尚未签字，接班人不能先签", "the outgoing officer has not signed yet", 409)
    if current.incoming_signed_at is not None:
        return current  # already complete: nothing changes
    keys = [i["key"] for i in current.items]
    unknown = [k for k in acks if k not in keys]
    if unknown:
        raise DutyError("--ack", f"没有这些交接事项：{', '.join(unknown)}", f"no such items: {', '.join(unknown)}")
    wanted = set(keys) if ack_all else set(acks) | set(current.acked)
    missing = [k for k in keys if k not in wanted]
    if missing:
        raise DutyError(
            "--ack",
            f"接班人须逐项确认，尚未确认：{', '.join(missing)}",
            f"items not acknowledged: {', '.join(missing)}",
        )
    row = session.scalars(select(DutyHandover).where(DutyHandover.shift_uid == current.incoming.uid)).one()
    for key in keys:
        if key not in current.acked:
            session.add(DutyHandoverAck(handover_id=row.id, item_key=key, person_id=by, at=now))
    row.incoming_by, row.incoming_signed_at = by, now
    row.log_head_seq, row.log_head_hash = duty_log.head(session)
    session.flush()
    return view(session, settings, now)
