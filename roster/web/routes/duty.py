"""The duty pages (值班): check in and answer a roll call from a phone, the duty log, the handover between
two logged-in officers, the scorecard. Thin shells over ``roster.duty``: every action is authorised here on
the server (role guard, and the domain checks the person is on the shift); refusals come back beside the
form in the user's language and change nothing. A GET never answers, signs or records anything."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session

from roster.admin.base import parse_clock
from roster.duty import rollcall as rollcalls
from roster.duty.facts import DutyError, contacts, duty_settings, shift_at
from roster.web.access import require_role
from roster.web.auth import CurrentUser
from roster.web.deps import clock_now, db_session
from roster.web.i18n import pick, request_lang
from roster.web.routes.duty_i18n import MESSAGES  # noqa: F401  (registers the English texts)
from roster.web.templating import register_nav, render

router = APIRouter(include_in_schema=False)
STAFF = ("admin", "leader", "staff")
register_nav("/duty", "值班签到", roles=STAFF, order=35)
register_nav("/duty/log", "值班日志", roles=STAFF, order=36)
register_nav("/duty/handover", "交接班", roles=STAFF, order=37)
register_nav("/duty/scorecard", "值班考核", roles=("admin", "leader"), order=38)

Db = Annotated[Session, Depends(db_session)]


def _zone(session: Session):  # noqa: ANN202
    from zoneinfo import ZoneInfo

    settings = duty_settings(session, required=False)
    return ZoneInfo(settings.timezone) if settings else None


def _address(request: Request) -> str | None:
    return request.client.host if request.client else None


def _error(request: Request, user: CurrentUser, exc: DutyError) -> str:
    return pick(request_lang(request, user.locale), exc.zh, exc.en)


def _index(
    request: Request,
    session: Session,
    user: CurrentUser,
    flash: str | None = None,
    bad: bool = False,
    status: int = 200,
) -> Response:
    from roster.duty.views import duty_status

    now = clock_now(request)
    settings = duty_settings(session, required=False)
    status_data, mine = None, None
    if settings is not None and shift_at(session, now) is not None:
        status_data = duty_status(session, settings, now, user.person_id)
        mine = _my_open_call(status_data, user.person_id)
    seat = next((c for c in (status_data or {}).get("checkins", []) if c["person"] == user.person_id), None)
    context = {
        "my_seat": seat,
        "duty_role": lambda role: {"leader_on_duty": "带班领导", "duty_officer": "值班员"}.get(role, role),
        "title": "值班签到",
        "settings": settings,
        "status": status_data,
        "open_call": mine,
        "can_start": user.has("admin", "leader"),
        "flash": flash,
        "flash_kind": "bad" if bad else "ok",
    }
    return render(request, "duty/index.html", context, status_code=status)


def _my_open_call(status: dict, person_id: str | None) -> dict | None:
    for call in status["rollcalls"]:
        for target in call["targets"]:
            if target["person"] == person_id and target["state"] == "waiting":
                return call
    return None


@router.get("/duty")
@router.get("/duty/rollcall")  # the link in roll-call messages: it shows the form and answers nothing
def duty_page(request: Request, session: Db, user: CurrentUser = require_role(*STAFF)) -> Response:
    return _index(request, session, user)


@router.post("/duty/checkin")
def duty_checkin(request: Request, session: Db, user: CurrentUser = require_role(*STAFF)) -> Response:
    from roster.duty.checkin import check_in

    lang = request_lang(request, user.locale)
    try:
        receipt = check_in(session, user.person_id or "", clock_now(request), via="web", address=_address(request))
        session.commit()
    except DutyError as exc:
        session.rollback()
        return _index(request, session, user, _error(request, user, exc), bad=True, status=400)
    text = pick(lang, f"已签到（{receipt.at[11:16]}）", f"Checked in ({receipt.at[11:16]})")
    if receipt.late:
        text += pick(lang, "，迟到", ", late")
    if receipt.on_site is False:
        text += pick(lang, "，不在值班室网络（记为离岗签到）", ", not from the duty room's network (recorded off-site)")
    if receipt.replayed:
        text = pick(lang, "此前已签到，未作更改", "Already checked in; nothing changed")
    return _index(request, session, user, text)


@router.post("/duty/rollcall")
def duty_answer(
    request: Request, session: Db, code: Annotated[str, Form()] = "", user: CurrentUser = require_role(*STAFF)
) -> Response:
    lang = request_lang(request, user.locale)
    if not code.strip():
        return _index(request, session, user, pick(lang, "请输入查岗码", "Type the roll-call code"), True, 400)
    settings = duty_settings(session)
    result = rollcalls.answer(
        session, settings, code, clock_now(request), person_id=user.person_id, via="web", address=_address(request)
    )
    session.commit()  # the attempt is part of the ledger, accepted or not
    zh, en = rollcalls.OUTCOME_TEXT[result.outcome]
    return _index(request, session, user, pick(lang, zh, en), bad=not result.ok, status=200 if result.ok else 400)


@router.post("/duty/rollcall/start")
def duty_start(request: Request, session: Db, user: CurrentUser = require_role("admin", "leader")) -> Response:
    lang = request_lang(request, user.locale)
    try:
        call = rollcalls.start_manual(
            session, duty_settings(session), clock_now(request), user.person_id or "", authorized=True
        )
        session.commit()
    except DutyError as exc:
        session.rollback()
        return _index(request, session, user, _error(request, user, exc), bad=True, status=400)
    return _index(request, session, user, pick(lang, f"已发起查岗 #{call.id}", f"Roll call #{call.id} sent"))


# -- duty log --------------------------------------------------------------------------------------------


def _log_page(
    request: Request,
    session: Db,
    user: CurrentUser,
    day: str | None,
    flash: str | None = None,
    bad: bool = False,
    status: int = 200,
    errors: dict | None = None,
    form: dict | None = None,
) -> Response:
    from roster.duty.export import shift_log
    from roster.duty.log import CATEGORIES, CATEGORY_EN, open_todos, verify

    settings = duty_settings(session)
    now = clock_now(request)
    doc = None
    try:
        if day:
            doc = shift_log(session, settings, dt.date.fromisoformat(day))
        elif (shift := shift_at(session, now)) is not None:
            doc = shift_log(session, settings, shift.duty_date)
    except (DutyError, ValueError):
        doc = None
    context = {
        "title": "值班日志",
        "doc": doc,
        "categories": [(c, CATEGORY_EN[c]) for c in CATEGORIES],
        "todos": open_todos(session),
        "verified": verify(session) if user.has("admin", "leader") else None,
        "errors": errors or {},
        "form": form or {},
        "flash": flash,
        "flash_kind": "bad" if bad else "ok",
    }
    return render(request, "duty/log.html", context, status_code=status)


@router.get("/duty/log")
def duty_log(
    request: Request, session: Db, date: str | None = None, user: CurrentUser = require_role(*STAFF)
) -> Response:
    return _log_page(request, session, user, date)


@router.post("/duty/log")
async def duty_log_add(
    request: Request,
    session: Db,
    text: Annotated[str, Form()] = "",
    category: Annotated[str, Form()] = "其他",
    todo: Annotated[bool, Form()] = False,
    at: Annotated[str, Form()] = "",
    corrects: Annotated[str, Form()] = "",
    resolves: Annotated[str, Form()] = "",
    files: Annotated[list[UploadFile] | None, File()] = None,
    user: CurrentUser = require_role(*STAFF),
) -> Response:
    from roster.duty.log import MAX_ATTACHMENT, NewAttachment, append

    lang = request_lang(request, user.locale)
    now = clock_now(request)
    form = {"text": text, "category": category, "todo": todo, "at": at, "corrects": corrects, "resolves": resolves}
    try:
        when = _clock_today(at, now, duty_settings(session).timezone)
        refs = {k: _number(k, v) for k, v in (("corrects", corrects), ("resolves", resolves))}
        attachments = []
        for upload in files or []:
            if upload.filename:
                data = await upload.read(MAX_ATTACHMENT + 1)
                attachments.append(
                    NewAttachment(upload.filename, upload.content_type or "application/octet-stream", data)
                )
        entry = append(
            session,
            now,
            author=user.person_id or "",
            text=text,
            category=category,
            todo=todo,
            at=when,
            attachments=attachments,
            **refs,
        )
        session.commit()
    except DutyError as exc:
        session.rollback()
        message = _error(request, user, exc)
        return _log_page(request, session, user, None, message, True, 400, {exc.field: message}, form)
    return _log_page(
        request, session, user, None, pick(lang, f"已记录第 {entry.seq} 条", f"Entry #{entry.seq} recorded")
    )


def _clock_today(value: str, now: dt.datetime, tz: str) -> dt.datetime | None:
    from roster.timeutil import local_date_of, local_wall_clock_to_utc

    if not value.strip():
        return None
    try:
        clock = parse_clock(value)
    except ValueError:
        raise DutyError("at", "时间格式应为 HH:MM", "time must be HH:MM") from None
    at = local_wall_clock_to_utc(local_date_of(now, tz), clock, tz)
    at = dt.datetime.fromtimestamp(at.timestamp(), tz=dt.UTC)
    return at - dt.timedelta(days=1) if at > now + dt.timedelta(minutes=1) else at  # 23:50 typed at 00:10


def _number(field: str, value: str) -> int | None:
    if not value.strip():
        return None
    if not value.strip().lstrip("#").isdigit():
        raise DutyError(field, "请填写日志序号（数字）", "give an entry number")
    return int(value.strip().lstrip("#"))


@router.get("/duty/log/export")
def duty_log_export(
    request: Request, session: Db, date: str, format: str = "docx", user: CurrentUser = require_role(*STAFF)
) -> Response:
    from roster.duty.export import as_docx, as_text, shift_log

    try:
        day = dt.date.fromisoformat(date)
        doc = shift_log(session, duty_settings(session), day)
    except (ValueError, DutyError):
        lang = request_lang(request, user.locale)
        return _log_page(
            request, session, user, None, pick(lang, "没有这一天的班次", "No shift on that date"), True, 404
        )
    name = f"值班日志-{day.isoformat()}.{'docx' if format == 'docx' else 'txt'}"
    headers = {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"}
    if format == "docx":
        media = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        return Response(as_docx(doc), media_type=media, headers=headers)
    return Response(as_text(doc).encode("utf-8"), media_type="text/plain; charset=utf-8", headers=headers)


# -- handover ---------------------------------------------------------------------------------------------


def _handover_page(
    request: Request, session: Db, user: CurrentUser, flash: str | None = None, bad: bool = False, status: int = 200
) -> Response:
    from roster.duty.handover import view

    current, error = None, None
    try:
        current = view(session, duty_settings(session), clock_now(request))
    except DutyError as exc:
        error = _error(request, user, exc)
    pid = user.person_id
    side = None
    if current is not None and pid:
        if current.outgoing.role_of(pid) and current.outgoing_signed_at is None:
            side = "outgoing"
        elif current.incoming.role_of(pid) and current.outgoing_signed_at and not current.incoming_signed_at:
            side = "incoming"
    names = {c.person_id: c.name for c in contacts(session).values()}
    context = {
        "title": "交接班",
        "h": current,
        "side": side,
        "unavailable": error,
        "tz": _zone(session),
        "names": lambda people: "、".join(names.get(p, p) for p, _role in people),
        "name_of": lambda pid: names.get(pid, pid),
        "flash": flash,
        "flash_kind": "bad" if bad else "ok",
    }
    return render(request, "duty/handover.html", context, status_code=status)


@router.get("/duty/handover")
def duty_handover(request: Request, session: Db, user: CurrentUser = require_role(*STAFF)) -> Response:
    return _handover_page(request, session, user)


@router.post("/duty/handover")
async def duty_handover_sign(request: Request, session: Db, user: CurrentUser = require_role(*STAFF)) -> Response:
    from roster.duty.handover import sign

    form = await request.form()
    lang = request_lang(request, user.locale)
    try:
        result = sign(
            session,
            duty_settings(session),
            clock_now(request),
            by=user.person_id or "",
            note=str(form.get("note") or ""),
            acks=[str(k) for k in form.getlist("ack")],
        )
        session.commit()
    except DutyError as exc:
        session.rollback()
        return _handover_page(request, session, user, _error(request, user, exc), True, 400)
    done = pick(lang, "交接班完成", "Handover complete") if result.complete else pick(lang, "已签字", "Signed")
    return _handover_page(request, session, user, done)


# -- scorecard --------------------------------------------------------------------------------------------


@router.get("/duty/scorecard")
def duty_scorecard(
    request: Request, session: Db, month: str | None = None, user: CurrentUser = require_role("admin", "leader")
) -> Response:
    from roster.duty.scorecard import month_bounds, monthly_scorecard
    from roster.duty.views import rollcall_ledger, rollcall_notice
    from roster.timeutil import local_date_of

    settings = duty_settings(session)
    now = clock_now(request)
    month = month or local_date_of(now, settings.timezone).strftime("%Y-%m")
    try:
        card = monthly_scorecard(session, settings, month, now)
    except DutyError as exc:
        month = local_date_of(now, settings.timezone).strftime("%Y-%m")
        card = monthly_scorecard(session, settings, month, now)
        error = _error(request, user, exc)
    else:
        error = None
    start, end = month_bounds(month, settings.timezone)
    first, last = local_date_of(start, settings.timezone), local_date_of(end, settings.timezone) - dt.timedelta(days=1)
    calls = rollcall_ledger(session, settings, first, last, now)
    context = {
        "title": "值班考核",
        "card": card,
        "pct": lambda v: "—" if v is None else f"{v * 100:.1f}%",
        "bureau": card.bureau(),
        "month": month,
        "calls": calls,
        "notice": rollcall_notice(settings, calls, first, last),
        "flash": error,
        "flash_kind": "bad",
    }
    return render(request, "duty/scorecard.html", context, status_code=400 if error else 200)
