"""换班与请假: swap/cover requests (colleague accepts, leader on duty or admin approves) and leave requests
(an admin approves and is offered a minimal-change re-plan draft). Every refusal names the rule."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from roster.admin.current import current_bureau
from roster.planning import requests as rq
from roster.planning.drafts import create_draft
from roster.planning.rule_text import describe
from roster.storage.models.console import LeaveRequest, SwapRequest
from roster.storage.models.shifts import Shift, ShiftAssignment
from roster.web.access import require_role
from roster.web.auth import CurrentUser
from roster.web.deps import clock_now, db_session
from roster.web.i18n import pick, register, request_lang
from roster.web.jobs import plan_draft_job, submit
from roster.web.rosterdata import role_name
from roster.web.templating import register_nav, render

router = APIRouter(include_in_schema=False)
PEOPLE = ("admin", "leader", "staff")
register_nav("/requests", "换班与请假", PEOPLE, 40)
register(
    {
        "申请换班或替班": "Ask for a swap or cover",
        "我的班次": "My shifts",
        "同事": "Colleague",
        "对方班次日期（换班时填写；留空表示请对方替班）": (
            "Colleague's duty date (for a swap; empty: ask them to cover)"
        ),
        "原因": "Reason",
        "发送申请": "Send request",
        "申请请假": "Ask for leave",
        "开始": "From",
        "结束": "To",
        "事由": "Reason",
        "我发起的申请": "My requests",
        "等我确认的申请": "Waiting for my answer",
        "待审批": "Waiting for approval",
        "请假申请": "Leave requests",
        "接受": "Accept",
        "拒绝": "Decline",
        "撤回": "Withdraw",
        "批准": "Approve",
        "驳回": "Reject",
        "换班": "swap",
        "替班": "cover",
        "暂无": "None",
        "请选择": "Choose",
        "请选择班次": "choose a shift",
        "请选择同事": "choose a colleague",
        "对方在该日没有班次": "the colleague holds no shift on that day",
        "申请已发送，等待同事确认": "Request sent; waiting for your colleague",
        "已接受，等待带班领导或管理员审批": "Accepted; waiting for the leader on duty or an admin",
        "已批准，排班表已更新": "Approved; the roster is updated",
        "已处理": "Done",
        "请假已批准，已为您生成重新排班草案": "Leave approved; a re-plan draft is being prepared",
        "请假已批准；该人员在请假期间没有班次，无需重新排班": (
            "Leave approved; the person holds no shifts in it, nothing to re-plan"
        ),
        "请假申请已提交，等待管理员审批": "Leave request sent; waiting for an admin",
        "待同事确认": "waiting for colleague",
        "待审批中": "waiting for approval",
        "已批准": "approved",
        "已拒绝": "declined",
        "已驳回": "rejected",
        "已撤回": "withdrawn",
        "待审批请假": "pending",
        "审批人": "Approved by",
    }
)
STATUS_ZH = {
    "pending_colleague": "待同事确认",
    "pending_approval": "待审批中",
    "approved": "已批准",
    "declined": "已拒绝",
    "rejected": "已驳回",
    "cancelled": "已撤回",
    "pending": "待审批请假",
}


def _my_shifts(session: Session, person: str, now: dt.datetime) -> list[tuple[Shift, str]]:
    return list(
        session.execute(
            select(Shift, ShiftAssignment.role)
            .join(ShiftAssignment, ShiftAssignment.shift_id == Shift.id)
            .where(ShiftAssignment.person_id == person, Shift.starts_at > now)
            .order_by(Shift.starts_at)
            .limit(40)
        ).all()
    )


def _page_ctx(request: Request, session: Session, user: CurrentUser, form=None, errors=None) -> dict:  # noqa: ANN001
    now = clock_now(request)
    me = user.person_id
    bureau = current_bureau(session)
    mine = session.scalars(select(SwapRequest).where(SwapRequest.requester == me).order_by(SwapRequest.id.desc()))
    incoming = session.scalars(
        select(SwapRequest).where(SwapRequest.colleague == me, SwapRequest.status == "pending_colleague")
    )
    approver = rq.may_approve(session, rq.Actor(me, user.has("admin")), now)
    to_approve = (
        session.scalars(select(SwapRequest).where(SwapRequest.status == "pending_approval").order_by(SwapRequest.id))
        if approver
        else []
    )
    leave_filter = LeaveRequest.person == me
    if user.has("admin"):
        leave_filter = or_(leave_filter, LeaveRequest.status == "pending")
    leaves = session.scalars(select(LeaveRequest).where(leave_filter).order_by(LeaveRequest.id.desc()).limit(30))
    return {
        "title": "换班与请假",
        "bureau": bureau,
        "names": {p.id: p.name for p in bureau.people},
        "colleagues": [p for p in bureau.people if p.id != me and p.roles],
        "my_shifts": _my_shifts(session, me, now),
        "mine": list(mine)[:30],
        "incoming": list(incoming),
        "to_approve": list(to_approve),
        "leaves": list(leaves),
        "approver": approver,
        "status_zh": STATUS_ZH,
        "role_name": role_name,
        "day_of": lambda uid: f"{uid[:4]}-{uid[4:6]}-{uid[6:8]}" if uid else "",
        "form": form or {},
        "errors": errors or {},
        "flash": request.query_params.get("done") and _done_text(request, user),
    }


def _done_text(request: Request, user: CurrentUser) -> str:
    from roster.web.i18n import translate

    key = request.query_params.get("done", "")
    texts = {
        "sent": "申请已发送，等待同事确认",
        "accepted": "已接受，等待带班领导或管理员审批",
        "approved": "已批准，排班表已更新",
        "leave": "请假申请已提交，等待管理员审批",
        "leave_no_replan": "请假已批准；该人员在请假期间没有班次，无需重新排班",
    }
    return translate(texts.get(key, "已处理"), request_lang(request, user.locale))


@router.get("/requests")
def requests_page(
    request: Request, user: CurrentUser = require_role(*PEOPLE), session: Session = Depends(db_session)
) -> Response:
    return render(request, "requests/index.html", _page_ctx(request, session, user))


def _refusal(request: Request, session: Session, user: CurrentUser, exc: rq.RequestRefused, form=None) -> Response:  # noqa: ANN001
    lang = request_lang(request, user.locale)
    session.rollback()
    if exc.violations:
        bureau = current_bureau(session)
        message = "；".join(describe(v, bureau, lang) for v in exc.violations)
        errors = {"rule": message}
    else:
        errors = {exc.field: pick(lang, exc.zh, exc.en)}
    ctx = _page_ctx(request, session, user, form, errors)
    return render(request, "requests/index.html", ctx, status_code=409 if exc.violations else 400)


@router.post("/requests/swap")
def swap_submit(
    request: Request,
    shift: str = Form(""),
    colleague: str = Form(""),
    colleague_date: str = Form(""),
    reason: str = Form(""),
    user: CurrentUser = require_role(*PEOPLE),
    session: Session = Depends(db_session),
) -> Response:
    form = {"shift": shift, "colleague": colleague, "colleague_date": colleague_date, "reason": reason}
    lang = request_lang(request, user.locale)
    errors = {}
    if not shift:
        errors["shift"] = pick(lang, "请选择班次", "choose a shift")
    if not colleague:
        errors["colleague"] = pick(lang, "请选择同事", "choose a colleague")
    their_uid = None
    if colleague_date.strip() and not errors:
        try:
            day = dt.date.fromisoformat(colleague_date.strip())
        except ValueError:
            errors["colleague_date"] = pick(lang, "日期格式应为 YYYY-MM-DD", "dates look like YYYY-MM-DD")
        else:
            their_uid = session.scalar(
                select(Shift.uid)
                .join(ShiftAssignment, ShiftAssignment.shift_id == Shift.id)
                .where(Shift.duty_date == day, ShiftAssignment.person_id == colleague)
            )
            if their_uid is None:
                errors["colleague_date"] = pick(lang, "对方在该日没有班次", "the colleague holds no shift on that day")
    if errors:
        return render(request, "requests/index.html", _page_ctx(request, session, user, form, errors), status_code=400)
    try:
        rq.create_swap(session, user.person_id, shift, colleague, their_uid, reason, clock_now(request))
    except rq.RequestRefused as exc:
        return _refusal(request, session, user, exc, form)
    session.commit()
    return RedirectResponse("/requests?done=sent", status_code=303)


def _step(request: Request, session: Session, user: CurrentUser, done: str, fn) -> Response:  # noqa: ANN001
    try:
        fn()
    except rq.RequestRefused as exc:
        return _refusal(request, session, user, exc)
    session.commit()
    return RedirectResponse(f"/requests?done={done}", status_code=303)


@router.post("/requests/{request_id}/accept")
def swap_accept(
    request: Request, request_id: int, user: CurrentUser = require_role(*PEOPLE),
    session: Session = Depends(db_session),
) -> Response:  # fmt: skip
    now = clock_now(request)
    return _step(request, session, user, "accepted", lambda: rq.accept(session, request_id, user.person_id, now))


@router.post("/requests/{request_id}/decline")
def swap_decline(
    request: Request, request_id: int, user: CurrentUser = require_role(*PEOPLE),
    session: Session = Depends(db_session),
) -> Response:  # fmt: skip
    now = clock_now(request)
    return _step(request, session, user, "done", lambda: rq.decline(session, request_id, user.person_id, now))


@router.post("/requests/{request_id}/cancel")
def swap_cancel(
    request: Request, request_id: int, user: CurrentUser = require_role(*PEOPLE),
    session: Session = Depends(db_session),
) -> Response:  # fmt: skip
    now = clock_now(request)
    return _step(request, session, user, "done", lambda: rq.cancel(session, request_id, user.person_id, now))


@router.post("/requests/{request_id}/approve")
def swap_approve(
    request: Request, request_id: int, user: CurrentUser = require_role("admin", "leader"),
    session: Session = Depends(db_session),
) -> Response:  # fmt: skip
    actor, now = rq.Actor(user.person_id, user.has("admin")), clock_now(request)
    return _step(request, session, user, "approved", lambda: rq.approve(session, request_id, actor, now))


@router.post("/requests/{request_id}/reject")
def swap_reject(
    request: Request, request_id: int, note: str = Form(""), user: CurrentUser = require_role("admin", "leader"),
    session: Session = Depends(db_session),
) -> Response:  # fmt: skip
    actor, now = rq.Actor(user.person_id, user.has("admin")), clock_now(request)
    return _step(request, session, user, "done", lambda: rq.reject(session, request_id, actor, now, note))


@router.post("/requests/leave")
def leave_submit(
    request: Request,
    first_day: str = Form(""),
    last_day: str = Form(""),
    leave_reason: str = Form(""),
    user: CurrentUser = require_role(*PEOPLE),
    session: Session = Depends(db_session),
) -> Response:
    lang = request_lang(request, user.locale)
    form = {"first_day": first_day, "last_day": last_day, "leave_reason": leave_reason}
    days, errors = {}, {}
    for name, value in (("first_day", first_day), ("last_day", last_day)):
        try:
            days[name] = dt.date.fromisoformat(value.strip())
        except ValueError:
            errors[name] = pick(lang, "日期格式应为 YYYY-MM-DD", "dates look like YYYY-MM-DD")
    if errors:
        return render(request, "requests/index.html", _page_ctx(request, session, user, form, errors), status_code=400)
    try:
        rq.create_leave(session, user.person_id, days["first_day"], days["last_day"], leave_reason, clock_now(request))
    except rq.RequestRefused as exc:
        exc.field = "leave_reason" if exc.field == "reason" else exc.field
        return _refusal(request, session, user, exc, form)
    session.commit()
    return RedirectResponse("/requests?done=leave", status_code=303)


@router.post("/requests/leave/{request_id}/approve")
def leave_approve(
    request: Request, request_id: int, user: CurrentUser = require_role("admin"),
    session: Session = Depends(db_session),
) -> Response:  # fmt: skip
    now = clock_now(request)
    try:
        req, span = rq.approve_leave(session, request_id, user.login, now)
    except rq.RequestRefused as exc:
        return _refusal(request, session, user, exc)
    if not span:
        session.commit()
        return RedirectResponse("/requests?done=leave_no_replan", status_code=303)
    start = dt.date.fromordinal(span.start)
    draft = create_draft(session, start, len(span), now, user.login, 10.0, kind="leave", leave_request_id=req.id)
    session.commit()
    submit(request.app, plan_draft_job, request.app.state.database_url, draft.id, now)
    return RedirectResponse(f"/plan/drafts/{draft.id}", status_code=303)


@router.post("/requests/leave/{request_id}/reject")
def leave_reject(
    request: Request, request_id: int, note: str = Form(""), user: CurrentUser = require_role("admin"),
    session: Session = Depends(db_session),
) -> Response:  # fmt: skip
    now = clock_now(request)
    return _step(request, session, user, "done", lambda: rq.reject_leave(session, request_id, user.login, now, note))
