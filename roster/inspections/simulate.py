"""Run the planner over many days in memory, every visit completed: used by the property tests and the
benchmark to measure cadence misses, load spread and rotation without a database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from roster.inspections import planner


@dataclass
class Simulation:
    days: list[planner.DayPlan] = field(default_factory=list)
    available: list[dict[str, tuple[str, ...]]] = field(default_factory=list)  # per day: group -> members

    def visits_of(self, site_id: str) -> list[tuple[dt.date, tuple[str, ...]]]:
        return [(p.day, v.inspectors) for p in self.days for v in p.visits if v.site_id == site_id]


def simulate(
    start: dt.date,
    days: int,
    sites: tuple[planner.SiteSpec, ...],
    groups: tuple[planner.GroupSpec, ...],
    *,
    capacity: planner.Capacity = planner.Capacity(),
    rotation: planner.Rotation = planner.Rotation(),
    help_other_sectors: bool = True,
    early_visit_days: int = 0,
    day_kind: Callable[[dt.date], str] = lambda d: "workday",
    unavailable: Callable[[dt.date], set[str]] = lambda d: set(),
    plan: Callable[[planner.DayInputs], planner.DayPlan] = planner.plan_day,
    keep_recent: int = 8,
) -> Simulation:
    last_done: dict[str, dt.date] = {}
    recent: dict[str, list[tuple[dt.date, tuple[str, ...]]]] = {}
    sim = Simulation()
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        away = unavailable(day)
        today = tuple(replace(g, members=tuple(m for m in g.members if m not in away)) for g in groups)
        history = {
            s.id: planner.SiteHistory(last_done=last_done.get(s.id), recent=tuple(recent.get(s.id, ()))) for s in sites
        }
        result = plan(
            planner.DayInputs(
                day=day, day_kind=day_kind(day), sites=sites, groups=today, history=history, capacity=capacity,
                rotation=rotation, help_other_sectors=help_other_sectors,
                early_visit_days=early_visit_days,
            )
        )  # fmt: skip
        for v in result.visits:
            last_done[v.site_id] = day
            recent.setdefault(v.site_id, []).insert(0, (day, v.inspectors))
            del recent[v.site_id][keep_recent:]
        sim.days.append(result)
        sim.available.append({g.id: g.members for g in today})
    return sim


def cadence_misses(
    sim: Simulation,
    sites: tuple[planner.SiteSpec, ...],
    day_kind=lambda d: "workday",
    skip_days: int = 0,  # noqa: ANN001
) -> int:
    """Days on which a site was past its cadence and inspectable but not visited (first visit: day 0 due);
    the first ``skip_days`` days (the cold start, when every site is due at once) are not counted."""
    misses = 0
    last: dict[str, dt.date | None] = {s.id: None for s in sites}
    for index, plan in enumerate(sim.days):
        visited = plan.by_site()
        for s in sites:
            due = last[s.id] is None or (plan.day - last[s.id]).days >= s.cadence_days
            if due and index >= skip_days and s.id not in visited and planner.inspectable(s, day_kind(plan.day)):
                misses += 1
            if s.id in visited:
                last[s.id] = plan.day
    return misses


def load_spread(sim: Simulation) -> float:
    """Mean over days of (highest - lowest) group utilisation (visits / capacity), groups with capacity only."""
    spreads = []
    for plan in sim.days:
        ratios = [n / c for n, c in plan.loads.values() if c]
        if ratios:
            spreads.append(max(ratios) - min(ratios))
    return sum(spreads) / len(spreads) if spreads else 0.0
