"""排班 (admin): plan a range as a background job with visible progress → a draft shown as a diff →
publish (records who and when; announces the changes) or discard."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from roster.admin.current import current_bureau
from roster.planning.drafts import DraftError, create_draft, discard, effective_status, moves_by_person, publish
from roster.shifts import duty_date_at
from roster.storage.models.console import RosterDraft
from roster.web.access import require_role
from roster.web.auth import CurrentUser
from roster.web.deps import clock_now, db_session
from roster.web.i18n import pick, register, request_lang
from roster.web.jobs import plan_draft_job, submit
from roster.web.rosterdata import role_name
from roster.web.templating import register_nav, render

router = APIRouter(include_in_schema=False)
register_nav("/plan", "排班", ("admin",), 30)
register(
    {
        "开始日期": "First day",
        "天数": "Days",
        "求解时限（秒）": "Solver time limit (s)",
        "生成草案": "Plan a draft",
        "草案": "Draft",
        "最近的草案": "Recent drafts",
        "状态": "Status",
        "范围": "Range",
        "创建": "Created",
        "求解中…": "Solving…",
        "已找到 {n} 个方案，当前目标值 {objective}，用时 {seconds} 秒": (
            "{n} solutions so far, best objective {objective}, {seconds} s"
        ),
        "页面每 2 秒自动刷新；也可稍后回来查看。": "This page refreshes every 2 s; you can also come back later.",
        "变动（谁增加或减少哪个班次）": "Changes (who gains or loses which shift)",
        "人员": "Person",
        "增加": "Gains",
        "减少": "Loses",
        "没有任何变动：草案与当前排班一致。": "No changes: the draft equals the published roster.",
        "发布": "Publish",
        "放弃": "Discard",
        "确定发布此草案？相关人员将收到变更通知。": "Publish this draft? The people moved will be told.",
        "已发布：{who}，{at}": "Published by {who} at {at}",
        "无法生成排班：": "No roster could be planned:",
        "日期格式应为 YYYY-MM-DD": "dates look like YYYY-MM-DD",
        "请输入整数": "enter a whole number",
        "请输入数字": "enter a number",
        "不能早于今天的值班日": "cannot be before today's duty date",
        "running": "solving",
        "ready": "ready",
        "failed": "failed",
        "published": "published",
        "discarded": "discarded",
        "stale": "stale",
        "interrupted": "interrupted",
        "草案已发布": "Draft published",
        "草案已放弃": "Draft discarded",
        "共 {n} 处席位变动": "{n} seat changes",
        "请假后的重新排班": "re-plan after leave",
    }
)
STATUS_ZH = {
    "running": "求解中",
    "ready": "待发布",
    "failed": "失败",
    "published": "已发布",
    "discarded": "已放弃",
    "stale": "已过期",
    "interrupted": "已中断",
}
register({v: k for k, v in STATUS_ZH.items()} | {"求解中": "solving", "待发布": "ready to publish"})


def _today(session: Session, now: dt.datetime) -> dt.date:
    bureau = current_bureau(session)
    return duty_date_at(now, bureau.shift_pattern, bureau.bureau.timezone)


def _recent(session: Session) -> list[RosterDraft]:
    return list(session.scalars(select(RosterDraft).order_by(RosterDraft.id.desc()).limit(15)))


@router.get("/plan")
def plan_form(
    request: Request, user: CurrentUser = require_role("admin"), session: Session = Depends(db_session)
) -> Response:
    now = clock_now(request)
    today = _today(session, now)
    form = {"start": (today + dt.timedelta(days=1)).isoformat(), "days": "28", "time_limit": "10"}
    return render(request, "plan/form.html", _form_ctx(session, now, form, {}))


def _form_ctx(session: Session, now: dt.datetime, form: dict, errors: dict) -> dict:
    drafts = _recent(session)
    return {
        "title": "排班",
        "form": form,
        "errors": errors,
        "drafts": drafts,
        "status_of": {d.id: effective_status(d, now) for d in drafts},
        "status_zh": STATUS_ZH,
    }


@router.post("/plan")
def plan_submit(
    request: Request,
    start: str = Form(""),
    days: str = Form(""),
    time_limit: str = Form("10"),
    user: CurrentUser = require_role("admin"),
    session: Session = Depends(db_session),
) -> Response:
    lang = request_lang(request, user.locale)
    now = clock_now(request)
    form, errors = {"start": start, "days": days, "time_limit": time_limit}, {}
    first = n_days = limit = None
    try:
        first = dt.date.fromisoformat(start.strip())
        if first < _today(session, now):
            errors["start"] = pick(lang, "不能早于今天的值班日", "cannot be before today's duty date")
    except ValueError:
        errors["start"] = pick(lang, "日期格式应为 YYYY-MM-DD", "dates look like YYYY-MM-DD")
    try:
        n_days = int(days)
    except ValueError:
        errors["days"] = pick(lang, "请输入整数", "enter a whole number")
    try:
        limit = float(time_limit)
    except ValueError:
        errors["time_limit"] = pick(lang, "请输入数字", "enter a number")
    if not errors:
        try:
            draft = create_draft(session, first, n_days, now, user.login, limit)
        except DraftError as exc:
            errors[exc.field] = pick(lang, exc.zh, exc.en)
    if errors:
        session.rollback()
        return render(request, "plan/form.html", _form_ctx(session, now, form, errors), status_code=400)
    session.commit()
    submit(request.app, plan_draft_job, request.app.state.database_url, draft.id, now)
    return RedirectResponse(f"/plan/drafts/{draft.id}", status_code=303)


@router.get("/plan/drafts/{draft_id}")
def draft_page(
    request: Request,
    draft_id: int,
    user: CurrentUser = require_role("admin"),
    session: Session = Depends(db_session),
) -> Response:
    draft = session.get(RosterDraft, draft_id)
    if draft is None:
        return render(request, "error.html", {"title": "页面不存在"}, status_code=404)
    bureau = current_bureau(session)
    names = {p.id: p.name for p in bureau.people}
    status = effective_status(draft, clock_now(request))
    ctx = {
        "title": "草案",
        "draft": draft,
        "status": status,
        "status_zh": STATUS_ZH,
        "people": moves_by_person(draft.changes),
        "names": names,
        "bureau": bureau,
        "role_name": role_name,
        "error": request.query_params.get("error"),
    }
    return render(request, "plan/draft.html", ctx)


@router.post("/plan/drafts/{draft_id}/publish")
def draft_publish(
    request: Request,
    draft_id: int,
    user: CurrentUser = require_role("admin"),
    session: Session = Depends(db_session),
) -> Response:
    return _act(request, session, draft_id, user, publish)


@router.post("/plan/drafts/{draft_id}/discard")
def draft_discard(
    request: Request,
    draft_id: int,
    user: CurrentUser = require_role("admin"),
    session: Session = Depends(db_session),
) -> Response:
    return _act(request, session, draft_id, user, discard)


def _act(request: Request, session: Session, draft_id: int, user: CurrentUser, action) -> Response:  # noqa: ANN001
    lang = request_lang(request, user.locale)
    try:
        action(session, draft_id, clock_now(request), user.login)
    except DraftError as exc:
        session.commit()  # a stale draft is marked as such; nothing else was written
        draft = session.get(RosterDraft, draft_id)
        if draft is None:
            return render(request, "error.html", {"title": "页面不存在"}, status_code=404)
        request.state.flash = pick(lang, exc.zh, exc.en)
        response = draft_page(request, draft_id, user, session)
        response.status_code = 409
        return response
    session.commit()
    return RedirectResponse(f"/plan/drafts/{draft_id}", status_code=303)
