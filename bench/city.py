"""Benchmark: the roster at city scale (issue 14), beside bench/roster.py: 40 departments x 50 staff, each
with its own duty post, planned for 2026.

Each department is an independent bureau (the seed's rules, requirements and ledger; 8 leaders and 42
officers; its leaves moved by a few days per department) with its own database, planned month by month
through the real ``plan`` path. Departments share nothing, so the city is planned two departments at a time
(one per core). Then one department's published March meets a sudden week of sick leave: the re-plan keeps
the rest of the month (minimal change) and is timed alone; the same month planned from scratch on the same
facts is counted against it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import multiprocessing
import os
import tempfile
import time
from typing import Any

from bench.roster import NOW, bench_bureau, plan_year

DEPARTMENTS = 40
OFFICERS = 42  # + 8 leaders = 50 staff per department
CITY_TARGET_S = 60.0
REPLAN_TARGET_S = 2.0
# Per monthly window. Most prove optimal in well under a second; on a machine shared with a dozen other
# processes a month with a long leave needed more than the bureau benchmark's 2 s on one worker.
WINDOW_LIMIT_S = 8.0
LEAVE_FIRST, LEAVE_LAST = dt.date(2026, 3, 10), dt.date(2026, 3, 16)
MONTH, MONTH_DAYS = dt.date(2026, 3, 1), 31


def department(index: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        # One CP-SAT worker each: the two departments planned at once already fill the two cores (a month that
        # finds nothing in time is tried once more, longer, on two: plan_year).
        bureau = bench_bureau(OFFICERS, leave_shift=index % 7)
        try:
            return plan_year(f"sqlite:///{tmp}/dept.db", bureau, workers=1, window_limit=WINDOW_LIMIT_S)
        except RuntimeError as exc:  # a month without a roster: reported as a failed department, not a crash
            return {"error": f"department {index + 1}: {exc}", "spreads": {}, "statuses": []}


def plan_city(departments: int = DEPARTMENTS, processes: int = 2) -> dict[str, Any]:
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        results = pool.map(department, range(departments))
    seconds = time.perf_counter() - started
    worst: dict[str, int] = {}
    for r in results:
        for key, spread in r["spreads"].items():
            worst[key] = max(worst.get(key, 0), spread)
    statuses = [s for r in results for s in r["statuses"]]
    errors = [r["error"] for r in results if "error" in r]
    return {
        "seconds": seconds,
        "worst_spreads": worst,
        "optimal": statuses.count("optimal"),
        "windows": len(statuses),
        "errors": errors,
        "cpu": sum(r.get("cpu_seconds", 0.0) for r in results),
    }


def _month_seats(session) -> set[tuple[dt.date, str, str, str]]:  # noqa: ANN001
    from roster.planning.stored import seats_between

    last = MONTH + dt.timedelta(days=MONTH_DAYS - 1)
    return {(s.duty_date, s.slot, s.role, s.person) for s in seats_between(session, MONTH, last)}


def _changed_shifts(before: set, after: set) -> int:
    """Shifts (date, slot) whose people or roles differ."""
    return len({(d, slot) for d, slot, _, _ in before ^ after})


def sudden_leave() -> dict[str, Any]:
    """Plan one department's year, then give an officer with duties in 10-16 March a week of sick leave and
    re-plan March, published: minimal change vs from scratch on the same facts."""
    from roster.planning.build import build_problem
    from roster.solver.cpsat import solve
    from roster.storage import session_scope
    from roster.storage.models.people import Leave

    bureau = bench_bureau(OFFICERS)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/dept.db"
        plan_year(url, bureau)
        with session_scope(url) as s:
            published = _month_seats(s)
            mine = sorted(
                (d, p) for d, _, role, p in published if role == "duty_officer" and LEAVE_FIRST <= d <= LEAVE_LAST
            )
            duties: dict[str, int] = {}
            for _, p in mine:
                duties[p] = duties.get(p, 0) + 1
            person = max(sorted(duties), key=lambda p: duties[p])  # the officer the leave hits hardest
            must = duties[person]
            s.add(Leave(person_id=person, first_day=LEAVE_FIRST, last_day=LEAVE_LAST, reason="病假"))
        with session_scope(url) as s:  # from scratch: the same facts, no published roster to keep
            pp = build_problem(s, bureau, MONTH, MONTH_DAYS, NOW)
            scratch = solve(dataclasses.replace(pp.problem, previous=None, change_weight=0), 10.0)
            fresh = {
                (MONTH + dt.timedelta(days=day), a.shift, a.role, pid)
                for pid, days in scratch.solution.assignments.items()
                for day, a in days.items()
            }
            scratch_changed = _changed_shifts(published, fresh)
        from roster.planning.plan import plan

        with session_scope(url) as s:
            started = time.perf_counter()
            report = plan(s, bureau, MONTH, MONTH_DAYS, NOW, actor="bench", time_limit_s=REPLAN_TARGET_S)
            seconds = time.perf_counter() - started
        with session_scope(url) as s:
            after = _month_seats(s)
    on_leave = [x for x in after if x[3] == person and LEAVE_FIRST <= x[0] <= LEAVE_LAST]
    return {
        "seconds": seconds,
        "status": report.status,
        "person": person,
        "must": must,
        "changed": _changed_shifts(published, after),
        "scratch_changed": scratch_changed,
        "still_on_leave_duty": len(on_leave),
    }


def run() -> list[dict]:
    if os.environ.get("DUTYFLOW_BENCH_CITY", "1") == "0":  # the city takes about a minute; 0 skips it
        return []
    city = plan_city()
    leave = sudden_leave()
    spreads_ok = all(v <= 1 for v in city["worst_spreads"].values())
    return [
        {
            "benchmark": "city",
            "case": f"city: {DEPARTMENTS} departments x 50 staff, year 2026, monthly windows",
            "seconds": round(city["seconds"], 2),
            "baseline_seconds": None,
            "ratio": None,
            "peak_mb": None,
            "target": f"<= {CITY_TARGET_S:g} s on 2 cores; every spread <= 1 in every department",
            "ok": city["seconds"] <= CITY_TARGET_S and spreads_ok and not city["errors"],
            "notes": (
                f"worst spread over the departments {city['worst_spreads']}; {city['optimal']}/{city['windows']} "
                "monthly windows proved optimal; two departments at a time (one per core), shared machine: "
                f"{city['cpu']:.0f} CPU s in all, i.e. {city['cpu'] / 2:.0f} s on two free cores"
                + (f"; FAILED: {city['errors']}" if city["errors"] else "")
            ),
        },
        {
            "benchmark": "city",
            "case": "city: sudden week of sick leave in a published month, minimal-change re-plan",
            "seconds": round(leave["seconds"], 3),
            "baseline_seconds": None,
            "ratio": None,
            "peak_mb": None,
            "target": f"<= {REPLAN_TARGET_S:g} s; changes only the shifts it must",
            "ok": leave["seconds"] <= REPLAN_TARGET_S
            and leave["changed"] == leave["must"]
            and not leave["still_on_leave_duty"],
            "notes": (
                f"{leave['person']} had {leave['must']} duties in the leave; the re-plan ({leave['status']}) changed "
                f"{leave['changed']} shifts of March, a plan from scratch on the same facts would change "
                f"{leave['scratch_changed']}"
            ),
        },
    ]
