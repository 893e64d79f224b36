"""报送: the board of units × state (admin, leader), a unit-day's history, the month's punctuality with its chart.

Thin: each handler reads a view model from roster/reports/views.py and renders it. The unit's own page (the
mobile form that files a report) is in unit_pages.py.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from roster.config import DEFAULT_TIMEZONE
from roster.reports.views import STATES, board, humanize_left, local_time, month_lines, unit_day
from roster.timeutil import local_date_of
from roster.web.access import require_role
from roster.web.auth import CurrentUser
from roster.web.deps import clock_now, db_session
from roster.web.i18n import register, request_lang, translate
from roster.web.pages_common import bureau_timezone, day_param, month_param, page_error
from roster.web.svgchart import punctuality_chart
from roster.web.templating import register_nav, render

router = APIRouter(tags=["report pages"], include_in_schema=False)
SUPERVISORS = ("admin", "leader")
register_nav("/reports/board", "报送", SUPERVISORS, 30)

STATE_LABELS = {
    "pending": "待报送",
    "submitted": "已报日报告",
    "zero_report": "已报零报告",
    "late": "已超时",
    "missing": "未报送",
    "excused": "已免报",
}
register(
    {
        "报送": "Reports",
        "报送情况": "Daily reports",
        "待报送": "pending",
        "已报日报告": "report filed",
        "已报零报告": "zero report filed",
        "已超时": "late",
        "未报送": "missing",
        "已免报": "excused",
        "单位": "Unit",
        "状态": "State",
        "截止": "Deadline",
        "剩余": "Time left",
        "报送时间": "Received",
        "迟报": "late",
        "更正": "corrections",
        "日期": "Date",
        "查看": "Show",
        "月度统计": "Month statistics",
        "按时率": "On time",
        "按时": "On time",
        "漏报": "Missing",
        "免报": "Excused",
        "应报": "Owed",
        "零报告": "Zero reports",
        "报送记录": "Submissions",
        "催报记录": "Escalation",
        "附件": "Attachments",
        "修订": "Revision",
        "回执": "Receipt",
        "渠道": "Channel",
        "送达": "Delivery",
        "已送达": "delivered",
        "发送失败": "failed",
        "待发送": "waiting",
        "已转备用渠道": "fell back",
        "无法发送": "dead letter",
        "确认知悉": "Acknowledge",
        "以本人身份确认知悉（停止后续催报）": "Acknowledge as myself (stops further escalation)",
        "收件人的确认页": "The recipient's acknowledgement page",
        "已确认知悉": "acknowledged",
        "无人可通知，跳到下一步": "nobody reachable: next step at once",
        "已告知补报": "told the report came in",
        "尚无催报。": "No escalation.",
        "尚无报送。": "Nothing filed yet.",
        "第 {step} 步": "step {step}",
        "第 {n} 次提醒": "reminder {n}",
        "免报说明": "Excused",
        "原因": "Reason",
        "月份": "Month",
        "本月报送情况": "This month",
        "已确认": "Acknowledged by",
        "共 {n} 个单位": "{n} units",
        "报送单位不存在": "No such reporting unit",
        "零报告（今日无情况）": "Zero report (nothing to report)",
        "日报告": "Daily report",
        "文字": "Text",
        "：": ": ",
    }
)


TARGET_LABELS = {
    "unit_contact": "单位联系人",
    "group_leader": "组长",
    "leader_on_duty": "带班领导",
    "bureau_head": "局长",
    "already_alerted": "已通知过的人",
}
register({"单位联系人": "unit contact", "组长": "group leader", "局长": "bureau head", "已通知过的人": "those alerted"})


def target_label(target: str, lang: str) -> str:
    """``group_leader`` → 组长; several targets (``a,b``) each; ``person:p05`` stays as it is."""
    return "、".join(translate(TARGET_LABELS.get(t, t), lang) for t in target.split(",") if t)


def state_label(state: str, lang: str) -> str:
    return translate(STATE_LABELS.get(state, state), lang)


@router.get("/reports/board")
def board_page(
    request: Request,
    date: str | None = None,
    user: CurrentUser = require_role(*SUPERVISORS),
    session: Session = Depends(db_session),
) -> Response:
    """Today's (or ``date``'s) units × state, deadline and time left."""
    now = clock_now(request)
    tz = bureau_timezone(session)
    lang = request_lang(request, user.locale)
    day, error = day_param(date, local_date_of(now, tz), lang)
    if error:
        return page_error(request, error, 422)
    view = board(session, day, now)
    rows = [
        {
            "row": r,
            "label": state_label(r.state, lang),
            "left": humanize_left(r.time_left, lang),
            "received": local_time(r.received_at, tz),
            "href": f"/reports/board/{quote(r.unit_id)}/{day.isoformat()}",
        }
        for r in view.rows
    ]
    counts = [(s, state_label(s, lang), view.counts[s]) for s in STATES]
    ctx = {"title": "报送情况", "day": day, "rows": rows, "counts": counts, "month": day.strftime("%Y-%m")}
    ctx["now_local"] = local_time(now, tz, "%Y-%m-%d %H:%M")
    return render(request, "pages/report_board.html", ctx)


@router.get("/reports/board/{unit_id}/{date}")
def unit_day_page(
    request: Request,
    unit_id: str,
    date: str,
    user: CurrentUser = require_role(*SUPERVISORS),
    session: Session = Depends(db_session),
) -> Response:
    """One unit-day: the report and its corrections with attachments, and the escalation timeline."""
    now = clock_now(request)
    lang = request_lang(request, user.locale)
    day, error = day_param(date, None, lang)
    if error:
        return page_error(request, error, 422)
    view = unit_day(session, unit_id, day, now)
    if view is None:
        return page_error(request, translate("报送单位不存在", lang), 404)
    tz = view.unit.timezone
    ctx = {
        "my_ack": _own_ack_path(view, user, now),
        "title": view.unit.name,
        "view": view,
        "tz": tz,
        "label": state_label(view.row.state, lang),
        "left": humanize_left(view.row.time_left, lang),
        "target": lambda t: target_label(t, lang),
        "fmt": lambda instant, f="%m-%d %H:%M": local_time(instant, tz, f),
        "parse": lambda iso: dt.datetime.fromisoformat(iso),
    }
    return render(request, "pages/unit_day.html", ctx)


def _own_ack_path(view, user: CurrentUser, now: dt.datetime) -> str | None:  # noqa: ANN001
    """The viewer's own acknowledgement page for an open unit-day (signed for them, valid an hour): the
    confirm page decides whether they may (step ≥ 2 recipient, leader on duty, head, admin) and records
    them, never the person a message was sent to."""
    from roster.reports.links import server_secret, sign_ack

    if user.person_id is None or view.row.acked_by or view.row.state in ("submitted", "zero_report", "excused"):
        return None
    signed = sign_ack(server_secret(), view.unit.id, view.day, user.person_id, now + dt.timedelta(hours=1))
    return f"/ack/{signed}"


@router.get("/reports/stats")
def stats_page(
    request: Request,
    month: str | None = None,
    user: CurrentUser = require_role(*SUPERVISORS),
    session: Session = Depends(db_session),
) -> Response:
    """Punctuality per unit for a month (按时率, late, missing) with the server-rendered chart."""
    now = clock_now(request)
    lang = request_lang(request, user.locale)
    tz = bureau_timezone(session) or DEFAULT_TIMEZONE
    chosen, error = month_param(month, local_date_of(now, tz).strftime("%Y-%m"), lang)
    if error:
        return page_error(request, error, 422)
    lines = month_lines(session, chosen, now)
    ctx = {"title": "月度统计", "month": chosen, "lines": lines, "chart": punctuality_chart(lines, lang)}
    return render(request, "pages/report_stats.html", ctx)
