"""Job entry points for Prefect flows: open their own session, take ``now``, idempotent, small JSON result."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select


def plan_ahead(now: dt.datetime, days: int = 56, database_url: str | None = None) -> dict[str, Any]:
    """Plan the ``days`` starting today (bureau-local) unless every shift there is already fully staffed."""
    from roster.admin.current import current_bureau
    from roster.planning.plan import plan
    from roster.shifts import generate_slots
    from roster.storage import session_scope
    from roster.storage.models.shifts import Shift, ShiftAssignment
    from roster.timeutil import local_date_of

    with session_scope(database_url) as session:
        bureau = current_bureau(session)
        start = local_date_of(now, bureau.bureau.timezone)
        slots = generate_slots(start, days, bureau.shift_pattern, bureau.bureau.timezone)
        needed = sum(n for n in bureau.requirements.values() if n > 0)
        staffed = dict(
            session.execute(
                select(Shift.uid, func.count(ShiftAssignment.id))
                .join(ShiftAssignment, ShiftAssignment.shift_id == Shift.id)
                .where(Shift.duty_date >= start, Shift.duty_date < start + dt.timedelta(days=days))
                .group_by(Shift.uid)
            ).all()
        )
        if all(staffed.get(s.uid, 0) >= needed for s in slots):
            return {"start": start.isoformat(), "days": days, "planned": False, "reason": "already planned"}
        report = plan(session, bureau, start, days, now, actor="plan_ahead", time_limit_s=60)
        summary = {
            "start": start.isoformat(),
            "days": days,
            "planned": report.ok,
            "status": report.status,
            "created": report.created,
            "changed": len(report.changes),
            "explanations": report.explanations,
        }
        return summary
