"""Assign a day's inspections from the store: build the planner's inputs, plan, keep the plan, tell leaders.

State, not ticks: what is due comes from stored visits and results and ``now``. The plan is stored with a
hash of its inputs; asking again with the same inputs returns the stored plan unchanged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, fields, replace

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from roster.admin.current import current_bureau
from roster.admin.schema import BureauFile
from roster.holidays import HolidayCalendar, HolidayDataMissing
from roster.inspections import planner
from roster.on_duty import people_on_duty_on
from roster.storage.models.inspections import InspectionPlan, InspectionResult, InspectionSite, InspectionVisit
from roster.storage.models.people import GroupMembership, Leave, Person
from roster.timeutil import local_wall_clock_to_utc


class InspectionsError(ValueError):
    """A request the inspections feature cannot satisfy; the message says which input and why."""


@dataclass(frozen=True)
class Assignment:
    day: dt.date
    revision: int
    created: bool  # False when the stored plan was returned unchanged
    plan: InspectionPlan


def section_of(bureau: BureauFile):  # noqa: ANN201
    if bureau.inspections is None:
        raise InspectionsError("the admin file in force has no inspections: section; add it and apply the file")
    return bureau.inspections


def results_due_at(bureau: BureauFile, day: dt.date) -> dt.datetime:
    return local_wall_clock_to_utc(day, section_of(bureau).results_due, bureau.bureau.timezone)


def unavailable_on(session: Session, day: dt.date) -> set[str]:
    """People who are sent nowhere on ``day``: on leave, or holding a duty shift that starts that day."""
    on_leave = set(session.scalars(select(Leave.person_id).where(Leave.first_day <= day, Leave.last_day >= day)))
    return on_leave | people_on_duty_on(session, day)


def available_members(session: Session, bureau: BureauFile, day: dt.date) -> dict[str, tuple[str, ...]]:
    """Each group's members who can inspect on ``day``: active, not on leave, not on duty, not stationed."""
    section = section_of(bureau)
    away = unavailable_on(session, day)
    stationed = {m for tf in section.task_forces if _task_force_active(tf, day) for m in tf.members}
    rows = session.execute(
        select(GroupMembership.group_id, Person.id)
        .join(Person, Person.id == GroupMembership.person_id)
        .where(Person.active.is_(True))
    ).all()
    members: dict[str, list[str]] = {g.id: [] for g in bureau.groups}
    for group_id, person_id in rows:
        if group_id in members and person_id not in away | stationed:
            members[group_id].append(person_id)
    return {g: tuple(sorted(ps)) for g, ps in members.items()}


def _task_force_active(tf, day: dt.date) -> bool:  # noqa: ANN001
    return tf.starts_at.date() <= day and (tf.ends_on is None or day <= tf.ends_on)


def site_specs(session: Session, bureau: BureauFile) -> tuple[planner.SiteSpec, ...]:
    section = section_of(bureau)
    active = set(session.scalars(select(InspectionSite.id).where(InspectionSite.active.is_(True))))
    specs = []
    for site in section.sites:
        if site.id not in active:
            continue  # not applied yet, or deactivated
        kind = section.site_type(site.type)
        specs.append(
            planner.SiteSpec(
                id=site.id,
                sector=kind.sector,
                cadence_days=site.cadence_days or kind.cadence_days,
                priority=site.priority or kind.priority,
                on_weekends=kind.on_weekends,
                on_holidays=kind.on_holidays if site.on_holidays is None else site.on_holidays,
            )
        )
    if section.sites and not specs:
        raise InspectionsError("no inspection sites in the database: apply the admin file (dutyflow apply FILE)")
    return tuple(specs)


def site_histories(
    session: Session, day: dt.date, now: dt.datetime, lookback_days: int
) -> dict[str, planner.SiteHistory]:
    """Per site, from visits before ``day``: last completed visit, whether the newest was missed, and who
    made the recent visits. A visit still inside its deadline counts as done (it is not due twice)."""
    start = day - dt.timedelta(days=lookback_days)
    visits = session.execute(
        select(InspectionVisit.id, InspectionVisit.site_id, InspectionVisit.day, InspectionVisit.inspectors,
               InspectionVisit.due_at)
        .where(InspectionVisit.day < day, InspectionVisit.day >= start)
        .order_by(InspectionVisit.site_id, InspectionVisit.day.desc())
    ).all()  # fmt: skip
    recorded = set(
        session.scalars(
            select(InspectionResult.visit_id).where(InspectionResult.day < day, InspectionResult.day >= start)
        )
    )
    # The last recorded visit may be older than the window (a site skipped for weeks): one aggregate.
    last_recorded = {
        site_id: last
        for site_id, last in session.execute(
            select(InspectionResult.site_id, func.max(InspectionResult.day))
            .where(InspectionResult.day < day)
            .group_by(InspectionResult.site_id)
        )
    }
    out: dict[str, planner.SiteHistory] = {}
    by_site: dict[str, list] = {}
    for row in visits:
        by_site.setdefault(row.site_id, []).append(row)
    for site_id in by_site.keys() | last_recorded.keys():
        rows = by_site.get(site_id, [])
        newest_missed = bool(rows) and rows[0].id not in recorded and rows[0].due_at <= now
        pending = next((r.day for r in rows if r.id in recorded or r.due_at > now), None)
        candidates = [d for d in (pending, last_recorded.get(site_id)) if d is not None]
        out[site_id] = planner.SiteHistory(
            last_done=max(candidates) if candidates else None,
            missed=newest_missed,
            recent=tuple((r.day, tuple(r.inspectors)) for r in rows),
        )
    return out


def day_inputs(session: Session, bureau: BureauFile, day: dt.date, now: dt.datetime) -> planner.DayInputs:
    section = section_of(bureau)
    try:
        kind = HolidayCalendar.from_section(bureau.holidays).kind(day)
    except HolidayDataMissing as exc:
        raise InspectionsError(f"--date {day}: {exc}") from None
    members = available_members(session, bureau, day)
    sites = site_specs(session, bureau)
    longest = max((s.cadence_days for s in sites), default=1)
    lookback = min(
        400, longest * (section.rotation.max_consecutive_visits + 1) + section.rotation.min_days_before_return
    )
    away = unavailable_on(session, day)
    standing = tuple(
        planner.StandingVisit(tf.site, tf.group, tuple(sorted(set(tf.members) - away)))
        for tf in section.task_forces
        if _task_force_active(tf, day)
    )
    return planner.DayInputs(
        day=day,
        day_kind=str(kind),
        sites=sites,
        groups=tuple(planner.GroupSpec(g.id, g.sector, members.get(g.id, ())) for g in bureau.groups),
        history=site_histories(session, day, now, lookback + 14),
        capacity=planner.Capacity(**section.capacity.model_dump()),
        rotation=planner.Rotation(**section.rotation.model_dump()),
        help_other_sectors=section.help_other_sectors,
        early_visit_days=section.early_visit_days,
        standing=standing,
    )


def inputs_sha256(inputs: planner.DayInputs) -> str:
    """A digest of everything the plan depends on (``fixed``/``previous`` excluded: they are what a re-plan
    keeps, not why it happens). Frozen dataclasses as plain tuples: ``asdict`` is ten times slower here."""
    history = sorted((k, v.last_done, v.missed, v.recent) for k, v in inputs.history.items())
    data = (
        inputs.day, inputs.day_kind, sorted(astuple_shallow(s) for s in inputs.sites),
        sorted(astuple_shallow(g) for g in inputs.groups), history, astuple_shallow(inputs.capacity),
        astuple_shallow(inputs.rotation), inputs.help_other_sectors, inputs.early_visit_days,
        sorted(astuple_shallow(s) for s in inputs.standing),
    )  # fmt: skip
    return hashlib.sha256(json.dumps(data, default=str).encode()).hexdigest()


def astuple_shallow(obj) -> tuple:  # noqa: ANN001
    return tuple(getattr(obj, f.name) for f in fields(obj))


def recorded_visits(session: Session, day: dt.date) -> list[InspectionVisit]:
    recorded = select(InspectionResult.visit_id).where(InspectionResult.day == day)
    return list(session.scalars(select(InspectionVisit).where(InspectionVisit.day == day,
                                                              InspectionVisit.id.in_(recorded))))  # fmt: skip


def assign(session: Session, day: dt.date, now: dt.datetime) -> Assignment:
    """The plan for ``day``: the stored one if its inputs are unchanged, else a new revision (visits that
    already have a result are kept as they are). Runs in the caller's transaction."""
    bureau = current_bureau(session)
    inputs = day_inputs(session, bureau, day, now)
    digest = inputs_sha256(inputs)
    stored = session.scalar(select(InspectionPlan).where(InspectionPlan.day == day))
    if stored is not None and stored.inputs_sha256 == digest:
        return Assignment(day, stored.revision, False, stored)

    keep = recorded_visits(session, day) if stored is not None else []
    fixed, previous = _fixed_and_previous(stored, keep)
    result = planner.plan_day(replace(inputs, fixed=fixed, previous=previous))
    before = {v.site_id: (v.group_id, tuple(v.inspectors)) for v in (stored.visits if stored is not None else [])}
    after = {v.site_id: (v.group_id, tuple(v.inspectors)) for v in result.visits}
    summary = {
        "day_kind": inputs.day_kind,
        "left": [{"site": s, "why": why} for s, why in result.left],
        "loads": {g: {"visits": n, "capacity": c} for g, (n, c) in result.loads.items()},
        "not_inspected_today": result.not_inspected_today,
        # None on the first revision: every group is told
        "changed_groups": _changed_groups(before, after) if stored is not None else None,
    }
    stored = _store_revision(session, stored, day, now, digest, keep)
    kept_sites = {v.site_id for v in keep}
    due_at = results_due_at(bureau, day)
    for v in result.visits:
        if v.site_id not in kept_sites:
            session.add(
                InspectionVisit(
                    plan_id=stored.id, day=day, site_id=v.site_id, group_id=v.group_id,
                    inspectors=list(v.inspectors), kind=v.kind, reason=v.reason, priority=v.priority, due_at=due_at,
                )
            )  # fmt: skip
    stored.summary = summary
    session.flush()
    session.expire(stored, ["visits"])
    return Assignment(day, stored.revision, True, stored)


def _fixed_and_previous(
    stored: InspectionPlan | None, keep: list[InspectionVisit]
) -> tuple[tuple[planner.FixedVisit, ...], tuple[planner.FixedVisit, ...]]:
    """Visits with a result stay as they are (fixed); the stored plan's other routine visits are the
    previous plan the planner changes minimally."""
    fixed = tuple(planner.FixedVisit(v.site_id, v.group_id, tuple(v.inspectors)) for v in keep)
    kept_ids = {v.id for v in keep}
    previous = tuple(
        planner.FixedVisit(v.site_id, v.group_id, tuple(v.inspectors))
        for v in (stored.visits if stored is not None else [])
        if v.id not in kept_ids and v.kind == "routine"
    )
    return fixed, previous


def _store_revision(
    session: Session, stored: InspectionPlan | None, day: dt.date, now: dt.datetime, digest: str, keep: list
) -> InspectionPlan:
    """The plan row of the new revision (created, or bumped with its unrecorded visits deleted)."""
    if stored is None:
        stored = InspectionPlan(day=day, revision=1, inputs_sha256=digest, computed_at=now, summary={})
        session.add(stored)
        session.flush()
        return stored
    kept = [v.id for v in keep]
    session.execute(
        delete(InspectionVisit).where(InspectionVisit.plan_id == stored.id, InspectionVisit.id.not_in(kept))
    )
    stored.revision += 1
    stored.inputs_sha256 = digest
    stored.computed_at = now
    return stored


def _changed_groups(before: dict[str, tuple], after: dict[str, tuple]) -> list[str]:
    """Groups whose list changed (a site or an inspector added, moved or dropped): only they hear again."""
    groups: set[str] = set()
    for site in before.keys() | after.keys():
        if before.get(site) != after.get(site):
            groups.update(entry[0] for entry in (before.get(site), after.get(site)) if entry is not None)
    return sorted(groups)
