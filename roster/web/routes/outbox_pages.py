"""通知: the outbox under a filter (pending, sent, failed, dead), one message as it was sent with its delivery
attempts, and putting a dead letter back in line (admin; the same ``retry_message`` as ``dutyflow
notifications retry``)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from notifications.views import FILTERS, message_view, outbox_page
from roster.reports.views import local_time
from roster.web.access import require_role
from roster.web.auth import CurrentUser
from roster.web.deps import clock_now, db_session
from roster.web.i18n import pick, register, request_lang
from roster.web.pages_common import bureau_timezone, page_error
from roster.web.templating import register_nav, render

router = APIRouter(tags=["notification pages"], include_in_schema=False)
READERS = ("admin", "leader")
register_nav("/notifications", "通知", READERS, 50)
FILTER_LABELS = {"all": "全部", "pending": "待发送", "sent": "已发送", "failed": "发送失败", "dead": "死信"}
STATUS_LABELS = {
    "pending": "待发送",
    "sending": "发送中",
    "sent": "已发送",
    "fallen_back": "已转备用渠道",
    "dead": "死信",
}
register(
    {
        "通知": "Notifications",
        "全部": "all",
        "发送中": "sending",
        "已转备用渠道": "fell back",
        "已发送": "sent",
        "死信": "dead letters",
        "收件人": "Recipient",
        "主题": "Subject",
        "来源": "Source",
        "创建": "Created",
        "尝试": "Attempts",
        "重新发送": "Retry",
        "已重新排队，将按原渠道重新发送。": "Queued again on its channel.",
        "没有这条通知": "No such message",
        "发送记录": "Delivery attempts",
        "成功": "ok",
        "失败": "failed",
        "备用渠道": "Fallback",
        "由此转来": "replaces",
        "已转至": "replaced by",
        "正文": "Body",
        "没有符合条件的通知。": "No messages.",
        "上一页": "Previous",
        "下一页": "Next",
        "最后错误": "Last error",
        "打开确认页": "Open the acknowledgement page",
    }
)


@router.get("/notifications")
def outbox(
    request: Request, status: str = "all", page: int = 1,
    user: CurrentUser = require_role(*READERS), session: Session = Depends(db_session),
) -> Response:  # fmt: skip
    lang = request_lang(request, user.locale)
    if status not in FILTERS:
        message = pick(lang, f"status：应为 {'、'.join(FILTERS)} 之一", f"status: must be one of {', '.join(FILTERS)}")
        return page_error(request, message, 422)
    view = outbox_page(session, status, page=page)
    tz = bureau_timezone(session)
    ctx = {
        "title": "通知",
        "view": view,
        "labels": FILTER_LABELS,
        "statuses": STATUS_LABELS,
        "fmt": lambda t: local_time(t, tz, "%m-%d %H:%M"),
    }
    return render(request, "pages/outbox.html", ctx)


@router.get("/notifications/{message_id}")
def message_page(
    request: Request, message_id: int, retried: str | None = None,
    user: CurrentUser = require_role(*READERS), session: Session = Depends(db_session),
) -> Response:  # fmt: skip
    view = message_view(session, message_id)
    if view is None:
        return page_error(request, pick(request_lang(request, user.locale), "没有这条通知", "No such message"), 404)
    tz = bureau_timezone(session)
    ctx = {"title": "通知", "view": view, "retried": bool(retried), "statuses": STATUS_LABELS,
           "fmt": lambda t: local_time(t, tz, "%Y-%m-%d %H:%M:%S")}  # fmt: skip
    return render(request, "pages/message.html", ctx)


@router.post("/notifications/{message_id}/retry")
def retry(
    request: Request, message_id: int,
    user: CurrentUser = require_role("admin"), session: Session = Depends(db_session),
) -> Response:  # fmt: skip
    from notifications.queue import NotRetryable, retry_message

    try:
        retry_message(session, message_id, clock_now(request))
        session.commit()
    except NotRetryable as exc:
        session.rollback()
        lang = request_lang(request, user.locale)
        text = str(exc).removeprefix("ID: ")
        return page_error(request, pick(lang, f"无法重新发送：{text}", f"Cannot retry: {text}"), 409)
    return RedirectResponse(f"/notifications/{message_id}?retried=1", status_code=303)
