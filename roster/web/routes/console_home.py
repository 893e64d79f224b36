"""``/`` 今日值班 and ``/board?token=`` (the same without phone numbers, for a duty-room screen)."""

from __future__ import annotations

import datetime as dt
import hmac

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from roster.admin.current import NoBureauApplied, current_bureau
from roster.on_duty import on_duty_at
from roster.shifts import duty_date_at
from roster.storage.models.shifts import Shift
from roster.web.access import current_user, public_page
from roster.web.auth import CurrentUser
from roster.web.deps import clock_now, db_session
from roster.web.i18n import register
from roster.web.rosterdata import days_between, local, role_name
from roster.web.templating import register_nav, render

router = APIRouter(include_in_schema=False)
register_nav("/", "今日值班", ("admin", "leader", "staff", "unit"), 10)
register(
    {
        "当前值班": "On duty now",
        "下次交接班": "Next handover",
        "下一班": "Next shift",
        "未来 7 天": "Next 7 days",
        "值班室电话": "Duty room phone",
        "暂无排班": "Nothing planned",
        "缺岗": "Gap",
        "无班次": "no shift",
        "齐": "full",
        "日期": "Date",
        "值班员": "Duty officers",
        "覆盖": "Cover",
        "值班屏": "Duty-room screen",
        "每分钟自动刷新": "Refreshes every minute",
        "链接无效": "Invalid link",
        "此大屏链接无效或已更换，请向管理员索取新链接。": "This screen link is invalid or was replaced; ask an admin.",
        "还有 {h} 小时 {m} 分": "in {h} h {m} min",
        "系统尚未加载管理文件": "No admin file has been applied yet",
    }
)
BOARD_SECRET = "board"


def duty_summary(session: Session, now: dt.datetime) -> dict:
    """What 今日值班 and the board show: who is on duty, the next handover and who comes then, 7 days ahead."""
    bureau = current_bureau(session)
    tz = bureau.bureau.timezone
    duty = on_duty_at(session, now)
    following = session.scalars(select(Shift).where(Shift.starts_at > now).order_by(Shift.starts_at).limit(1)).first()
    handover = duty.ends_at or (following.starts_at if following else None)
    nxt = on_duty_at(session, following.starts_at) if following else None
    today = duty_date_at(now, bureau.shift_pattern, tz)
    week = days_between(session, bureau, today, today + dt.timedelta(days=6))
    left = (handover - now) if handover else None
    return {
        "bureau": bureau,
        "tz": tz,
        "duty": duty,
        "next": nxt,
        "handover": local(handover, tz),
        "left_h": int(left.total_seconds() // 3600) if left else None,
        "left_m": int(left.total_seconds() % 3600 // 60) if left else None,
        "week": week,
        "local": lambda instant: local(instant, tz),
        "role_name": role_name,
    }


@router.get("/")
def today_page(
    request: Request, user: CurrentUser = Depends(current_user), session: Session = Depends(db_session)
) -> Response:
    try:
        ctx = duty_summary(session, clock_now(request))
    except NoBureauApplied:
        return render(request, "error.html", {"title": "系统尚未加载管理文件"}, status_code=503)
    ctx.update(title="今日值班", phones=True)
    return render(request, "home/today.html", ctx)


def board_token(session: Session, now: dt.datetime) -> str:
    from roster.accounts.service import server_secret

    return server_secret(session, BOARD_SECRET, now)


@router.get("/board", dependencies=[public_page])
def board(request: Request, token: str = "", session: Session = Depends(db_session)) -> Response:
    """Read-only, no phone numbers, refreshes itself; the token is shown to admins on /admin."""
    now = clock_now(request)
    expected = board_token(session, now)
    session.commit()
    if not token or not hmac.compare_digest(token, expected):
        return render(request, "home/board_invalid.html", {"title": "链接无效"}, status_code=404)
    try:
        ctx = duty_summary(session, now)
    except NoBureauApplied:
        return render(request, "error.html", {"title": "系统尚未加载管理文件"}, status_code=503)
    ctx.update(title="值班屏", phones=False, board=True)
    return render(request, "home/board.html", ctx)
