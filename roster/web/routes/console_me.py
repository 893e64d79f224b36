"""我的班次: my next shifts and requests; calendar subscription (webcal://, https and a QR code); rotate it."""

from __future__ import annotations

import base64
import datetime as dt

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from roster.admin.current import current_bureau
from roster.calendar.feed import Scope
from roster.calendar.tokens import feed_url, issue, revoke
from roster.storage.models.calendar import CalendarToken
from roster.storage.models.console import LeaveRequest, SwapRequest
from roster.storage.models.people import Person
from roster.storage.models.shifts import Shift, ShiftAssignment
from roster.web.access import require_role
from roster.web.auth import CurrentUser
from roster.web.deps import clock_now, db_session
from roster.web.i18n import register
from roster.web.rosterdata import local, role_name
from roster.web.routes.console_requests import STATUS_ZH
from roster.web.templating import register_nav, render

router = APIRouter(include_in_schema=False)
PEOPLE = ("admin", "leader", "staff")
register_nav("/me", "我的班次", PEOPLE, 50)
register(
    {
        "接下来的班次": "Next shifts",
        "同班": "With",
        "我的申请": "My requests",
        "日历订阅": "Calendar subscription",
        "订阅后，值班安排会自动出现在手机或电脑的日历中。": "Subscribe and your duties appear in your calendar.",
        "您已有 {n} 个订阅链接（创建于 {at}）。出于安全原因链接只显示一次；如遗失请更换。": (
            "You have {n} subscription link(s) (created {at}). Links are shown once only; replace a lost one."
        ),
        "生成订阅链接": "Create a subscription link",
        "更换订阅链接（旧链接立即失效）": "Replace the link (the old one stops working at once)",
        "新的订阅链接（只显示这一次，请立即订阅或保存）：": "Your new link (shown once: subscribe or save it now):",
        "用日历应用订阅": "Subscribe in a calendar app",
        "手机扫码订阅": "Scan with your phone",
        "暂无班次": "No shifts planned",
        "查看全部": "See all",
        "时间": "Time",
    }
)


def _next_shifts(session: Session, person: str, now: dt.datetime) -> list[dict]:
    rows = session.execute(
        select(Shift.id, Shift.duty_date, Shift.starts_at, Shift.ends_at, ShiftAssignment.role)
        .join(ShiftAssignment, ShiftAssignment.shift_id == Shift.id)
        .where(ShiftAssignment.person_id == person, Shift.ends_at > now)
        .order_by(Shift.starts_at)
        .limit(12)
    ).all()
    ids = [r[0] for r in rows]
    mates: dict[int, list[str]] = {}
    for sid, name in session.execute(
        select(ShiftAssignment.shift_id, Person.name)
        .join(Person, Person.id == ShiftAssignment.person_id)
        .where(ShiftAssignment.shift_id.in_(ids), ShiftAssignment.person_id != person)
        .order_by(ShiftAssignment.role, ShiftAssignment.seat)
    ):
        mates.setdefault(sid, []).append(name)
    return [
        {"date": d, "starts_at": s, "ends_at": e, "role": role, "with": mates.get(sid, [])}
        for sid, d, s, e, role in rows
    ]


def _tokens(session: Session, person: str) -> list[CalendarToken]:
    return list(
        session.scalars(
            select(CalendarToken).where(
                CalendarToken.owner_kind == "person",
                CalendarToken.owner_id == person,
                CalendarToken.revoked_at.is_(None),
            )
        )
    )


def qr_data_uri(url: str) -> str:
    import qrcode
    import qrcode.image.svg

    svg = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, border=2).to_string()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode()


def _ctx(request: Request, session: Session, user: CurrentUser, new_url: str | None = None) -> dict:
    now = clock_now(request)
    bureau = current_bureau(session)
    tz = bureau.bureau.timezone
    me = user.person_id
    tokens = _tokens(session, me)
    ctx = {
        "title": "我的班次",
        "bureau": bureau,
        "shifts": _next_shifts(session, me, now),
        "local": lambda i: local(i, tz),
        "role_name": role_name,
        "swaps": list(
            session.scalars(
                select(SwapRequest)
                .where((SwapRequest.requester == me) | (SwapRequest.colleague == me))
                .order_by(SwapRequest.id.desc())
                .limit(5)
            )
        ),
        "leaves": list(
            session.scalars(
                select(LeaveRequest).where(LeaveRequest.person == me).order_by(LeaveRequest.id.desc()).limit(5)
            )
        ),
        "tokens": tokens,
        "status_zh": STATUS_ZH,
        "token_since": min((t.created_at for t in tokens), default=None),
        "new_url": new_url,
    }
    if new_url:
        ctx["webcal_url"] = "webcal://" + new_url.split("://", 1)[1]
        ctx["qr"] = qr_data_uri(new_url)
    return ctx


@router.get("/me")
def me_page(
    request: Request, user: CurrentUser = require_role(*PEOPLE), session: Session = Depends(db_session)
) -> Response:
    return render(request, "me/index.html", _ctx(request, session, user))


@router.post("/me/calendar")
def rotate_calendar(
    request: Request, user: CurrentUser = require_role(*PEOPLE), session: Session = Depends(db_session)
) -> Response:
    """Revoke my person feeds and issue one new token: the URL is shown on this response only."""
    now = clock_now(request)
    for token in _tokens(session, user.person_id):
        revoke(session, str(token.id), now)
    secret, _ = issue(session, Scope("person", user.person_id), now)
    bureau = current_bureau(session)
    base = bureau.calendar.base_url if bureau.calendar else str(request.base_url).rstrip("/")
    url = feed_url(base, secret)
    session.commit()
    return render(request, "me/index.html", _ctx(request, session, user, new_url=url))
