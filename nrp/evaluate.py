"""Score a roster against a benchmark instance by the published rules, independently of any solver model.

Written from the instance page of the Shift Scheduling Benchmark ("Nurse Rostering Instances 1..24",
schedulingbenchmarks.org), not from ``roster.solver``: it is the referee the solver is checked against.

Hard constraints (each broken one is a :class:`Violation`, the roster is then infeasible):

``one_shift_per_day``  an employee works at most one shift a day.
``shift_rotation``     a shift listed as "cannot follow" is not worked the day after. The day before day 0 and the
                       day after the horizon count as days off, so nothing crosses the edges.
``max_shifts``         at most MaxShifts[s] shifts of type s (a type missing from MaxShifts is unlimited).
``max_total_minutes`` / ``min_total_minutes``  the sum of the worked shifts' lengths.
``max_consecutive_shifts``  no run of worked days longer than the maximum. Outside the horizon is off, so a run
                       touching day 0 or the last day is measured as it is.
``min_consecutive_shifts``  no run of worked days shorter than the minimum, EXCEPT a run touching day 0 or the
                       last day: the rules assume an unbounded run of shifts just outside the horizon.
``min_consecutive_days_off``  likewise for runs of days off: one touching either edge is exempt (an unbounded
                       run of days off is assumed outside).
``max_weekends``       at most MaxWeekends weekends worked; a weekend (Saturday = day 5 + 7k, Sunday = 6 + 7k; day 0
                       is a Monday) is worked when any shift falls on either day. A weekend cut by the horizon's
                       end counts by the days it has.
``days_off``           no shift at all on an employee's listed days off.
``unknown``            the roster names an employee, shift or day the instance does not have.

Soft constraints (the objective, lower is better):

``shift_on_requests``   weight, for each request whose shift is not worked on that day (another shift or a day off
                        both count as not granted).
``shift_off_requests``  weight, for each request whose shift is worked on that day.
``cover_under`` / ``cover_over``  for each (day, shift) in SECTION_COVER: under weight x (requirement - staffed)
                        when short, over weight x (staffed - requirement) when over. A (day, shift) absent from the
                        section has no requirement and costs nothing.

The published best-known values (Instance1 607, Instance2 828, Instance3 1001) are sums of exactly these four
terms; the tests check this evaluator agrees with the solver's own objective on every solution it returns.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from nrp.parser import NrpInstance, NrpShift, NrpStaff

Assignment = tuple[str, int, str]  # (employee id, day index, shift id)

HARD_RULES = (
    "unknown",
    "one_shift_per_day",
    "shift_rotation",
    "max_shifts",
    "max_total_minutes",
    "min_total_minutes",
    "max_consecutive_shifts",
    "min_consecutive_shifts",
    "min_consecutive_days_off",
    "max_weekends",
    "days_off",
)
SOFT_TERMS = ("shift_on_requests", "shift_off_requests", "cover_under", "cover_over")


@dataclass(frozen=True)
class Violation:
    rule: str  # one of HARD_RULES
    employee: str | None
    day: int | None  # first day concerned, when the rule is about days
    message: str


@dataclass(frozen=True)
class Evaluation:
    violations: tuple[Violation, ...]
    breakdown: Mapping[str, int] = field(default_factory=dict)  # SOFT_TERMS -> weighted penalty

    @property
    def feasible(self) -> bool:
        return not self.violations

    @property
    def penalty(self) -> int:
        return sum(self.breakdown.values())

    def summary(self) -> str:
        state = "feasible" if self.feasible else f"INFEASIBLE ({len(self.violations)} hard violations)"
        terms = ", ".join(f"{k} {v}" for k, v in self.breakdown.items())
        return f"penalty {self.penalty} ({terms}); {state}"


def runs(worked: list[bool], value: bool) -> list[tuple[int, int]]:
    """(first day, length) of each maximal run of days where ``worked[d] == value``."""
    out: list[tuple[int, int]] = []
    start: int | None = None
    for d, w in enumerate(worked):
        if w == value and start is None:
            start = d
        elif w != value and start is not None:
            out.append((start, d - start))
            start = None
    if start is not None:
        out.append((start, len(worked) - start))
    return out


def evaluate(instance: NrpInstance, assignments: Iterable[Assignment]) -> Evaluation:
    """Check every hard rule and compute the soft penalty of a roster given as (employee, day, shift) triples."""
    shifts = {s.id: s for s in instance.shifts}
    violations: list[Violation] = []
    roster = _roster(instance, assignments, violations)
    for e in instance.staff:
        days = roster.get(e.id, {})
        worked = [bool(days.get(d)) for d in range(instance.horizon)]
        violations += _daily_violations(e, days, shifts)
        violations += _total_violations(e, days, shifts)
        violations += _run_violations(e, worked)
        violations += _calendar_violations(instance, e, worked)
    return Evaluation(tuple(violations), _soft_costs(instance, roster))


def _roster(
    instance: NrpInstance, assignments: Iterable[Assignment], violations: list[Violation]
) -> dict[str, dict[int, list[str]]]:
    """employee -> day -> shifts worked that day (a list: a broken roster may hold several). Triples naming what
    the instance does not have are reported as ``unknown`` and left out."""
    shifts = {s.id for s in instance.shifts}
    staff = {e.id for e in instance.staff}
    roster: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    for employee, day, shift in assignments:
        if employee not in staff or shift not in shifts or not 0 <= day < instance.horizon:
            violations.append(
                Violation("unknown", employee, day, f"{employee} day {day} shift {shift}: not in the instance")
            )
            continue
        roster[employee][day].append(shift)
    return roster


def _daily_violations(e: NrpStaff, days: Mapping[int, list[str]], shifts: Mapping[str, NrpShift]) -> list[Violation]:
    """``one_shift_per_day`` then ``shift_rotation``, in day order."""
    out: list[Violation] = []
    for day in sorted(days):
        if len(days[day]) > 1:
            out.append(Violation("one_shift_per_day", e.id, day, f"{e.id} works {'+'.join(days[day])} on day {day}"))
    for day in sorted(days):
        for first in days[day]:
            for second in days.get(day + 1, []):
                if second in shifts[first].cannot_follow:
                    out.append(
                        Violation("shift_rotation", e.id, day, f"{e.id}: {second} on day {day + 1} follows {first}")
                    )
    return out


def _total_violations(e: NrpStaff, days: Mapping[int, list[str]], shifts: Mapping[str, NrpShift]) -> list[Violation]:
    """``max_shifts``, ``max_total_minutes`` and ``min_total_minutes``: counts over the whole horizon."""
    out: list[Violation] = []
    counts = Counter(s for worked in days.values() for s in worked)
    for shift, limit in e.max_shifts.items():
        if counts[shift] > limit:
            out.append(Violation("max_shifts", e.id, None, f"{e.id}: {counts[shift]} x {shift} > {limit}"))
    minutes = sum(shifts[s].minutes * n for s, n in counts.items())
    if minutes > e.max_total_minutes:
        out.append(Violation("max_total_minutes", e.id, None, f"{e.id}: {minutes} min > {e.max_total_minutes}"))
    if minutes < e.min_total_minutes:
        out.append(Violation("min_total_minutes", e.id, None, f"{e.id}: {minutes} min < {e.min_total_minutes}"))
    return out


def _run_violations(e: NrpStaff, worked: list[bool]) -> list[Violation]:
    """The consecutive-day rules; the minimums exempt a run touching either edge of the horizon (see above)."""
    out: list[Violation] = []
    horizon = len(worked)
    for start, length in runs(worked, True):
        if length > e.max_consecutive_shifts:
            out.append(
                Violation(
                    "max_consecutive_shifts",
                    e.id,
                    start,
                    f"{e.id}: {length} shifts in a row from day {start} > {e.max_consecutive_shifts}",
                )
            )
        touches_edge = start == 0 or start + length == horizon
        if length < e.min_consecutive_shifts and not touches_edge:
            out.append(
                Violation(
                    "min_consecutive_shifts",
                    e.id,
                    start,
                    f"{e.id}: {length} shifts in a row from day {start} < {e.min_consecutive_shifts}",
                )
            )
    for start, length in runs(worked, False):
        touches_edge = start == 0 or start + length == horizon
        if length < e.min_consecutive_days_off and not touches_edge:
            out.append(
                Violation(
                    "min_consecutive_days_off",
                    e.id,
                    start,
                    f"{e.id}: {length} days off in a row from day {start} < {e.min_consecutive_days_off}",
                )
            )
    return out


def _calendar_violations(instance: NrpInstance, e: NrpStaff, worked: list[bool]) -> list[Violation]:
    """``max_weekends`` then ``days_off``: rules tied to particular days of the horizon."""
    out: list[Violation] = []
    weekends = sum(1 for weekend in instance.weekends() if any(worked[d] for d in weekend))
    if weekends > e.max_weekends:
        out.append(Violation("max_weekends", e.id, None, f"{e.id}: {weekends} weekends > {e.max_weekends}"))
    for day in sorted(instance.days_off.get(e.id, ())):
        if worked[day]:
            out.append(Violation("days_off", e.id, day, f"{e.id} works on day off {day}"))
    return out


def _soft_costs(instance: NrpInstance, roster: Mapping[str, Mapping[int, list[str]]]) -> dict[str, int]:
    """SOFT_TERMS -> weighted penalty."""

    def works(employee: str, day: int, shift: str) -> bool:
        return shift in roster.get(employee, {}).get(day, ())

    staffed = Counter((d, s) for days in roster.values() for d, worked in days.items() for s in worked)
    return {
        "shift_on_requests": sum(r.weight for r in instance.on_requests if not works(r.employee, r.day, r.shift)),
        "shift_off_requests": sum(r.weight for r in instance.off_requests if works(r.employee, r.day, r.shift)),
        "cover_under": sum(c.under_weight * max(0, c.requirement - staffed[c.day, c.shift]) for c in instance.cover),
        "cover_over": sum(c.over_weight * max(0, staffed[c.day, c.shift] - c.requirement) for c in instance.cover),
    }
