"""Small helpers shared by the report, inspection and notification pages: query parameters, error pages,
the bureau's zone and limits, and serving stored files."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import quote

from fastapi import Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from roster.admin.current import NoBureauApplied, current_bureau
from roster.config import DEFAULT_TIMEZONE
from roster.web.i18n import pick, register
from roster.web.templating import render

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
INLINE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp", "image/heic", "application/pdf", "text/plain"}

register({"出错了": "Something is wrong"})


def bureau_timezone(session: Session) -> str:
    try:
        return current_bureau(session).bureau.timezone
    except NoBureauApplied:
        return DEFAULT_TIMEZONE


def report_attachment_limit(session: Session) -> int:
    from roster.reports.ledger import bureau_attachment_limit

    return bureau_attachment_limit(session)


def day_param(value: str | None, default: dt.date | None, lang: str) -> tuple[dt.date, str | None]:
    """``date=YYYY-MM-DD`` or the default; an error message (in ``lang``) naming the field otherwise."""
    if not value and default is not None:
        return default, None
    try:
        return dt.date.fromisoformat(value or ""), None
    except ValueError:
        message = pick(
            lang, f"date：日期格式应为 YYYY-MM-DD，收到 {value!r}", f"date: expected YYYY-MM-DD, got {value!r}"
        )
        return default or dt.date.min, message


def month_param(value: str | None, default: str, lang: str) -> tuple[str, str | None]:
    if not value:
        return default, None
    if MONTH.match(value):
        return value, None
    return default, pick(
        lang, f"month：月份格式应为 YYYY-MM，收到 {value!r}", f"month: expected YYYY-MM, got {value!r}"
    )


def page_error(request: Request, message: str, status: int) -> Response:
    return render(request, "error.html", {"title": "出错了", "message": message}, status_code=status)


def file_response(data: bytes, filename: str, content_type: str) -> Response:
    """A stored file: images, PDFs and text shown in the browser, anything else downloaded; never sniffed."""
    safe_type = content_type if content_type in INLINE_TYPES else "application/octet-stream"
    disposition = "inline" if safe_type in INLINE_TYPES else "attachment"
    headers = {
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(filename)}",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox",
        "Cache-Control": "private, max-age=300",
    }
    return Response(data, media_type=safe_type, headers=headers)
