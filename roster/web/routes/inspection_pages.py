"""Inspections on the web: the inspector page (mobile first) and the 督导检查 board with the daily report.

- ``/inspect``: a work-group member's sites for the day, open ones first; record ok/issue with a note and
  photos (streamed multipart); what the group has left. The group's leader also sees progress per inspector.
  Recording for a site not assigned to one of the user's groups that day is refused with 403.
- ``/inspections/board``: the plan per group, results as they arrive, overdue sites, the cumulative sentence,
  and the bureau's daily report: preview, .txt and .docx (admin, leader).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from roster.admin.current import NoBureauApplied
from roster.inspections.views import groups_day, groups_of, led_by, mine_first, people_names, supervision_board
from roster.reports.views import local_time
from roster.storage import session_scope
from roster.storage.models.inspections import InspectionVisit
from roster.timeutil import local_date_of
from roster.web.access import require_role
from roster.web.auth import CurrentUser
from roster.web.deps import clock_now, db_session
from roster.web.i18n import pick, register, request_lang
from roster.web.limits import register_limit
from roster.web.pages_common import bureau_timezone, day_param, file_response, page_error
from roster.web.templating import register_nav, render
from roster.web.uploads import UploadError, read_form, staging_folder

router = APIRouter(tags=["inspection pages"], include_in_schema=False)
PEOPLE = ("admin", "leader", "staff")
SUPERVISORS = ("admin", "leader")
register_nav("/inspect", "检查", PEOPLE, 40)
register_limit("POST", r"/inspect/[^/]+", 7 * 10 * 1024 * 1024 + 2 * 1024 * 1024)  # photos, checked while read
register_nav("/inspections/board", "督导检查", SUPERVISORS, 41)
register(
    {
        "检查": "Inspect",
        "督导检查": "Inspections",
        "今日检查": "Today's inspections",
        "您不在任何工作组，没有检查任务。": "You are in no work group: no inspections for you.",
        "待检查": "To do",
        "已检查": "Done",
        "正常": "OK",
        "发现问题": "Issue",
        "备注": "Note",
        "照片": "Photos",
        "记录结果": "Record",
        "本组剩余 {n} 处": "{n} sites left for the group",
        "本组进度": "Group progress",
        "检查人员": "Inspectors",
        "完成": "Done",
        "计划": "Planned",
        "已逾期": "overdue",
        "已记录：{site}": "Recorded: {site}",
        "各组计划与进度": "Plan and progress per group",
        "最新结果": "Latest results",
        "逾期未报": "Overdue",
        "累计情况": "Cumulative",
        "局日报告": "The bureau's daily report",
        "下载 .txt": "Download .txt",
        "下载 .docx": "Download .docx",
        "今日未安排检查。": "No inspections planned today.",
        "尚无结果。": "No results yet.",
        "无逾期。": "Nothing overdue.",
        "问题": "Issues",
        "剩余": "Left",
        "工作组": "Group",
        "地址": "Address",
        "联系人": "Contact",
        "截止 {time}": "due {time}",
        "重新记录": "Record again",
        "我负责": "mine",
    }
)


def _member_context(session: Session, person_id: str, day: dt.date, now: dt.datetime) -> dict:
    mine = groups_of(session, person_id)
    groups = groups_day(session, day, now, mine) if mine else []
    for group in groups:
        group.sites = mine_first(group.sites, person_id)
    led = led_by(session, person_id)
    names = people_names(session)
    progress = {g.group_id: g.by_inspector(names) for g in groups if g.group_id in led}
    return {"groups": groups, "progress": progress, "person_id": person_id}


@router.get("/inspect")
def inspect_page(
    request: Request, date: str | None = None, saved: str | None = None, error: str | None = None,
    user: CurrentUser = require_role(*PEOPLE), session: Session = Depends(db_session),
) -> Response:  # fmt: skip
    lang = request_lang(request, user.locale)
    day, bad = day_param(date, local_date_of(clock_now(request), bureau_timezone(session)), lang)
    if bad:
        return page_error(request, bad, 422)
    return _render_inspect(request, session, user, day, saved=saved)


def _render_inspect(request: Request, session: Session, user: CurrentUser, day: dt.date, *, status: int = 200,
                    saved: str | None = None, errors: dict[str, str] | None = None) -> Response:  # fmt: skip
    tz = bureau_timezone(session)
    ctx = _member_context(session, user.person_id or "", day, clock_now(request))
    ctx.update(title="今日检查", day=day, saved=saved, errors=errors or {}, fmt=lambda t: local_time(t, tz))
    return render(request, "pages/inspect.html", ctx, status_code=status)


def _form_error(request: Request, user: CurrentUser, day: dt.date, site_id: str, message: str, status: int) -> Response:
    """Bad input: the same page again, the message inside the site's card, nothing written."""
    with session_scope(request.app.state.database_url) as session:
        return _render_inspect(request, session, user, day, status=status, errors={site_id: message})


@router.post("/inspect/{site_id}")
async def record_page(request: Request, site_id: str, date: str, user: CurrentUser = require_role(*PEOPLE)) -> Response:
    """Record a result with photos for one of my group's sites (403 for any other site)."""
    from roster.inspections.photos import MAX_PHOTOS, PHOTO_LIMIT, record_with_photos
    from roster.inspections.results import ResultRejected

    lang = request_lang(request, user.locale)
    day, bad = day_param(date, None, lang)
    if bad:
        return page_error(request, bad, 422)
    url = request.app.state.database_url
    with staging_folder() as folder:
        try:
            form = await read_form(request, Path(folder), file_limit=PHOTO_LIMIT, max_files=MAX_PHOTOS)
        except UploadError as exc:
            message = pick(lang, f"照片：{exc.message}", f"{exc.field}: {exc.message}")
            return _form_error(request, user, day, site_id, message, exc.status)
        now = clock_now(request)

        def record() -> None:
            with session_scope(url) as session:
                record_with_photos(session, site_id=site_id, day=day, outcome=form.get("result"),
                                   note=form.get("note").strip(), by=user.person_id or "",
                                   photos=form.files.get("photos", []), now=now)  # fmt: skip

        try:
            await run_in_threadpool(record)
        except ResultRejected as exc:
            if exc.status in (403, 404):  # not this user's site, or no such visit: nothing to show a form for
                return page_error(request, _rejection_text(exc, lang), exc.status)
            return _form_error(request, user, day, site_id, _rejection_text(exc, lang), exc.status)
    return RedirectResponse(f"/inspect?date={day.isoformat()}&saved={quote(site_id)}#s-{quote(site_id)}", 303)


def _rejection_text(exc: Exception, lang: str) -> str:
    field = getattr(exc, "field", "")
    zh = {
        "site": "该检查点今日未分配给您所在的工作组，不能记录。",
        "result": "请选择“正常”或“发现问题”。",
        "photos": "照片须为图片，每张不超过 10 MB，最多 6 张。",
        "note": "备注不能超过 2000 字。",
        "date": "该日期没有这个检查点的检查任务，或日期尚未开始。",
    }.get(field.split("[")[0], f"{field}：{exc}")
    return pick(lang, zh, str(exc))


@router.get("/inspect/photos/{photo_id}")
def photo(
    request: Request, photo_id: int, user: CurrentUser = require_role(*PEOPLE), session: Session = Depends(db_session)
) -> Response:
    """A photo as uploaded: supervisors see all, members those of their groups' visits."""
    from roster.inspections.photos import photo_bytes
    from roster.inspections.results import ResultRejected

    lang = request_lang(request, user.locale)
    try:
        row, data = photo_bytes(session, photo_id)
    except ResultRejected:
        return page_error(request, pick(lang, "没有这张照片", "No such photo"), 404)
    if not user.has(*SUPERVISORS):
        group = session.scalar(
            select(InspectionVisit.group_id).where(
                InspectionVisit.site_id == row.site_id, InspectionVisit.day == row.day
            )
        )
        if group not in groups_of(session, user.person_id or ""):
            return page_error(request, pick(lang, "这张照片不属于您的工作组", "Not your group's photo"), 403)
    return file_response(data, row.filename, row.content_type)


@router.get("/inspections/board")
def supervision_page(
    request: Request, date: str | None = None,
    user: CurrentUser = require_role(*SUPERVISORS), session: Session = Depends(db_session),
) -> Response:  # fmt: skip
    now = clock_now(request)
    tz = bureau_timezone(session)
    lang = request_lang(request, user.locale)
    day, bad = day_param(date, local_date_of(now, tz), lang)
    if bad:
        return page_error(request, bad, 422)
    view = supervision_board(session, day, now)
    report_text, report_error = _daily_report_text(session, day, now)
    ctx = {"title": "督导检查", "day": day, "view": view, "report": report_text, "report_error": report_error,
           "fmt": lambda t, f="%H:%M": local_time(t, tz, f)}  # fmt: skip
    return render(request, "pages/supervision.html", ctx)


def _daily_report_text(session: Session, day: dt.date, now: dt.datetime) -> tuple[str, str | None]:
    from roster.inspections.assign import InspectionsError
    from roster.inspections.daily_report import build_daily_report

    try:
        return build_daily_report(session, day, now).text, None
    except (NoBureauApplied, InspectionsError) as exc:
        return "", str(exc)


@router.get("/inspections/daily-report.{ext}")
def daily_report_file(
    request: Request, ext: str, date: str | None = None,
    user: CurrentUser = require_role(*SUPERVISORS), session: Session = Depends(db_session),
) -> Response:  # fmt: skip
    """The bureau's daily report as filed: ``.txt`` (UTF-8) or ``.docx``."""
    from roster.inspections.daily_report_docx import daily_report_docx

    now = clock_now(request)
    lang = request_lang(request, user.locale)
    day, bad = day_param(date, local_date_of(now, bureau_timezone(session)), lang)
    if bad or ext not in ("txt", "docx"):
        return page_error(
            request, bad or pick(lang, "只提供 .txt 和 .docx", "Only .txt and .docx"), 404 if not bad else 422
        )
    text, error = _daily_report_text(session, day, now)
    if error:
        return page_error(request, error, 409)
    kind = "零报告" if text.splitlines()[0].endswith("零报告") else "日报告"
    name = f"{day.isoformat()}-{kind}.{ext}"
    disposition = {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"}
    if ext == "txt":
        return Response(text.encode("utf-8"), media_type="text/plain; charset=utf-8", headers=disposition)
    docx_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    return Response(daily_report_docx(text), media_type=docx_type, headers=disposition)
