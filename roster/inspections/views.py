"""What the inspection pages show: a group's sites for the day (inspector page) and the 督导检查 board.

Facts are gathered in a few queries, then shaped by pure functions of those facts and ``now``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from roster.admin.current import NoBureauApplied, current_bureau
from roster.inspections.photos import photos_of
from roster.inspections.results import OverdueInspection, overdue_inspections
from roster.storage.models.inspections import InspectionResult, InspectionSite, InspectionVisit
from roster.storage.models.people import Group, GroupMembership, Person


@dataclass(frozen=True)
class SiteLine:
    visit_id: int
    site_id: str
    site_name: str
    address: str
    contact: str
    phone: str
    sector: str
    group_id: str
    inspectors: tuple[str, ...]  # names
    inspector_ids: tuple[str, ...]
    reason: str
    priority: int
    due_at: dt.datetime
    outcome: str | None  # the newest result: ok | issue | None (not yet)
    note: str = ""
    recorded_by: str | None = None
    recorded_at: dt.datetime | None = None
    photos: tuple = ()  # (id, filename, size) rows
    overdue: bool = False


@dataclass
class GroupDay:
    group_id: str
    group_name: str
    leader_id: str | None
    sites: list[SiteLine] = field(default_factory=list)

    @property
    def done(self) -> int:
        return sum(1 for s in self.sites if s.outcome is not None)

    @property
    def issues(self) -> int:
        return sum(1 for s in self.sites if s.outcome == "issue")

    @property
    def left(self) -> list[SiteLine]:
        return [s for s in self.sites if s.outcome is None]

    @property
    def overdue(self) -> int:
        return sum(1 for s in self.sites if s.overdue)

    def by_inspector(self, names: dict[str, str]) -> list[tuple[str, int, int]]:
        """(inspector name, done, planned) for the group leader's progress table."""
        counts: dict[str, list[int]] = {}
        for s in self.sites:
            for pid in s.inspector_ids:
                c = counts.setdefault(pid, [0, 0])
                c[1] += 1
                c[0] += s.outcome is not None
        return [(names.get(p, p), d, n) for p, (d, n) in sorted(counts.items())]


def site_lines(
    visits: list[InspectionVisit],
    sites: dict[str, InspectionSite],
    newest: dict[int, InspectionResult],
    photos: dict[int, list],
    names: dict[str, str],
    now: dt.datetime,
) -> list[SiteLine]:
    """The day's visits with their newest results (pure). Open sites first (by priority), then recorded ones."""
    out = []
    for v in visits:
        site = sites[v.site_id]
        r = newest.get(v.id)
        out.append(
            SiteLine(
                visit_id=v.id,
                site_id=v.site_id,
                site_name=site.name,
                address=site.address,
                contact=site.contact_name,
                phone=site.contact_phone,
                sector=site.sector,
                group_id=v.group_id,
                inspectors=tuple(names.get(p, p) for p in v.inspectors),
                inspector_ids=tuple(v.inspectors),
                reason=v.reason,
                priority=v.priority,
                due_at=v.due_at,
                outcome=r.outcome if r else None,
                note=r.note if r else "",
                recorded_by=names.get(r.recorded_by or "", r.recorded_by) if r else None,
                recorded_at=r.recorded_at if r else None,
                photos=tuple(photos.get(r.id, ())) if r else (),
                overdue=r is None and v.due_at <= now,
            )  # fmt: skip
        )
    return sorted(out, key=lambda s: (s.outcome is not None, s.priority, s.site_id))


def mine_first(sites: list[SiteLine], person_id: str) -> list[SiteLine]:
    """An inspector's own open sites first, then the group's other open sites, then what is recorded."""
    return sorted(sites, key=lambda s: (s.outcome is not None, person_id not in s.inspector_ids, s.priority, s.site_id))


def _day_facts(session: Session, day: dt.date, group_ids: set[str] | None):  # noqa: ANN202
    query = select(InspectionVisit).where(InspectionVisit.day == day).order_by(InspectionVisit.site_id)
    if group_ids is not None:
        query = query.where(InspectionVisit.group_id.in_(group_ids))
    visits = list(session.scalars(query))
    visit_ids = {v.id for v in visits}
    newest: dict[int, InspectionResult] = {}
    if visit_ids:
        for r in session.scalars(
            select(InspectionResult).where(InspectionResult.visit_id.in_(visit_ids)).order_by(InspectionResult.id)
        ):
            newest[r.visit_id] = r
    site_ids = {v.site_id for v in visits}
    sites = {s.id: s for s in session.scalars(select(InspectionSite).where(InspectionSite.id.in_(site_ids)))}
    return visits, newest, sites


def people_names(session: Session) -> dict[str, str]:
    return dict(session.execute(select(Person.id, Person.name)).tuples().all())


def groups_day(session: Session, day: dt.date, now: dt.datetime, group_ids: set[str] | None = None) -> list[GroupDay]:
    """Each group's sites for ``day`` (all groups, or ``group_ids``), with results and photos."""
    visits, newest, sites = _day_facts(session, day, group_ids)
    photos = photos_of(session, {r.id for r in newest.values()})
    names = people_names(session)
    query = select(Group).where(Group.active.is_(True)).order_by(Group.id)
    if group_ids is not None:
        query = query.where(Group.id.in_(group_ids))
    groups = {g.id: GroupDay(g.id, g.name, g.leader_id) for g in session.scalars(query)}
    for line in site_lines(visits, sites, newest, photos, names, now):
        if line.group_id not in groups:
            groups[line.group_id] = GroupDay(line.group_id, line.group_id, None)
        groups[line.group_id].sites.append(line)
    return list(groups.values())


def groups_of(session: Session, person_id: str) -> set[str]:
    return set(session.scalars(select(GroupMembership.group_id).where(GroupMembership.person_id == person_id)))


def led_by(session: Session, person_id: str) -> set[str]:
    return set(session.scalars(select(Group.id).where(Group.leader_id == person_id)))


@dataclass(frozen=True)
class ResultFeed:
    """A recorded result as it arrived (newest first on the board)."""

    at: dt.datetime
    site_id: str
    site_name: str
    group_id: str
    outcome: str
    note: str
    by: str
    photos: int


def results_feed(groups: list[GroupDay]) -> list[ResultFeed]:
    feed = [
        ResultFeed(
            s.recorded_at, s.site_id, s.site_name, g.group_id, s.outcome, s.note, s.recorded_by or "", len(s.photos)
        )  # fmt: skip
        for g in groups
        for s in g.sites
        if s.outcome is not None and s.recorded_at is not None
    ]
    return sorted(feed, key=lambda f: f.at, reverse=True)


@dataclass
class SupervisionBoard:
    """The 督导检查 board: the plan per group, results as they arrive, overdue sites, the running totals."""

    day: dt.date
    groups: list[GroupDay]
    feed: list[ResultFeed]
    overdue: list[OverdueInspection]
    sentence: str


def supervision_board(session: Session, day: dt.date, now: dt.datetime) -> SupervisionBoard:
    from roster.inspections.stats import inspection_stats, summary_sentence

    try:
        section = current_bureau(session).inspections
        type_names = {t.id: t.name for t in section.site_types} if section else {}
    except NoBureauApplied:
        type_names = {}
    groups = groups_day(session, day, now)
    overdue = [o for o in overdue_inspections(session, now) if o.day <= day]
    sentence = summary_sentence(inspection_stats(session, now, last_day=day), type_names)
    return SupervisionBoard(day, groups, results_feed(groups), overdue, sentence)
