"""One day's inspection assignment, as a pure function of its inputs (no database, no clock).

The rule, in order:

1. **What is due.** A site is inspectable today unless today is a public holiday and its type is not
   inspected on holidays (or a weekend and its type skips weekends). It is due when it was never visited,
   when its last visit was missed (no result by the evening deadline: *overdue*), or when ``cadence_days``
   have passed since its last recorded visit. Sites with a task force get the task force, not a routine visit.
2. **Urgency order.** Overdue first, then priority (1 first), then the most days past cadence, then site id
   (the deterministic tie-break).
3. **Own sector first.** Each site goes to the group of its sector while that group has capacity.
4. **Help when overloaded.** Sites left over go, in urgency order, to the group with the lowest load
   (assigned / capacity; ties by group id) that can still take them. Because step 3 finishes before step 4
   starts, helping never displaces a group's own due site.
5. **Inspectors.** A visit takes ``inspectors_per_visit`` members with visits left today, not on leave or
   duty, and allowed by the rotation rule (at most ``max_consecutive_visits`` consecutive visits of one site,
   and ``min_days_before_return``); among those, the least busy today, then the one longest away from this
   site, then person id.
6. **Smooth the waves** (``early_visit_days`` > 0). With capacity to spare after all due sites are placed,
   a group visits its own sites that will be due within that many days, soonest first. Without it, sites
   first visited together (after a holiday, or on day one) stay due together every cadence.

A site that finds no group is *left*, with the reason. Greedy in a fixed order is enough here: measured on
the seed (296 sites, one year) it meets every cadence the capacity allows in well under the target; see
docs/inspections.md and bench/inspections.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

NEVER = dt.date(1970, 1, 1)


@dataclass(frozen=True)
class SiteSpec:
    id: str
    sector: str
    cadence_days: int
    priority: int
    on_weekends: bool = True
    on_holidays: bool = False


@dataclass(frozen=True)
class GroupSpec:
    id: str
    sector: str | None
    members: tuple[str, ...]  # inspectors available today (leave, duty and task forces already removed)


@dataclass(frozen=True)
class SiteHistory:
    """What the store says about a site before the day being planned."""

    last_done: dt.date | None = None  # newest visit with a recorded result (or still within its deadline)
    missed: bool = False  # its newest visit got no result by the deadline
    # Inspectors of the newest visits, newest first: (day, inspectors).
    recent: tuple[tuple[dt.date, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class Capacity:
    visits_per_inspector: int = 5
    inspectors_per_visit: int = 2
    max_visits_per_group: int | None = None

    def of(self, members: int) -> int:
        visits = members * self.visits_per_inspector // self.inspectors_per_visit
        return visits if self.max_visits_per_group is None else min(visits, self.max_visits_per_group)


@dataclass(frozen=True)
class Rotation:
    max_consecutive_visits: int = 2
    min_days_before_return: int = 0


@dataclass(frozen=True)
class StandingVisit:
    """A task force stationed at a site today."""

    site_id: str
    group_id: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class FixedVisit:
    """A visit of today already recorded: kept as it is when the day is re-planned."""

    site_id: str
    group_id: str
    inspectors: tuple[str, ...]


@dataclass(frozen=True)
class DayInputs:
    day: dt.date
    day_kind: str  # workday, weekend, holiday, adjusted_workday
    sites: tuple[SiteSpec, ...]
    groups: tuple[GroupSpec, ...]
    history: dict[str, SiteHistory]
    capacity: Capacity = Capacity()
    rotation: Rotation = Rotation()
    help_other_sectors: bool = True
    early_visit_days: int = 0  # with spare capacity, visit a site up to this many days before it is due
    standing: tuple[StandingVisit, ...] = ()
    fixed: tuple[FixedVisit, ...] = ()
    # The day's previous plan (visits without a result): kept where still valid, so a re-plan changes little.
    previous: tuple[FixedVisit, ...] = ()


@dataclass(frozen=True)
class PlannedVisit:
    site_id: str
    group_id: str
    inspectors: tuple[str, ...]
    reason: str  # due, overdue, never_visited, task_force
    priority: int
    kind: str = "routine"  # routine, task_force, fixed


@dataclass
class DayPlan:
    day: dt.date
    visits: list[PlannedVisit] = field(default_factory=list)
    left: list[tuple[str, str]] = field(default_factory=list)  # (site id, why), in urgency order
    loads: dict[str, tuple[int, int]] = field(default_factory=dict)  # group -> (visits, capacity)
    not_inspected_today: list[str] = field(default_factory=list)  # due but skipped: holiday/weekend rule

    def by_site(self) -> dict[str, PlannedVisit]:
        return {v.site_id: v for v in self.visits}


def inspectable(site: SiteSpec, day_kind: str) -> bool:
    if day_kind == "holiday":
        return site.on_holidays
    if day_kind == "weekend":
        return site.on_weekends
    return True  # workdays and adjusted workdays (调休)


def due_reason(site: SiteSpec, history: SiteHistory, day: dt.date) -> str | None:
    if history.missed:
        return "overdue"
    if history.last_done is None:
        return "never_visited"
    if (day - history.last_done).days >= site.cadence_days:
        return "due"
    return None


def urgency(site: SiteSpec, history: SiteHistory, day: dt.date, reason: str) -> tuple:
    late = (day - (history.last_done or NEVER)).days - site.cadence_days
    return (reason != "overdue", site.priority, -late, site.id)


def rotation_allows(person: str, history: SiteHistory, day: dt.date, rotation: Rotation) -> bool:
    streak = 0
    for _, inspectors in history.recent:
        if person not in inspectors:
            break
        streak += 1
    if streak >= rotation.max_consecutive_visits:
        return False
    if rotation.min_days_before_return:
        last = next((d for d, inspectors in history.recent if person in inspectors), None)
        if last is not None and (day - last).days < rotation.min_days_before_return:
            return False
    return True


def _last_here(person: str, history: SiteHistory) -> dt.date:
    return next((d for d, inspectors in history.recent if person in inspectors), NEVER)


class _GroupState:
    def __init__(self, group: GroupSpec, capacity: Capacity) -> None:
        self.group = group
        self.capacity = capacity.of(len(group.members))
        self.visits = 0
        self.used = dict.fromkeys(group.members, 0)
        self.per_inspector = capacity.visits_per_inspector
        self.team = capacity.inspectors_per_visit

    @property
    def load(self) -> float:
        return self.visits / self.capacity if self.capacity else 1.0

    def pick(self, history: SiteHistory, day: dt.date, rotation: Rotation) -> tuple[str, ...] | None:
        if self.visits >= self.capacity:
            return None
        free = [
            p for p, n in self.used.items() if n < self.per_inspector and rotation_allows(p, history, day, rotation)
        ]
        if len(free) < self.team:
            return None
        free.sort(key=lambda p: (self.used[p], _last_here(p, history), p))
        return tuple(sorted(free[: self.team]))

    def can_take(self, team: tuple[str, ...], history: SiteHistory, day: dt.date, rotation: Rotation) -> bool:
        return (
            self.visits < self.capacity
            and len(team) == self.team
            and all(p in self.used and self.used[p] < self.per_inspector for p in team)
            and all(rotation_allows(p, history, day, rotation) for p in team)
        )

    def take(self, inspectors: tuple[str, ...]) -> None:
        self.visits += 1
        for p in inspectors:
            if p in self.used:
                self.used[p] += 1


def plan_day(inputs: DayInputs) -> DayPlan:
    plan = DayPlan(day=inputs.day)
    states = {g.id: _GroupState(g, inputs.capacity) for g in sorted(inputs.groups, key=lambda g: g.id)}
    home = {g.sector: g.id for g in sorted(inputs.groups, key=lambda g: g.id) if g.sector}
    placed_already = _place_fixed_and_standing(inputs, plan, states)
    due = _due(inputs, plan, placed_already)
    kept = _keep_previous(inputs, plan, states, due)
    leftovers = _assign_home_groups(inputs, plan, states, home, [d for d in due if d[1].id not in kept])
    _help_or_leave(inputs, plan, states, leftovers)
    if inputs.early_visit_days:
        _visit_early(inputs, plan, states, home, placed_already)
    plan.visits.sort(key=lambda v: v.site_id)
    plan.loads = {gid: (s.visits, s.capacity) for gid, s in states.items()}
    return plan


def _place_fixed_and_standing(inputs: DayInputs, plan: DayPlan, states: dict[str, _GroupState]) -> set[str]:
    """Visits with a result stay as they are; standing task forces take their sites. Returns those sites."""
    fixed_sites = {f.site_id for f in inputs.fixed}
    for f in sorted(inputs.fixed, key=lambda f: f.site_id):
        if f.group_id in states:
            states[f.group_id].take(f.inspectors)
        site = next((s for s in inputs.sites if s.id == f.site_id), None)
        plan.visits.append(
            PlannedVisit(f.site_id, f.group_id, f.inspectors, "recorded", site.priority if site else 9, "fixed")
        )
    for s in sorted(inputs.standing, key=lambda s: s.site_id):
        if s.site_id not in fixed_sites:
            plan.visits.append(PlannedVisit(s.site_id, s.group_id, s.members, "task_force", 1, "task_force"))
    return fixed_sites | {s.site_id for s in inputs.standing}


Due = tuple[tuple, SiteSpec, str]  # (urgency, site, reason)


def _due(inputs: DayInputs, plan: DayPlan, skip: set[str]) -> list[Due]:
    """The sites due today, most urgent first; due but not inspectable today goes to ``not_inspected_today``."""
    due: list[Due] = []
    for site in inputs.sites:
        if site.id in skip:
            continue
        history = inputs.history.get(site.id, SiteHistory())
        reason = due_reason(site, history, inputs.day)
        if reason is None:
            continue
        if not inspectable(site, inputs.day_kind):
            plan.not_inspected_today.append(site.id)
            continue
        due.append((urgency(site, history, inputs.day, reason), site, reason))
    due.sort(key=lambda item: item[0])
    return due


def _keep_previous(inputs: DayInputs, plan: DayPlan, states: dict[str, _GroupState], due: list[Due]) -> set[str]:
    """Minimal change: first keep every still-valid visit of the day's previous plan, most urgent first."""
    previous = {p.site_id: p for p in inputs.previous}
    kept: set[str] = set()
    for _, site, reason in due:
        before = previous.get(site.id)
        if before is None or before.group_id not in states:
            continue
        history = inputs.history.get(site.id, SiteHistory())
        if states[before.group_id].can_take(before.inspectors, history, inputs.day, inputs.rotation):
            states[before.group_id].take(before.inspectors)
            plan.visits.append(PlannedVisit(site.id, before.group_id, before.inspectors, reason, site.priority))
            kept.add(site.id)
    return kept


def _assign_home_groups(
    inputs: DayInputs, plan: DayPlan, states: dict[str, _GroupState], home: dict[str, str], due: list[Due]
) -> list[tuple[SiteSpec, str, str]]:
    """Each due site to its sector's group; returns those it could not take, with why."""
    leftovers: list[tuple[SiteSpec, str, str]] = []
    for _, site, reason in due:
        history = inputs.history.get(site.id, SiteHistory())
        group_id = home.get(site.sector)
        if group_id is None:
            leftovers.append((site, reason, "no group covers this sector"))
            continue
        state = states[group_id]
        team = state.pick(history, inputs.day, inputs.rotation)
        if team is None:
            why = "own group at capacity" if state.visits >= state.capacity else "no eligible inspector in own group"
            leftovers.append((site, reason, why))
            continue
        state.take(team)
        plan.visits.append(PlannedVisit(site.id, group_id, team, reason, site.priority))
    return leftovers


def _help_or_leave(
    inputs: DayInputs, plan: DayPlan, states: dict[str, _GroupState], leftovers: list[tuple[SiteSpec, str, str]]
) -> None:
    """Other sectors' groups help, least loaded first (when allowed); what nobody takes is left, with why."""
    for site, reason, why in leftovers:
        if inputs.help_other_sectors and _helped(inputs, plan, states, site, reason):
            continue
        plan.left.append((site.id, why if not inputs.help_other_sectors else f"{why}; no group can help"))


def _helped(inputs: DayInputs, plan: DayPlan, states: dict[str, _GroupState], site: SiteSpec, reason: str) -> bool:
    history = inputs.history.get(site.id, SiteHistory())
    for state in sorted(states.values(), key=lambda s: (s.load, s.group.id)):
        if state.group.sector == site.sector:
            continue
        team = state.pick(history, inputs.day, inputs.rotation)
        if team is not None:
            state.take(team)
            plan.visits.append(PlannedVisit(site.id, state.group.id, team, reason, site.priority))
            return True
    return False


def _visit_early(inputs: DayInputs, plan: DayPlan, states: dict, home: dict, skip: set[str]) -> None:  # noqa: ANN001
    placed = set(plan.by_site()) | {s for s, _ in plan.left} | skip | set(plan.not_inspected_today)
    soon: list[tuple[tuple, SiteSpec]] = []
    for site in inputs.sites:
        if site.id in placed or not inspectable(site, inputs.day_kind) or site.sector not in home:
            continue
        history = inputs.history.get(site.id, SiteHistory())
        if history.last_done is None:
            continue
        days_left = site.cadence_days - (inputs.day - history.last_done).days
        if 0 < days_left <= inputs.early_visit_days:
            soon.append(((days_left, site.priority, site.id), site))
    for _, site in sorted(soon, key=lambda item: item[0]):
        state = states[home[site.sector]]
        team = state.pick(inputs.history.get(site.id, SiteHistory()), inputs.day, inputs.rotation)
        if team is not None:
            state.take(team)
            plan.visits.append(PlannedVisit(site.id, state.group.id, team, "early", site.priority))
