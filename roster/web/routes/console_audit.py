"""审计日志: the append-only audit log (plans, publications, swaps, requests, applies, accounts), newest first."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from roster.admin.current import current_bureau
from roster.storage.models.shifts import AuditEntry
from roster.web.access import require_role
from roster.web.auth import CurrentUser
from roster.web.deps import db_session
from roster.web.i18n import register
from roster.web.rosterdata import local
from roster.web.templating import register_nav, render

router = APIRouter(include_in_schema=False)
register_nav("/audit", "审计日志", ("admin", "leader"), 60)
register({"操作": "Action", "操作人": "By", "说明": "Reason", "详情": "Details", "更早": "Older", "全部": "All"})
PAGE = 50
PREFIXES = ("plan", "draft", "swap", "request", "admin_apply", "account")


@router.get("/audit")
def audit_page(
    request: Request,
    before: int | None = None,
    action: str = "",
    user: CurrentUser = require_role("admin", "leader"),
    session: Session = Depends(db_session),
) -> Response:
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(PAGE)
    if before is not None:
        query = query.where(AuditEntry.id < before)
    if action in PREFIXES:
        query = query.where(AuditEntry.action.startswith(action))
    entries = list(session.scalars(query))
    tz = current_bureau(session).bureau.timezone
    ctx = {
        "title": "审计日志",
        "entries": entries,
        "local": lambda i: local(i, tz),
        "action": action,
        "prefixes": PREFIXES,
        "older": entries[-1].id if len(entries) == PAGE else None,
    }
    return render(request, "audit/index.html", ctx)
