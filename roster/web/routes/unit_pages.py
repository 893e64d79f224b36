"""The unit page (mobile first): one tap for 零报告, or a report text with photos and files, and a receipt.

Reached by the unit's login (``/unit``) or by its existing token link (``/unit/t/{token}``, the token the
reports API uses, printed by ``dutyflow reports token issue``). Uploads are streamed multipart
(roster/web/uploads.py): staged to disk with the size limit enforced while reading, then copied into the
ledger in chunks. Filing goes through ``roster.reports.ledger.submit`` exactly as the API and the CLI do, so
a second, different submission is a correction (revision 2, …) and a repeat is a replay. The form posts the
CSRF token in its query string (the multipart body is read once, by the streaming parser).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from roster.reports.views import board, humanize_left, local_time
from roster.storage import session_scope
from roster.storage.models.reports import ReportSubmission, ReportUnit
from roster.timeutil import local_date_of
from roster.web.access import register_open, require_role
from roster.web.auth import CurrentUser, optional_user
from roster.web.deps import clock_now, db_session
from roster.web.i18n import pick, register, request_lang, translate
from roster.web.limits import MAX_ATTACHMENT_LIMIT, register_limit
from roster.web.pages_common import file_response, page_error, report_attachment_limit
from roster.web.routes.report_pages import SUPERVISORS, state_label
from roster.web.templating import register_nav, render
from roster.web.uploads import UploadError, read_form, staging_folder

router = APIRouter(tags=["unit pages"], include_in_schema=False)
MAX_FILES = 10
# The body-limit middleware's ceiling for these uploads; the bureau's own limit is enforced while reading.
_CEILING = MAX_FILES * MAX_ATTACHMENT_LIMIT + 2 * 1024 * 1024
register_limit("POST", r"/unit/report", _CEILING)
register_limit("POST", r"/unit/t/[^/]+/report", _CEILING)
register_nav("/unit", "报送", ("unit",), 10)
register_open("/unit/t/{token}", "unit page by the unit's token link (the reports API token in the URL)")
register_open("/unit/t/{token}/report", "unit page by the unit's token link (the reports API token in the URL)")
register(
    {
        "今日报送": "Today's report",
        "一键报零报告": "File a zero report",
        "今日无情况，报零报告": "Nothing to report today: zero report",
        "报日报告": "File a daily report",
        "情况说明": "What happened",
        "拍照": "Take a photo",
        "附件（照片、表格等）": "Files (photos, spreadsheets …)",
        "已收到": "Received",
        "回执编号": "Receipt number",
        "收到时间": "Received at",
        "这是对当日报告的第 {n} 次更正，原记录保留。": (
            "This is correction {n} of the day's report; earlier ones are kept."
        ),
        "与已提交内容相同，未重复记录。": "Same as what was already filed: nothing recorded twice.",
        "今日已报送记录": "Filed for this day",
        "报送链接无效或已撤销": "This report link is invalid or has been revoked",
        "每个附件不超过 {mb} MB，最多 {n} 个。": "Each file up to {mb} MB, at most {n} files.",
        "截止 {time}": "due {time}",
        "还剩 {left}": "{left} left",
        "再次提交将作为更正保存，原记录保留。": "Filing again is kept as a correction; earlier reports stay.",
    }
)

LEDGER_MESSAGES_ZH = {
    "text": "日报告需填写情况说明或附带附件；当日无情况请报零报告。",
    "kind": "请选择日报告或零报告。",
    "date": "日期不能晚于今天，也不能早于本单位开始报送的日期。",
    "idempotency_key": "该提交与之前的提交冲突。",
    "unit": "报送单位不存在或已停用。",
}


def _error_text(field: str, message: str, lang: str) -> str:
    zh = LEDGER_MESSAGES_ZH.get(field.split("[")[0])
    if field.startswith(("attachments", "files", "photos", "body")):
        zh = f"附件：{message}"
    return pick(lang, zh or message, f"{field}: {message}")


def _unit_context(session: Session, unit: ReportUnit, now: dt.datetime, day: dt.date, lang: str) -> dict[str, Any]:
    rows = board(session, day, now, unit_ids={unit.id}).rows
    row = rows[0] if rows else None
    filed = list(
        session.scalars(
            select(ReportSubmission)
            .where(ReportSubmission.unit_id == unit.id, ReportSubmission.day == day)
            .order_by(ReportSubmission.revision)
        )
    )
    limit = report_attachment_limit(session)
    return {
        "title": "今日报送",
        "unit": unit,
        "day": day,
        "today": local_date_of(now, unit.timezone),
        "row": row,
        "label": state_label(row.state, lang) if row else "",
        "left": humanize_left(row.time_left, lang) if row else "",
        "filed": filed,
        "fmt": lambda instant: local_time(instant, unit.timezone, "%Y-%m-%d %H:%M:%S"),
        "limit_mb": limit // (1024 * 1024),
        "max_files": MAX_FILES,
    }


def _render_unit(request: Request, unit_id: str, base: str, *, status: int = 200, **extra: Any) -> Response:
    now = clock_now(request)
    user = optional_user(request)
    lang = request_lang(request, user.locale if user else None)
    with session_scope(request.app.state.database_url) as session:
        unit = session.get(ReportUnit, unit_id)
        if unit is None or not unit.active:
            return page_error(request, translate("报送单位不存在", lang), 404)
        day = extra.pop("day", None) or local_date_of(now, unit.timezone)
        ctx = _unit_context(session, unit, now, day, lang)
        receipt = extra.pop("receipt_id", None)
        if receipt:
            ctx["receipt"] = session.scalars(
                select(ReportSubmission).where(ReportSubmission.receipt == receipt, ReportSubmission.unit_id == unit_id)
            ).first()
        ctx.update(base=base, **extra)
        return render(request, "pages/unit.html", ctx, status_code=status)


def _unit_of_token(request: Request, token: str) -> str | None:
    from roster.reports.links import unit_of_token

    with session_scope(request.app.state.database_url) as session:
        return unit_of_token(session, token)


async def _file(request: Request, unit_id: str, base: str) -> Response:
    """Read the streamed form, file it through the ledger, answer with a redirect to the receipt."""
    from roster.reports.ledger import ReportError, submit

    url = request.app.state.database_url
    user = optional_user(request)
    lang = request_lang(request, user.locale if user else None)
    with session_scope(url) as session:
        limit = report_attachment_limit(session)
    with staging_folder() as folder:
        try:
            form = await read_form(request, Path(folder), file_limit=limit, max_files=MAX_FILES)
        except UploadError as exc:
            return _render_unit(request, unit_id, base, status=exc.status,
                                errors={"files": _error_text(exc.field, exc.message, lang)})  # fmt: skip
        kind = form.get("kind")
        files = form.files.get("photos", []) + form.files.get("files", [])
        try:
            day = dt.date.fromisoformat(form.get("date"))
        except ValueError:
            return _render_unit(request, unit_id, base, status=422, errors={"date": _error_text("date", "", lang)})
        now = clock_now(request)

        def record() -> Any:
            with session_scope(url) as session:  # committed before the receipt is shown
                return submit(session, unit_id=unit_id, day=day, kind=kind, text=form.get("text"),
                              attachments=files, now=now, via="web", attachment_limit=limit)  # fmt: skip

        try:
            receipt = await run_in_threadpool(record)
        except ReportError as exc:
            field = "files" if exc.field.startswith("attachments") else exc.field
            return _render_unit(request, unit_id, base, status=exc.status, day=day, text=form.get("text"),
                                errors={field: _error_text(exc.field, exc.message, lang)})  # fmt: skip
    target = f"{base}?date={day.isoformat()}&receipt={quote(receipt.receipt)}"
    return RedirectResponse(target + ("&replayed=1" if receipt.replayed else ""), status_code=303)


def _day(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@router.get("/unit")
def unit_page(
    request: Request, date: str | None = None, receipt: str | None = None, replayed: str | None = None,
    user: CurrentUser = require_role("unit"),
) -> Response:  # fmt: skip
    return _render_unit(request, user.subject_id, "/unit", day=_day(date), receipt_id=receipt, replayed=bool(replayed))


@router.post("/unit/report")
async def unit_report(request: Request, user: CurrentUser = require_role("unit")) -> Response:
    return await _file(request, user.subject_id, "/unit")


@router.get("/unit/t/{token}")
def unit_token_page(request: Request, token: str, date: str | None = None, receipt: str | None = None,
                    replayed: str | None = None) -> Response:  # fmt: skip
    unit_id = _unit_of_token(request, token)
    if unit_id is None:
        lang = request_lang(request)
        return page_error(request, translate("报送链接无效或已撤销", lang), 404)
    base = f"/unit/t/{quote(token)}"
    return _render_unit(request, unit_id, base, day=_day(date), receipt_id=receipt, replayed=bool(replayed))


@router.post("/unit/t/{token}/report")
async def unit_token_report(request: Request, token: str) -> Response:
    unit_id = _unit_of_token(request, token)
    if unit_id is None:
        return page_error(request, translate("报送链接无效或已撤销", request_lang(request)), 404)
    return await _file(request, unit_id, f"/unit/t/{quote(token)}")


@router.get("/reports/attachments/{receipt}/{filename}")
def attachment(
    request: Request, receipt: str, filename: str,
    user: CurrentUser = require_role(*SUPERVISORS, "unit"),
    session: Session = Depends(db_session),
) -> Response:  # fmt: skip
    """An attachment as filed (checksum verified). A unit sees only its own."""
    from roster.reports.ledger import ReportError, attachment_bytes
    from roster.storage.models.reports import ReportAttachment

    lang = request_lang(request, user.locale)
    sub = session.scalars(select(ReportSubmission).where(ReportSubmission.receipt == receipt)).first()
    if sub is None or (not user.has(*SUPERVISORS) and sub.unit_id != user.subject_id):
        status = 404 if sub is None else 403
        return page_error(request, pick(lang, "没有这个附件", "No such attachment"), status)
    try:
        data = attachment_bytes(session, receipt=receipt, filename=filename)
    except ReportError:
        return page_error(request, pick(lang, "没有这个附件", "No such attachment"), 404)
    ctype = session.scalar(
        select(ReportAttachment.content_type).where(
            ReportAttachment.submission_id == sub.id, ReportAttachment.filename == filename
        )
    )
    return file_response(data, filename, ctype or "application/octet-stream")
