"""Monthly statistics of incident reporting: 首报 on time, 续报 on time, time to the 终报.

An incident belongs to the month (bureau-local) in which it was received. A report's timeliness was fixed
when it was sent (``due_at``/``on_time`` on the report row), so later severity changes or admin-file edits do
not rewrite history.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from roster.incidents.clocks import FINAL, FIRST, FOLLOWUP
from roster.storage.models.incidents import SENT, Incident, IncidentReport
from roster.timeutil import local_wall_clock_to_utc


@dataclass(frozen=True)
class MonthStats:
    month: str
    incidents: int
    by_level: dict[str, int]
    first_sent: int
    first_on_time: int
    first_missing: int  # received in the month, 首报 not sent (yet)
    followups_sent: int
    followups_on_time: int
    finals_sent: int
    hours_to_final: list[float] = field(default_factory=list)

    @property
    def first_on_time_rate(self) -> float | None:
        return self.first_on_time / self.first_sent if self.first_sent else None

    @property
    def followup_on_time_rate(self) -> float | None:
        return self.followups_on_time / self.followups_sent if self.followups_sent else None

    @property
    def median_hours_to_final(self) -> float | None:
        return round(statistics.median(self.hours_to_final), 2) if self.hours_to_final else None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(
            first_on_time_rate=self.first_on_time_rate,
            followup_on_time_rate=self.followup_on_time_rate,
            median_hours_to_final=self.median_hours_to_final,
            max_hours_to_final=max(self.hours_to_final) if self.hours_to_final else None,
        )
        return data


def month_bounds(month: str, tz: str) -> tuple[dt.datetime, dt.datetime]:
    """``2026-11`` -> the UTC instants of its first local midnight and the next month's."""
    first = dt.date.fromisoformat(f"{month}-01")
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return local_wall_clock_to_utc(first, dt.time(0), tz), local_wall_clock_to_utc(following, dt.time(0), tz)


def month_stats(session: Session, month: str, tz: str) -> MonthStats:
    start, end = month_bounds(month, tz)
    incidents = session.execute(
        select(Incident.id, Incident.level_id, Incident.received_at).where(
            Incident.received_at >= start, Incident.received_at < end
        )
    ).all()
    ids = [i.id for i in incidents]
    reports = session.execute(
        select(IncidentReport.incident_id, IncidentReport.kind, IncidentReport.on_time, IncidentReport.sent_at).where(
            IncidentReport.incident_id.in_(ids), IncidentReport.status == SENT
        )
    ).all()
    by_level: dict[str, int] = {}
    for incident in incidents:
        by_level[incident.level_id] = by_level.get(incident.level_id, 0) + 1
    received = {i.id: i.received_at for i in incidents}
    firsts = [r for r in reports if r.kind == FIRST]
    followups = [r for r in reports if r.kind == FOLLOWUP]
    finals = [r for r in reports if r.kind == FINAL]
    return MonthStats(
        month=month,
        incidents=len(incidents),
        by_level=by_level,
        first_sent=len(firsts),
        first_on_time=sum(bool(r.on_time) for r in firsts),
        first_missing=len(incidents) - len(firsts),
        followups_sent=len(followups),
        followups_on_time=sum(bool(r.on_time) for r in followups),
        finals_sent=len(finals),
        hours_to_final=sorted(round((r.sent_at - received[r.incident_id]).total_seconds() / 3600, 2) for r in finals),
    )
