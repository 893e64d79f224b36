"""Read side: the shift's status board, the roll-call ledger of a period and its draft 通报. Reads only."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from roster.duty.checkin import checkins_of, seat_states, shift_to_check_in
from roster.duty.facts import DutyError, DutySettings, contacts, shift_at, shifts_between
from roster.duty.rollcall import LAPSE_AFTER
from roster.storage.models.duty import DutyRollcall, DutyRollcallTarget
from roster.timeutil import local_wall_clock_to_utc


def _local(instant: dt.datetime | None, tz: str) -> str | None:
    return instant.astimezone(ZoneInfo(tz)).isoformat(timespec="minutes") if instant else None


def target_state(target: DutyRollcallTarget, call: DutyRollcall, now: dt.datetime) -> str:
    if target.answered_at is not None:
        return "answered"
    if call.reply_until is not None and now > call.reply_until:
        return "unanswered"
    return "waiting"


def call_state(call: DutyRollcall, now: dt.datetime) -> str:
    if call.sent_at is None:
        return "scheduled" if now - call.scheduled_at <= LAPSE_AFTER else "lapsed"
    return "open" if call.reply_until and now <= call.reply_until else "closed"


def _calls(session: Session, settings: DutySettings, stmt, now: dt.datetime) -> list[dict[str, Any]]:  # noqa: ANN001
    calls = session.scalars(stmt.order_by(DutyRollcall.scheduled_at, DutyRollcall.id)).all()
    targets: dict[int, list[DutyRollcallTarget]] = {}
    if calls:
        for t in session.scalars(
            select(DutyRollcallTarget)
            .where(DutyRollcallTarget.rollcall_id.in_([c.id for c in calls]))
            .order_by(DutyRollcallTarget.person_id)
        ):
            targets.setdefault(t.rollcall_id, []).append(t)
    names = {p.person_id: p.name for p in contacts(session).values()}
    tz = settings.timezone
    out = []
    for c in calls:
        out.append(
            {
                "id": c.id, "kind": c.kind, "shift": c.shift_uid, "started_by": c.started_by,
                "scheduled_at": _local(c.scheduled_at, tz), "sent_at": _local(c.sent_at, tz),
                "reply_until": _local(c.reply_until, tz), "state": call_state(c, now),
                "targets": [
                    {
                        "person": t.person_id, "name": names.get(t.person_id, t.person_id), "role": t.role,
                        "state": target_state(t, c, now), "answered_at": _local(t.answered_at, tz),
                        "delay_seconds": (t.answered_at - c.sent_at).total_seconds()
                        if t.answered_at and c.sent_at else None,
                        "via": t.answer_via, "on_site": t.on_site, "wrong_codes": t.wrong_codes,
                    }
                    for t in targets.get(c.id, [])
                ],
            }
        )  # fmt: skip
    return out


def rollcall_ledger(
    session: Session, settings: DutySettings, first: dt.date, last: dt.date, now: dt.datetime
) -> list[dict[str, Any]]:
    """Every roll call scheduled in the local dates ``first``..``last`` with its targets' answers."""
    start = local_wall_clock_to_utc(first, dt.time(0), settings.timezone)
    end = local_wall_clock_to_utc(last + dt.timedelta(days=1), dt.time(0), settings.timezone)
    stmt = select(DutyRollcall).where(DutyRollcall.scheduled_at >= start, DutyRollcall.scheduled_at < end)
    return _calls(session, settings, stmt, now)


def rollcall_notice(settings: DutySettings, calls: list[dict[str, Any]], first: dt.date, last: dt.date) -> str:
    """A draft 通报 listing the unanswered roll calls of a period, for the office to edit and issue."""
    sent = [c for c in calls if c["sent_at"]]
    missed = [(c, t) for c in sent for t in c["targets"] if t["state"] == "unanswered"]
    answered = [t for c in sent for t in c["targets"] if t["state"] == "answered"]
    total = len(answered) + len(missed) + sum(t["state"] == "waiting" for c in sent for t in c["targets"])
    lines = [
        f"关于 {first.isoformat()} 至 {last.isoformat()} 值班查岗情况的通报（草稿）",
        "",
        f"{first.isoformat()} 至 {last.isoformat()}，{settings.bureau_name}共开展值班查岗 {len(sent)} 次，"
        f"应答 {len(answered)}/{total} 人次。",
    ]
    if missed:
        lines.append("以下人员未在规定时间内应答：")
        for c, t in missed:
            lines.append(f"  {c['sent_at'][:16].replace('T', ' ')}  {t['name']}（{t['person']}）")
        lines.append("请相关人员说明情况，严格落实值班值守制度，确保在岗在位、联络畅通。")
    waiting = total - len(answered) - len(missed)
    if waiting:
        lines.append(f"另有 {waiting} 人次尚在答复时限内。")
    if not missed:
        lines.append("未发现未按时应答的情况。")
    return "\n".join(lines)


def duty_status(
    session: Session, settings: DutySettings, now: dt.datetime, person_id: str | None = None
) -> dict[str, Any]:
    """The shift on duty at ``now``; for ``person_id`` the shift whose check-in is open for them, if any (at
    08:10 the incoming officer sees the shift starting at 08:30)."""
    shift = None
    if person_id is not None:
        nearby = shifts_between(session, now - dt.timedelta(days=1), now + dt.timedelta(days=1))
        try:
            shift = shift_to_check_in(nearby, person_id, settings.section.checkin, now)
        except DutyError:
            shift = None
    shift = shift or shift_at(session, now)
    if shift is None:
        raise DutyError("now", "此时没有排班", "no shift is planned at this instant", status=404)
    tz = settings.timezone
    names = {p.person_id: p.name for p in contacts(session, {p for p, _ in shift.people}).values()}
    seats = seat_states([shift], checkins_of(session, [shift.uid]), settings.section, now)
    stmt = select(DutyRollcall).where(DutyRollcall.shift_uid == shift.uid, DutyRollcall.sent_at.is_not(None))
    return {
        "shift": shift.uid,
        "starts_at": _local(shift.starts_at, tz),
        "ends_at": _local(shift.ends_at, tz),
        "checkins": [
            {
                "person": s.person_id,
                "name": names.get(s.person_id, s.person_id),
                "role": s.role,
                "state": s.state,
                "at": _local(s.at, tz),
                "on_site": s.on_site,
            }
            for s in seats
        ],  # fmt: skip
        "rollcalls": _calls(session, settings, stmt, now),
    }
