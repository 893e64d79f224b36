"""Cumulative inspection statistics per sector and site type, in the seed report's style.

Counted from stored visits and results (newest result of a visit counts): sites inspected (distinct sites
with a result), visits (visits with a result), issues (visits whose newest result is ``issue``), overdue
(visits past their deadline without a result).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from roster.storage.models.inspections import InspectionResult, InspectionSite, InspectionVisit


@dataclass
class Line:
    sector: str
    site_type: str
    sites: int  # active sites of this type
    sites_inspected: int = 0
    visits: int = 0
    issues: int = 0
    overdue: int = 0


def inspection_stats(
    session: Session, now: dt.datetime, first_day: dt.date | None = None, last_day: dt.date | None = None
) -> list[Line]:
    lines: dict[str, Line] = {}
    site_type: dict[str, str] = {}
    for site in session.scalars(select(InspectionSite).order_by(InspectionSite.sector, InspectionSite.site_type)):
        site_type[site.id] = site.site_type
        line = lines.setdefault(site.site_type, Line(site.sector, site.site_type, 0))
        line.sites += int(site.active)

    newest = select(func.max(InspectionResult.id)).group_by(InspectionResult.visit_id)
    visits = select(InspectionVisit.id, InspectionVisit.site_id, InspectionVisit.due_at)
    results = select(InspectionResult.site_id, InspectionResult.outcome).where(InspectionResult.id.in_(newest))
    if first_day is not None:
        visits = visits.where(InspectionVisit.day >= first_day)
        results = results.where(InspectionResult.day >= first_day)
    if last_day is not None:
        visits = visits.where(InspectionVisit.day <= last_day)
        results = results.where(InspectionResult.day <= last_day)

    inspected: dict[str, set[str]] = {}
    for site_id, outcome in session.execute(results):
        line = lines[site_type[site_id]]
        line.visits += 1
        line.issues += outcome == "issue"
        inspected.setdefault(site_type[site_id], set()).add(site_id)
    recorded = set(session.scalars(select(InspectionResult.visit_id)))
    for visit_id, site_id, due_at in session.execute(visits):
        if visit_id not in recorded and due_at <= now:
            lines[site_type[site_id]].overdue += 1
    for kind, ids in inspected.items():
        lines[kind].sites_inspected = len(ids)
    return list(lines.values())


def as_rows(lines: list[Line]) -> list[dict]:
    return [asdict(line) for line in lines]


def summary_sentence(lines: list[Line], type_names: dict[str, str]) -> str:
    """累计检查物业小区140个、建筑工地51个 …"""
    parts = [
        f"{type_names.get(line.site_type, line.site_type)}{line.sites_inspected}个" for line in lines if line.visits
    ]
    if not parts:
        return "尚无检查记录。"
    issues = sum(line.issues for line in lines)
    visits = sum(line.visits for line in lines)
    return f"累计检查{'、'.join(parts)}，共{visits}次，发现问题{issues}个。"
