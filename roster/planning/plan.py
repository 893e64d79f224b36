"""Plan a horizon and store it: minimal change against what is stored, exact change list, audit entry.

``plan`` writes in the caller's transaction (the caller commits): either every shift of the horizon is
written or, on any error or an infeasible horizon, nothing is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session, selectinload

from roster.admin.schema import BureauFile
from roster.planning.build import PlanningProblem, build_problem, slot_categories
from roster.planning.explain import precheck, relax
from roster.shifts import ShiftSlot
from roster.solver.problem import Solution
from roster.storage.models.shifts import AuditEntry, Shift, ShiftAssignment
from roster.timeutil import as_utc


@dataclass(frozen=True)
class SeatChange:
    role: str
    old: list[str]
    new: list[str]


@dataclass(frozen=True)
class ShiftChange:
    uid: str
    duty_date: dt.date
    slot: str
    seats: list[SeatChange]  # only roles whose people changed
    times_changed: bool = False


@dataclass
class PlanReport:
    start: dt.date
    days: int
    status: str  # "optimal", "feasible", "infeasible", "unknown"
    objective: int | None = None
    breakdown: dict[str, int] = field(default_factory=dict)
    wall_seconds: float = 0.0
    created: int = 0  # shifts stored for the first time
    unchanged: int = 0
    changes: list[ShiftChange] = field(default_factory=list)  # stored shifts whose people or times changed
    removed: list[str] = field(default_factory=list)  # uids of stored shifts the pattern no longer has
    explanations: list[str] = field(default_factory=list)  # why nothing was planned

    @property
    def ok(self) -> bool:
        return self.status in ("optimal", "feasible")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        return data


# CP-SAT's presolve costs more than it saves on the bureau's models (a month or a few of one duty post: small,
# and the fairness terms make presolve's probing expensive). Measured on 72 monthly windows of the city benchmark
# (one worker each): 34.8 CPU s with presolve, 7.4 s without; all 72 proved optimal without it, one only found
# a feasible roster in its 8 s with it. (The benchmark's large LNS sub-solves keep it: docs/benchmark.md.)
BUREAU_SOLVER_PARAMS = {"cp_model_presolve": False}


def plan(
    session: Session,
    bureau: BureauFile,
    start: dt.date,
    days: int,
    now: dt.datetime,
    actor: str = "system",
    time_limit_s: float = 10.0,
    progress=None,  # noqa: ANN001 - optional callable(dict) from the solver
    workers: int = 2,
) -> PlanReport:
    from roster.solver.cpsat import solve

    lock_planning(session)
    pp = build_problem(session, bureau, start, days, now)
    problems = precheck(pp)
    if problems:
        return PlanReport(start, days, "infeasible", explanations=problems)
    result = solve(pp.problem, time_limit_s, workers=workers, progress=progress, params=BUREAU_SOLVER_PARAMS)
    if not result.ok:
        why = relax(pp, time_limit_s) if result.status == "infeasible" else []
        why = why or [
            f"no roster found within {time_limit_s:g} s (solver status {result.status}); try a longer --time-limit"
        ]
        return PlanReport(start, days, result.status, wall_seconds=result.wall_seconds, explanations=why)
    report = PlanReport(
        start,
        days,
        result.status,
        objective=result.objective,
        breakdown=dict(result.breakdown),
        wall_seconds=result.wall_seconds,
    )
    store(session, pp, result.solution, now, report)
    session.add(
        AuditEntry(
            at=now,
            actor=actor,
            action="plan",
            details={
                "start": start.isoformat(),
                "days": days,
                "status": result.status,
                "objective": result.objective,
                "created": report.created,
                "unchanged": report.unchanged,
                "removed": report.removed,
                "changes": [_change_json(c) for c in report.changes],
            },
        )
    )
    session.flush()
    return report


PLANNING_LOCK = 0x6475_7479  # "duty": one advisory lock id for every planner and swap of a database


def lock_planning(session: Session) -> None:
    """Serialise planners and swaps: a second one waits, then reads what the first committed (instead of
    both planning from the same old roster and one failing on the shifts' unique uid).

    PostgreSQL: a transaction-scoped advisory lock. SQLite: an empty UPDATE takes the database's write lock
    before anything is read (other writers wait on busy_timeout)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PLANNING_LOCK})
    else:
        session.execute(text("UPDATE shifts SET revision = revision WHERE 1 = 0"))


def _change_json(change: ShiftChange) -> dict[str, Any]:
    return {
        "uid": change.uid,
        "date": change.duty_date.isoformat(),
        "slot": change.slot,
        "times_changed": change.times_changed,
        "seats": [asdict(s) for s in change.seats],
    }


def _people_by_role(pp: PlanningProblem, solution: Solution, slot: ShiftSlot) -> dict[str, list[str]]:
    day, shift = pp.cell_of(slot)
    return {role: solution.people_on(day, shift, role) for role in pp.requirements}


def store(session: Session, pp: PlanningProblem, solution: Solution, now: dt.datetime, report: PlanReport) -> None:
    """Write the solution: unchanged seats keep their rows; changed shifts get revision+1 and changed_at=now."""
    existing = {
        (s.duty_date, s.slot): s
        for s in session.scalars(
            select(Shift)
            .where(Shift.duty_date >= pp.start, Shift.duty_date < pp.end)
            .options(selectinload(Shift.assignments))
        )
    }
    planned = {(s.duty_date, s.slot) for s in pp.slots}
    for key, shift in sorted(existing.items()):
        if key not in planned:  # the pattern changed (e.g. full -> day_night): this shift no longer exists
            report.removed.append(shift.uid)
            session.delete(shift)
    session.flush()
    for slot in pp.slots:
        wanted = _people_by_role(pp, solution, slot)
        flags = slot_categories(slot, pp.kinds[slot.duty_date])
        shift = existing.get((slot.duty_date, slot.slot))
        if shift is None:
            shift = Shift(
                uid=slot.uid,
                duty_date=slot.duty_date,
                slot=slot.slot,
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
                revision=0,
                changed_at=now,
            )
            shift.assignments = [
                ShiftAssignment(role=role, seat=i, person_id=pid)
                for role, people in wanted.items()
                for i, pid in enumerate(people)
            ]
            _set_flags(shift, slot, flags)
            session.add(shift)
            report.created += 1
            continue
        _set_flags(shift, slot, flags)
        times_changed = as_utc(shift.starts_at) != slot.starts_at or as_utc(shift.ends_at) != slot.ends_at
        if times_changed:
            shift.starts_at, shift.ends_at = slot.starts_at, slot.ends_at
        seats = _update_seats(session, shift, wanted)
        if seats or times_changed:
            shift.revision += 1
            shift.changed_at = now
            report.changes.append(ShiftChange(shift.uid, shift.duty_date, shift.slot, seats, times_changed))
        else:
            report.unchanged += 1


def _set_flags(shift: Shift, slot: ShiftSlot, flags: dict[str, bool]) -> None:
    shift.is_night = flags["nights"]
    shift.is_weekend = flags["weekends"]
    shift.is_holiday = flags["holidays"]


def _update_seats(session: Session, shift: Shift, wanted: dict[str, list[str]]) -> list[SeatChange]:
    """Keep the rows of people who stay; give a leaving person's seat row to a newcomer (same seat number)."""
    changes = []
    roles = sorted({a.role for a in shift.assignments} | set(wanted))
    for role in roles:
        rows = sorted((a for a in shift.assignments if a.role == role), key=lambda a: a.seat)
        old = [a.person_id for a in rows]
        new = wanted.get(role, [])
        if sorted(old) == sorted(new):
            continue
        leaving = [a for a in rows if a.person_id not in new]
        coming = [pid for pid in new if pid not in old]
        for row, pid in zip(leaving, coming, strict=False):
            row.person_id = pid
        for row in leaving[len(coming) :]:
            shift.assignments.remove(row)
            session.delete(row)
        used = {a.seat for a in shift.assignments if a.role == role}
        free = (n for n in range(len(used) + len(coming) + 1) if n not in used)
        for pid in coming[len(leaving) :]:
            shift.assignments.append(ShiftAssignment(role=role, seat=next(free), person_id=pid))
        changes.append(SeatChange(role, old, new))
    return changes
