"""A small bureau with channels and reminders for the notice tests, applied and planned the real way."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from roster.admin.apply import apply_bureau
from roster.admin.schema import BureauFile
from roster.shifts import generate_slots
from roster.storage import open_session
from roster.storage.models.outbox import OutboxMessage
from roster.storage.models.shifts import Shift, ShiftAssignment

DUTY_PHONE = "0878-3123456"


def notice_bureau(leave: list[dict[str, Any]] | None = None, **reminders: Any) -> BureauFile:
    """3 leaders, 7 officers on a 24 h 08:30 duty in Chuxiong; l3 reads English; o7 has no channel."""
    people = [
        {"id": f"l{i}", "name": f"领导{i}", "phone": f"1380000{i:04d}", "roles": ["leader_on_duty"],
         "channels": [{"kind": "console", "target": f"l{i}"}]}
        for i in range(1, 4)
    ] + [
        {"id": f"o{i}", "name": f"王{i}", "phone": f"1390000{i:04d}", "roles": ["duty_officer"],
         "channels": [] if i == 7 else [{"kind": "console", "target": f"o{i}"}]}
        for i in range(1, 8)
    ]  # fmt: skip
    people[2]["locale"] = "en"
    return BureauFile.model_validate(
        {
            "bureau": {"name": "测试局", "timezone": "Asia/Shanghai"},
            "people": people,
            # Loose rules: any reassignment to a free person passes, so the tests choose swaps freely.
            "rules": {"min_rest_hours": 0, "max_consecutive_duties": 7, "max_duties_per_month": 31},
            "leave": leave or [],
            "reminders": {"day_before_at": "16:00", "minutes_before": 60, "duty_phone": DUTY_PHONE, **reminders},
        }
    )


def apply(session: Session, bureau: BureauFile, now: dt.datetime) -> None:
    apply_bureau(session, bureau, now)
    session.commit()


def duties(session: Session) -> dict[str, set[tuple[str, str]]]:
    """person -> {(shift uid, role)}: the roster as people see it."""
    out: dict[str, set[tuple[str, str]]] = {}
    for shift in session.scalars(select(Shift)):
        for seat in shift.assignments:
            out.setdefault(seat.person_id, set()).add((shift.uid, seat.role))
    return out


def holders(session: Session) -> dict[str, dict[str, Any]]:
    """uid -> {starts_at, people}."""
    return {
        s.uid: {"starts_at": s.starts_at, "people": {a.person_id for a in s.assignments}}
        for s in session.scalars(select(Shift))
    }


def outbox(session: Session, prefix: str = "") -> list[OutboxMessage]:
    rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
    return [m for m in rows if m.source.startswith(prefix)]


def two_duties(url: str) -> str:
    """The notice bureau applied, with the 12-01 duty (l1, o1, o2) and the 12-02 duty (l2, o3, o4) stored."""
    bureau = notice_bureau()
    now = dt.datetime(2026, 11, 30, 0, 0, tzinfo=dt.UTC)
    with open_session(url) as s:
        apply(s, bureau, now)
        slots = generate_slots(dt.date(2026, 12, 1), 2, bureau.shift_pattern, "Asia/Shanghai")
        for slot, (lead, a, b) in zip(slots, [("l1", "o1", "o2"), ("l2", "o3", "o4")], strict=True):
            row = Shift(uid=slot.uid, duty_date=slot.duty_date, slot=slot.slot, starts_at=slot.starts_at,
                        ends_at=slot.ends_at, revision=1, changed_at=now)  # fmt: skip
            row.assignments = [ShiftAssignment(role="leader_on_duty", seat=0, person_id=lead),
                               ShiftAssignment(role="duty_officer", seat=0, person_id=a),
                               ShiftAssignment(role="duty_officer", seat=1, person_id=b)]  # fmt: skip
            s.add(row)
        s.commit()
    return url
