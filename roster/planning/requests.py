"""Swap, cover and leave requests from the web console, each step checked against the hard rules.

Swap/cover: the requester names a colleague → the colleague accepts → the leader on duty or an admin
approves, and only then does the roster change (through ``planning.swap``). Every step re-checks the rules
on the roster as it is at that moment, so a request that became impossible meanwhile is refused by name.
Leave: a person asks → an admin approves → the leave is stored (source "request", which applying the admin
file leaves alone) and a minimal-change re-plan draft of the affected days is created for the admin.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from roster.admin.current import current_bureau
from roster.on_duty import on_duty_at
from roster.planning.announce import announce_shift_changes
from roster.planning.check import Violation
from roster.planning.swap import SwapRefused, SwapResult, swap
from roster.shifts import duty_date_at
from roster.storage.models.console import LeaveRequest, SwapRequest
from roster.storage.models.people import Leave
from roster.storage.models.shifts import AuditEntry, Shift, ShiftAssignment

OPEN = ("pending_colleague", "pending_approval")
MAX_LEAVE_DAYS = 60


class RequestRefused(ValueError):
    """Refused: ``field`` names the form field (or "rule"); ``violations`` when a hard rule said no."""

    def __init__(self, field: str, zh: str, en: str, violations: list[Violation] | None = None) -> None:
        super().__init__(en)
        self.field, self.zh, self.en, self.violations = field, zh, en, violations or []


@dataclass(frozen=True)
class Actor:
    person_id: str
    is_admin: bool


def _shift(session: Session, uid: str, field: str) -> Shift:
    shift = session.scalar(select(Shift).where(Shift.uid == uid))
    if shift is None:
        raise RequestRefused(field, "没有这个班次", "no such shift")
    return shift


def _holds(session: Session, shift: Shift, person: str) -> bool:
    return (
        session.scalar(
            select(ShiftAssignment.id).where(ShiftAssignment.shift_id == shift.id, ShiftAssignment.person_id == person)
        )
        is not None
    )


def _dry_run(session: Session, req: SwapRequest, now: dt.datetime) -> None:
    """Would the swap pass the hard rules now? Checked in a savepoint that is always rolled back."""
    nested = session.begin_nested()
    try:
        _swap(session, req, now, req.requester, req.reason or "check")
    finally:
        nested.rollback()


def _swap(session: Session, req: SwapRequest, now: dt.datetime, actor: str, reason: str) -> SwapResult:
    """The request's swap, as ``actor``; the hard rules' refusal becomes the request's."""
    try:
        return swap(
            session,
            req.shift_uid,
            req.requester,
            req.colleague,
            req.colleague_shift_uid,
            now=now,
            actor=actor,
            reason=reason,
        )
    except SwapRefused as exc:
        raise RequestRefused("rule", str(exc), str(exc), exc.violations) from None


def create_swap(
    session: Session,
    requester: str,
    shift_uid: str,
    colleague: str,
    colleague_shift_uid: str | None,
    reason: str,
    now: dt.datetime,
) -> SwapRequest:
    bureau = current_bureau(session)
    mine = _shift(session, shift_uid, "shift")
    if mine.starts_at <= now:
        raise RequestRefused("shift", "该班次已开始，不能再换", "that shift has already started")
    if not _holds(session, mine, requester):
        raise RequestRefused("shift", "您不在这个班次上", "you hold no seat on that shift")
    if bureau.person(colleague) is None or colleague == requester:
        raise RequestRefused("colleague", "请选择另一位同事", "choose another colleague")
    if colleague_shift_uid:
        theirs = _shift(session, colleague_shift_uid, "colleague_shift")
        if theirs.starts_at <= now:
            raise RequestRefused("colleague_shift", "对方的班次已开始", "the colleague's shift has already started")
        if not _holds(session, theirs, colleague):
            raise RequestRefused("colleague_shift", "对方不在这个班次上", "the colleague holds no seat on that shift")
    if not reason.strip():
        raise RequestRefused(
            "reason", "请填写原因（记入审计日志）", "a reason is required (it goes into the audit log)"
        )
    req = SwapRequest(
        kind="swap" if colleague_shift_uid else "cover",
        requester=requester,
        shift_uid=shift_uid,
        colleague=colleague,
        colleague_shift_uid=colleague_shift_uid or None,
        reason=reason.strip()[:500],
        status="pending_colleague",
        created_at=now,
        note="",
    )
    _dry_run(session, req, now)
    session.add(req)
    session.flush()
    _audit(session, now, requester, f"request.{req.kind}", req)
    return req


def _open_request(session: Session, request_id: int, status: str) -> SwapRequest:
    req = session.get(SwapRequest, request_id)
    if req is None:
        raise RequestRefused("request", "没有这个申请", "no such request")
    if req.status != status:
        raise RequestRefused("request", f"申请当前状态为 {req.status}", f"the request is {req.status}")
    return req


def accept(session: Session, request_id: int, person: str, now: dt.datetime) -> SwapRequest:
    req = _open_request(session, request_id, "pending_colleague")
    if person != req.colleague:
        raise RequestRefused("request", "只有被邀请的同事可以接受", "only the named colleague can accept")
    _dry_run(session, req, now)
    req.status, req.accepted_at = "pending_approval", now
    _audit(session, now, person, "request.accept", req)
    return req


def decline(session: Session, request_id: int, person: str, now: dt.datetime) -> SwapRequest:
    req = _open_request(session, request_id, "pending_colleague")
    if person != req.colleague:
        raise RequestRefused("request", "只有被邀请的同事可以拒绝", "only the named colleague can decline")
    req.status, req.decided_at, req.decided_by = "declined", now, person
    _audit(session, now, person, "request.decline", req)
    return req


def cancel(session: Session, request_id: int, person: str, now: dt.datetime) -> SwapRequest:
    req = session.get(SwapRequest, request_id)
    if req is None or req.requester != person or req.status not in OPEN:
        raise RequestRefused("request", "只能撤回自己尚未处理完的申请", "you can only withdraw your own open request")
    req.status, req.decided_at, req.decided_by = "cancelled", now, person
    _audit(session, now, person, "request.cancel", req)
    return req


def may_approve(session: Session, actor: Actor, now: dt.datetime) -> bool:
    """Admins, and the leader on duty at ``now``."""
    if actor.is_admin:
        return True
    leader = on_duty_at(session, now).leader_on_duty
    return leader is not None and leader.person_id == actor.person_id


def _approver(session: Session, req: SwapRequest, actor: Actor, now: dt.datetime) -> None:
    if not may_approve(session, actor, now):
        raise RequestRefused(
            "request", "只有当班带班领导或管理员可以审批", "only the leader on duty or an admin approves"
        )
    if actor.person_id in (req.requester, req.colleague):
        raise RequestRefused("request", "不能审批自己参与的换班", "you cannot approve a swap you take part in")


def approve(session: Session, request_id: int, actor: Actor, now: dt.datetime) -> SwapRequest:
    req = _open_request(session, request_id, "pending_approval")
    _approver(session, req, actor, now)
    result = _swap(session, req, now, actor.person_id, f"request {req.id}: {req.reason}")
    req.status, req.decided_at, req.decided_by = "approved", now, actor.person_id
    _audit(session, now, actor.person_id, "request.approve", req)
    session.flush()
    announce_shift_changes(session, result.moves, "swap", now, reason=req.reason)
    return req


def reject(session: Session, request_id: int, actor: Actor, now: dt.datetime, note: str = "") -> SwapRequest:
    req = session.get(SwapRequest, request_id)
    if req is None or req.status not in OPEN:
        raise RequestRefused("request", "申请已处理", "the request is no longer open")
    _approver(session, req, actor, now)
    req.status, req.decided_at, req.decided_by, req.note = "rejected", now, actor.person_id, note[:500]
    _audit(session, now, actor.person_id, "request.reject", req)
    return req


# ----------------------------------------------------------------------------------------------- leave


def today(session: Session, now: dt.datetime) -> dt.date:
    bureau = current_bureau(session)
    return duty_date_at(now, bureau.shift_pattern, bureau.bureau.timezone)


def create_leave(
    session: Session, person: str, first: dt.date, last: dt.date, reason: str, now: dt.datetime
) -> LeaveRequest:
    if last < first:
        raise RequestRefused("last_day", "结束日期早于开始日期", "the last day is before the first day")
    if first < today(session, now):
        raise RequestRefused("first_day", "不能为已过去的日期请假", "leave cannot start in the past")
    if (last - first).days + 1 > MAX_LEAVE_DAYS:
        raise RequestRefused("last_day", f"一次最多请假 {MAX_LEAVE_DAYS} 天", f"at most {MAX_LEAVE_DAYS} days at once")
    if not reason.strip():
        raise RequestRefused("reason", "请填写请假事由", "a reason is required")
    overlapping = session.scalar(
        select(LeaveRequest.id).where(
            LeaveRequest.person == person,
            LeaveRequest.status.in_(("pending", "approved")),
            LeaveRequest.first_day <= last,
            LeaveRequest.last_day >= first,
        )
    )
    if overlapping is not None:
        raise RequestRefused("first_day", "与已有的请假申请重叠", "overlaps another leave request")
    req = LeaveRequest(
        person=person,
        first_day=first,
        last_day=last,
        reason=reason.strip()[:200],
        status="pending",
        created_at=now,
        note="",
    )
    session.add(req)
    session.flush()
    _audit(session, now, person, "request.leave", req)
    return req


def approve_leave(session: Session, request_id: int, admin: str, now: dt.datetime) -> tuple[LeaveRequest, range]:
    """Store the leave; returns the request and the duty dates (as ordinal range) the person still holds
    inside it, which the caller offers as a re-plan draft (empty: nothing to re-plan)."""
    req = session.get(LeaveRequest, request_id)
    if req is None or req.status != "pending":
        raise RequestRefused("request", "申请已处理", "the request is no longer open")
    session.add(
        Leave(person_id=req.person, first_day=req.first_day, last_day=req.last_day, reason=req.reason, source="request")
    )
    req.status, req.decided_at, req.decided_by = "approved", now, admin
    _audit(session, now, admin, "request.leave_approve", req)
    held = sorted(
        session.scalars(
            select(Shift.duty_date)
            .join(ShiftAssignment, ShiftAssignment.shift_id == Shift.id)
            .where(
                ShiftAssignment.person_id == req.person,
                Shift.duty_date >= max(req.first_day, today(session, now)),
                Shift.duty_date <= req.last_day,
            )
        )
    )
    span = range(held[0].toordinal(), held[-1].toordinal() + 1) if held else range(0)
    return req, span


def reject_leave(session: Session, request_id: int, admin: str, now: dt.datetime, note: str = "") -> LeaveRequest:
    req = session.get(LeaveRequest, request_id)
    if req is None or req.status != "pending":
        raise RequestRefused("request", "申请已处理", "the request is no longer open")
    req.status, req.decided_at, req.decided_by, req.note = "rejected", now, admin, note[:500]
    _audit(session, now, admin, "request.leave_reject", req)
    return req


def _audit(session: Session, now: dt.datetime, actor: str, action: str, req: SwapRequest | LeaveRequest) -> None:
    if isinstance(req, SwapRequest):
        details = {
            "request": req.id,
            "kind": req.kind,
            "requester": req.requester,
            "shift": req.shift_uid,
            "colleague": req.colleague,
            "colleague_shift": req.colleague_shift_uid,
            "status": req.status,
        }
    else:
        details = {
            "leave_request": req.id,
            "person": req.person,
            "from": req.first_day.isoformat(),
            "to": req.last_day.isoformat(),
            "status": req.status,
        }
    session.add(AuditEntry(at=now, actor=actor, action=action, reason=getattr(req, "reason", ""), details=details))
