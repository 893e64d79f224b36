"""Benchmark: assign one simulated year (2026) of inspections for the seed's 296 sites and six groups.

The planner (roster.inspections.planner) runs day by day with every visit completed, 2026's real holiday
calendar, the file's leave, and a rotating duty roster (3 people a day kept home). Beside it, in the same
run, a plain greedy baseline: each group takes its own sector's due sites in id order, first free members
by id, no priorities, no helping, no rotation rule. Reported: wall time, peak memory (tracemalloc), cadence
misses (site-days past cadence and not visited), mean daily load spread across groups (max - min of
visits/capacity), and rotation-rule violations.

Run: ``python -m bench.inspections`` (prints JSON rows) or through ``python -m bench``.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import tracemalloc
from pathlib import Path
from typing import Any

YEAR_START = dt.date(2026, 1, 1)
YEAR_DAYS = 365
TARGET_SECONDS = 5.0


def _world():  # noqa: ANN202
    from ruamel.yaml import YAML

    from roster.admin.schema import BureauFile
    from roster.holidays import HolidayCalendar
    from roster.inspections import planner

    root = Path(__file__).resolve().parent.parent
    bureau = BureauFile.model_validate(YAML(typ="safe").load((root / "examples" / "chuxiong.yaml").read_text("utf-8")))
    section = bureau.inspections
    standing = {tf.site for tf in section.task_forces}
    stationed = {m for tf in section.task_forces for m in tf.members}
    sites = tuple(
        planner.SiteSpec(
            id=s.id, sector=section.sector_of(s), cadence_days=s.cadence_days or section.site_type(s.type).cadence_days,
            priority=s.priority or section.site_type(s.type).priority,
            on_weekends=section.site_type(s.type).on_weekends, on_holidays=section.site_type(s.type).on_holidays,
        )
        for s in section.sites
        if s.id not in standing
    )  # fmt: skip
    groups = tuple(
        planner.GroupSpec(
            g.id, g.sector, tuple(sorted(p.id for p in bureau.people if g.id in p.groups and p.id not in stationed))
        )
        for g in bureau.groups
    )
    calendar = HolidayCalendar.from_section(bureau.holidays)
    duty_pool = sorted(p.id for p in bureau.people if p.roles)
    leave = [(s.person, s.first_day, s.last_day) for s in bureau.leave]

    def unavailable(day: dt.date) -> set[str]:
        i = (day - YEAR_START).days * 3
        on_duty = {duty_pool[(i + k) % len(duty_pool)] for k in range(3)}
        return on_duty | {p for p, a, b in leave if a <= day <= b}

    capacity = planner.Capacity(**section.capacity.model_dump())
    rotation = planner.Rotation(**section.rotation.model_dump())
    # The year's day kinds are looked up once, as the stored path reads them once per day.
    kinds = {YEAR_START + dt.timedelta(days=i): str(calendar.kind(YEAR_START + dt.timedelta(days=i)))
             for i in range(YEAR_DAYS)}  # fmt: skip
    return sites, groups, capacity, rotation, kinds.__getitem__, unavailable, section.early_visit_days


def baseline_plan(inputs):  # noqa: ANN001, ANN201
    """Greedy without the planner's care: own sector only, id order, first free members, no rotation rule."""
    from roster.inspections import planner

    result = planner.DayPlan(day=inputs.day)
    for group in sorted(inputs.groups, key=lambda g: g.id):
        cap = inputs.capacity.of(len(group.members))
        used = dict.fromkeys(group.members, 0)
        n = 0
        for site in sorted(inputs.sites, key=lambda s: s.id):
            history = inputs.history.get(site.id, planner.SiteHistory())
            if site.sector != group.sector or not planner.inspectable(site, inputs.day_kind):
                continue
            if planner.due_reason(site, history, inputs.day) is None:
                continue
            free = [p for p in group.members if used[p] < inputs.capacity.visits_per_inspector]
            if n >= cap or len(free) < inputs.capacity.inspectors_per_visit:
                result.left.append((site.id, "capacity"))
                continue
            team = tuple(free[: inputs.capacity.inspectors_per_visit])
            for p in team:
                used[p] += 1
            n += 1
            result.visits.append(planner.PlannedVisit(site.id, group.id, team, "due", site.priority))
        result.loads[group.id] = (n, cap)
    return result


def rotation_violations(sim, sites, max_consecutive: int) -> int:  # noqa: ANN001
    count = 0
    for s in sites:
        streaks: dict[str, int] = {}
        for _, team in sim.visits_of(s.id):
            streaks = {p: streaks.get(p, 0) + 1 for p in team}
            count += sum(1 for n in streaks.values() if n > max_consecutive)
    return count


def _measure(plan, early: bool = True) -> tuple[float, float, Any]:  # noqa: ANN001
    from roster.inspections.simulate import simulate

    sites, groups, capacity, rotation, day_kind, unavailable, early_days = _world()

    def year():  # noqa: ANN202
        return simulate(YEAR_START, YEAR_DAYS, sites, groups, capacity=capacity, rotation=rotation,
                        day_kind=day_kind, unavailable=unavailable, plan=plan,
                        early_visit_days=early_days if early else 0)  # fmt: skip

    started = time.perf_counter()
    sim = year()
    seconds = time.perf_counter() - started
    tracemalloc.start()  # a second run for memory: tracemalloc slows the timed one several-fold
    year()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return seconds, peak, (sim, sites, rotation, day_kind)


def _figures(sim, sites, rotation, day_kind) -> dict[str, Any]:  # noqa: ANN001
    from roster.inspections.simulate import cadence_misses, load_spread

    return {
        "cadence_misses": cadence_misses(sim, sites, day_kind),
        "misses_after_first_week": cadence_misses(sim, sites, day_kind, skip_days=7),
        "load_spread": round(load_spread(sim), 3),
        "rotation_violations": rotation_violations(sim, sites, rotation.max_consecutive_visits),
        "visits": sum(len(p.visits) for p in sim.days),
    }


def _stored_days() -> int:
    from bench import quick

    return 7 if quick() else 28


def _assign_stored(start: dt.date, days: int) -> float:
    """Seconds ``jobs.assign_day`` takes over ``days`` mornings on a fresh SQLite bureau (every visit recorded
    ok each evening, as the inspectors would)."""
    import os
    import sys
    import tempfile

    from sqlalchemy import select

    from roster.inspections.jobs import assign_day
    from roster.inspections.results import record_result
    from roster.storage import open_session, reset_engines
    from roster.storage.models.inspections import InspectionVisit

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.inspections_helpers import install_bureau, seed_bureau

    with tempfile.TemporaryDirectory() as home:
        old_home = os.environ.get("DUTYFLOW_HOME")
        os.environ["DUTYFLOW_HOME"] = home
        url = f"sqlite:///{home}/bench.db"
        try:
            with open_session(url) as s:
                install_bureau(s, seed_bureau(), dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
            assign_seconds = 0.0
            for i in range(days):
                day = start + dt.timedelta(days=i)
                morning = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)  # 08:00 Shanghai
                t0 = time.perf_counter()
                assign_day(morning, url)
                assign_seconds += time.perf_counter() - t0
                with open_session(url) as s:
                    for site_id in s.scalars(select(InspectionVisit.site_id).where(InspectionVisit.day == day)):
                        record_result(s, site_id=site_id, day=day, outcome="ok", now=morning + dt.timedelta(hours=8))
                    s.commit()
        finally:
            reset_engines()
            if old_home is None:
                os.environ.pop("DUTYFLOW_HOME", None)
            else:
                os.environ["DUTYFLOW_HOME"] = old_home
    return assign_seconds


def stored_path() -> dict[str, Any]:
    """Four weeks (one with --quick) through the real stored path (SQLite, ``jobs.assign_day`` with leader
    messages), every visit recorded ok each evening; baseline: the same days planned in memory."""
    import resource

    from roster.inspections.simulate import simulate

    start = dt.date(2026, 3, 2)
    days = _stored_days()
    assign_seconds = _assign_stored(start, days)
    sites, groups, capacity, rotation, day_kind, unavailable, early = _world()
    t0 = time.perf_counter()
    simulate(start, days, sites, groups, capacity=capacity, rotation=rotation, day_kind=day_kind,
             unavailable=unavailable, early_visit_days=early)  # fmt: skip
    memory_seconds = time.perf_counter() - t0
    return {
        "benchmark": "inspections",
        "case": f"stored_assign_{days}_days_sqlite",
        "seconds": round(assign_seconds, 3),
        "baseline_seconds": round(memory_seconds, 3),
        "ratio": round(assign_seconds / memory_seconds, 1) if memory_seconds else None,
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "target": "< 1 s per day through the stored path",
        "ok": assign_seconds / days < 1.0,
        "notes": f"{assign_seconds / days * 1000:.0f} ms per day (inputs, hash, plan, store, 6 messages); "
        f"baseline: the same days planned in memory; peak_mb is the process's max RSS",
    }


def run() -> list[dict[str, Any]]:
    from roster.inspections.planner import plan_day

    seconds, peak, ours = _measure(plan_day)
    _, _, no_early = _measure(plan_day, early=False)
    base_seconds, _, theirs = _measure(baseline_plan)
    mine, base, plain = _figures(*ours), _figures(*theirs), _figures(*no_early)
    notes = (
        f"without early visits: misses {plain['cadence_misses']}, load spread {plain['load_spread']}; "
        f"planner: misses {mine['cadence_misses']} (after week 1: {mine['misses_after_first_week']}), load spread "
        f"{mine['load_spread']}, rotation violations {mine['rotation_violations']}, visits {mine['visits']}; "
        f"greedy baseline: misses {base['cadence_misses']} (after week 1: {base['misses_after_first_week']}), "
        f"load spread {base['load_spread']}, rotation violations {base['rotation_violations']}, visits "
        f"{base['visits']}"
    )
    return [
        {
            "benchmark": "inspections",
            "case": "assign_year_296_sites",
            "seconds": round(seconds, 3),
            "baseline_seconds": round(base_seconds, 3),
            "ratio": round(seconds / base_seconds, 2) if base_seconds else None,
            "peak_mb": round(peak, 1),
            "target": f"< {TARGET_SECONDS:.0f} s; fewer cadence misses and lower load spread than the baseline",
            "ok": seconds < TARGET_SECONDS
            and mine["cadence_misses"] <= base["cadence_misses"]
            and mine["load_spread"] <= base["load_spread"]
            and mine["rotation_violations"] == 0,
            "notes": notes,
        },
        stored_path(),
    ]


if __name__ == "__main__":
    print(json.dumps(run(), ensure_ascii=False, indent=2))
