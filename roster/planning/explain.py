"""Why a horizon cannot be planned, in the bureau's words (dates, roles, people), never a stack trace.

First cheap counting checks (per shift and role: people available; per month and role: capacity under the
monthly maximum). If those pass and CP-SAT still finds no roster, each rule family is relaxed in turn
(rest, consecutive duties, monthly maximum, not-together pairs): a family whose removal makes the roster
possible is the one to blame, and the relaxed roster shows where it bites.
"""

from __future__ import annotations

from collections import defaultdict

from roster.planning.build import PlanningProblem
from roster.solver.problem import Solution

RELAXABLE = {
    "rest": "minimum rest (rules.min_rest_hours)",
    "consecutive": "maximum consecutive duties (rules.max_consecutive_duties)",
    "limits": "maximum duties per month (rules.max_duties_per_month)",
    "pairs": "people never on duty together (rules.not_together)",
}


def precheck(pp: PlanningProblem) -> list[str]:
    out = []
    problem = pp.problem
    by_role: dict[str, list[str]] = defaultdict(list)
    for person in problem.people:
        for role in person.roles:
            by_role[role].append(person.id)
    missing_roles = [r for r in pp.requirements if not by_role[r]]
    for role in missing_roles:
        out.append(f"{role}: needs {pp.requirements[role]} per shift, but nobody in the bureau has this role")
    for cover in problem.cover:
        if cover.role in missing_roles or not cover.min:
            continue
        available = [pid for pid in by_role[cover.role] if (pid, (cover.day, cover.shift)) not in pp.unavailable_why]
        if len(available) < cover.min:
            day = pp.date_of(cover.day)
            reasons = [
                f"{pid} {pp.unavailable_why[(pid, (cover.day, cover.shift))]}"
                for pid in by_role[cover.role]
                if (pid, (cover.day, cover.shift)) in pp.unavailable_why
            ]
            slot = "" if cover.shift == "full" else f" {cover.shift}"
            out.append(
                f"{day}{slot} {cover.role}: needs {cover.min}, only {len(available)} available"
                + (": " + ", ".join(reasons) if reasons else "")
            )
    if not out:
        out += _daily_capacity(pp, by_role)
    out += _monthly_capacity(pp, by_role)
    return out


def _daily_capacity(pp: PlanningProblem, by_role: dict[str, list[str]]) -> list[str]:
    """Nobody takes two shifts on one day: a day's shifts of a role need that many distinct people."""
    out = []
    needed: dict[tuple[int, str], int] = defaultdict(int)
    shifts_of_day: dict[int, list[str]] = defaultdict(list)
    for cover in pp.problem.cover:
        if cover.role:
            needed[(cover.day, cover.role)] += cover.min
            shifts_of_day[cover.day].append(cover.shift)
    for (day, role), n in sorted(needed.items()):
        if len(set(shifts_of_day[day])) < 2:
            continue
        free = [
            pid
            for pid in by_role[role]
            if any((pid, (day, s)) not in pp.unavailable_why for s in set(shifts_of_day[day]))
        ]
        if len(free) < n:
            out.append(
                f"{pp.date_of(day)} {role}: the day's shifts need {n} different people, only {len(free)} available"
            )
    return out


def _monthly_capacity(pp: PlanningProblem, by_role: dict[str, list[str]]) -> list[str]:
    """Seats a role needs in a month vs the most its people may take (limit, and days they are available)."""
    out = []
    problem = pp.problem
    limits = {p.id: {lim.label: lim for lim in p.limits} for p in problem.people}
    needed: dict[tuple[str, str], int] = defaultdict(int)
    label_of_day = {d: lim.label for p in problem.people for lim in p.limits for d in lim.days}
    for cover in problem.cover:
        if cover.role and cover.day in label_of_day:
            needed[(label_of_day[cover.day], cover.role)] += cover.min
    for (label, role), n in sorted(needed.items()):
        people = [pid for pid in by_role[role] if len(problem.person(pid).roles) == 1]
        if len(people) != len(by_role[role]):
            continue  # people with several roles: a per-role count would be wrong, leave it to the solver
        capacity = sum(limits[pid][label].max_shifts for pid in people if label in limits[pid])
        if capacity < n:
            out.append(
                f"{label} {role}: needs {n} duties, but its {len(people)} people may take at most {capacity} "
                f"(max_duties_per_month {pp.bureau.rules.max_duties_per_month}, less duties already stored that month)"
            )
    return out


def relax(pp: PlanningProblem, time_limit_s: float) -> list[str]:
    from roster.solver.cpsat import solve

    per_try = max(1.0, time_limit_s / (len(RELAXABLE) + 1))
    blamed = []
    for family, rule in RELAXABLE.items():
        result = solve(pp.problem, per_try, soften=[family])
        if result.ok:
            examples = _where(pp, family, result.solution)
            blamed.append(f"{rule} cannot be met" + (": " + "; ".join(examples[:5]) if examples else ""))
    if blamed:
        return blamed
    result = solve(pp.problem, per_try, soften=list(RELAXABLE))
    if result.ok:
        lines = []
        for family, rule in RELAXABLE.items():
            examples = _where(pp, family, result.solution)
            if examples:
                lines.append(f"{rule} cannot be met together with the other rules: " + "; ".join(examples[:5]))
        return lines or ["no roster meets every rule together; relax a rule, add people, or shorten leave"]
    if result.status == "infeasible":
        return ["not enough eligible people to fill every shift, even ignoring rest, consecutive and monthly rules"]
    return [f"no roster found within {time_limit_s:.0f} s; try a longer --time-limit"]


def _where(pp: PlanningProblem, family: str, solution: Solution | None) -> list[str]:
    """Where the relaxed roster breaks the relaxed family (examples for the message)."""
    if solution is None:
        return []
    problem = pp.problem
    out = []
    days_of = {pid: sorted(days) for pid, days in solution.assignments.items()}
    if family == "rest":
        for c in problem.conflicts:
            for pid, days in solution.assignments.items():
                a, b = days.get(c.first[0]), days.get(c.second[0])
                if a and b and a.shift == c.first[1] and b.shift == c.second[1]:
                    out.append(f"{pid} on {pp.date_of(c.first[0])} and {pp.date_of(c.second[0])}")
    elif family == "consecutive":
        for person in problem.people:
            run = person.worked_before
            for d in range(problem.days + 1):
                if d < problem.days and d in days_of.get(person.id, []):
                    run += 1
                    continue
                if person.max_consecutive is not None and run > person.max_consecutive:
                    out.append(f"{person.id}: {run} duties in a row up to {pp.date_of(d - 1)}")
                run = 0
    elif family == "limits":
        for person in problem.people:
            for lim in person.limits:
                n = sum(1 for d in days_of.get(person.id, []) if d in lim.days)
                if n > lim.max_shifts:
                    out.append(f"{person.id}: would need {n} duties in {lim.label} (at most {lim.max_shifts} more)")
    elif family == "pairs":
        for pair in problem.not_together:
            for d in range(problem.days):
                a, b = solution.on(pair.a, d), solution.on(pair.b, d)
                if a and b and a.shift == b.shift:
                    out.append(f"{pair.a} and {pair.b} both on {pp.date_of(d)}")
    return out
