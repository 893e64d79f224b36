"""Swaps and overrides of stored seats, checked against the hard rules, recorded in the audit log.

Two forms: *exchange* (A's seat on shift X and B's seat on shift Y trade holders) and *reassign* (A's seat
on shift X goes to B). The check runs on the roster as it would be afterwards; a refusal names the rule
and changes nothing. A swap bumps the revision of every shift it touches (calendar SEQUENCE).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from roster.admin.current import current_bureau
from roster.planning.check import Context, Violation, load_context, seat_violations
from roster.planning.plan import lock_planning
from roster.storage.models.shifts import AuditEntry, Shift, ShiftAssignment


class SwapRefused(ValueError):
    """The swap would break a hard rule (``rule``) or its input is wrong (``rule`` = "input")."""

    def __init__(self, rule: str, message: str, violations: list[Violation] | None = None) -> None:
        super().__init__(message)
        self.rule = rule
        self.violations = violations or []


@dataclass(frozen=True)
class SwapResult:
    action: str  # "exchange" or "reassign"
    moves: list[dict[str, Any]]  # [{uid, date, role, seat, old, new}]

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _load(session: Session, uid: str) -> Shift:
    shift = session.scalars(select(Shift).where(Shift.uid == uid).options(selectinload(Shift.assignments))).first()
    if shift is None:
        raise SwapRefused("input", f"no stored shift {uid}")
    return shift


def _seat_of(shift: Shift, person: str) -> ShiftAssignment:
    seat = next((a for a in shift.assignments if a.person_id == person), None)
    if seat is None:
        held = ", ".join(a.person_id for a in shift.assignments) or "nobody"
        raise SwapRefused(
            "input", f"{person} holds no seat on the {shift.duty_date} {shift.slot} shift (held by {held})"
        )
    return seat


def swap_violations(ctx: Context, replaced: dict[tuple, str]) -> list[Violation]:
    """Pure: what the moved seats would break in the roster as it would be afterwards (the moved seats,
    keyed (date, slot, role, seat), change holder; everything else stays)."""
    after, targets = [], []
    for s in ctx.seats:
        new = replaced.get((s.duty_date, s.slot, s.role, s.seat))
        if new is None:
            after.append(s)
        else:
            moved = dataclasses.replace(s, person=new)
            after.append(moved)
            targets.append(moved)
    ctx = type(ctx)(ctx.bureau, ctx.leaves, ctx.active, after)
    return [v for t in targets for v in seat_violations(ctx, t)]


def _move(shift, seat, new: str, now: dt.datetime) -> dict[str, object]:  # noqa: ANN001
    """Give ``seat`` of ``shift`` to ``new``; the audit record of the move."""
    record = {"uid": shift.uid, "date": shift.duty_date.isoformat(), "slot": shift.slot, "role": seat.role,
              "seat": seat.seat, "old": seat.person_id, "new": new}  # fmt: skip
    seat.person_id = new
    shift.revision += 1
    shift.changed_at = now
    return record


def swap(
    session: Session,
    shift_a: str,
    person_a: str,
    person_b: str,
    shift_b: str | None,
    *,
    now: dt.datetime,
    actor: str,
    reason: str,
) -> SwapResult:
    """Exchange (``shift_b`` given: B's seat there goes to A) or reassign (``shift_b`` None) A's seat on
    ``shift_a`` to B. In the caller's transaction; raises SwapRefused without changing anything."""
    if not actor.strip():
        raise SwapRefused("input", "--by: who makes the swap is required")
    if not reason.strip():
        raise SwapRefused("input", "--reason: a reason is required (it goes into the audit log)")
    if person_a == person_b:
        raise SwapRefused("input", f"{person_a} cannot swap with themselves")
    lock_planning(session)
    bureau = current_bureau(session)
    first = _load(session, shift_a)
    seat_a = _seat_of(first, person_a)
    moves = [(first, seat_a, person_b)]
    if shift_b is not None:
        second = _load(session, shift_b)
        if second.id == first.id:
            raise SwapRefused("input", "both seats are on the same shift: nothing would change")
        moves.append((second, _seat_of(second, person_b), person_a))
    dates = [shift.duty_date for shift, _, _ in moves]
    ctx = load_context(session, bureau, min(dates), max(dates))
    problems = swap_violations(ctx, {(sh.duty_date, sh.slot, seat.role, seat.seat): new for sh, seat, new in moves})
    if problems:
        raise SwapRefused(problems[0].rule, "; ".join(v.message for v in problems), problems)
    records = [_move(shift, seat, new, now) for shift, seat, new in moves]
    action = "exchange" if shift_b is not None else "reassign"
    session.add(AuditEntry(at=now, actor=actor, action=f"swap.{action}", reason=reason, details={"moves": records}))
    session.flush()
    return SwapResult(action, records)
