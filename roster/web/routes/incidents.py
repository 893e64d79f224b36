"""突发事件 pages: register an incident, draft, sign (签发) and send its reports from a phone, and the incident
page with its clocks and timeline. Every action is one POST form (no JavaScript needed), guarded by role on
the server; the domain (roster.incidents) decides and refuses with errors naming the field."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from roster.incidents import ledger, reports
from roster.incidents.errors import IncidentError, NotFound, SignConflict
from roster.incidents.stats import month_stats
from roster.incidents.template import FIELDS
from roster.incidents.view import incident_view
from roster.storage.models.incidents import CLOSED, Incident
from roster.timeutil import TimeInputError, as_utc, parse_instant
from roster.web.access import require_role
from roster.web.auth import CurrentUser
from roster.web.deps import clock_now, db_session
from roster.web.i18n import pick, register, request_lang
from roster.web.incidents_text import ENGLISH
from roster.web.templating import register_nav, render

router = APIRouter(include_in_schema=False)
register_nav("/incidents", "突发事件", ("admin", "leader", "staff"), 45)
register(ENGLISH)
DUTY = ("admin", "leader", "staff")
SIGNERS = ("admin", "leader")


def _now(request: Request) -> dt.datetime:
    return dt.datetime.fromtimestamp(clock_now(request).timestamp(), tz=dt.UTC)


def _tz(session: Session) -> str:
    return ledger.section_of(session)[2]


def _local(tz: str):  # noqa: ANN202
    def local(instant: dt.datetime | str | None, fmt: str = "%m-%d %H:%M") -> str:
        if instant is None:
            return ""
        if isinstance(instant, str):
            instant = dt.datetime.fromisoformat(instant)
        return as_utc(instant).in_timezone(tz).strftime(fmt)

    return local


def _base(session: Session, now: dt.datetime) -> dict[str, Any]:
    section, _, tz = ledger.section_of(session)
    return {"section": section, "local": _local(tz), "now": now, "tz": tz}


def _error(request: Request, user: CurrentUser, exc: IncidentError) -> str:
    return pick(request_lang(request, user.locale), exc.zh, exc.en)


def _missing(request: Request) -> Response:
    return render(request, "error.html", {"title": "页面不存在"}, status_code=404)


@router.get("/incidents")
def incidents_list(
    request: Request, user: CurrentUser = require_role(*DUTY), session: Session = Depends(db_session)
) -> Response:
    now = _now(request)
    try:
        ctx = _base(session, now)
    except IncidentError as exc:
        return render(request, "error.html", {"title": _error(request, user, exc)}, status_code=404)
    open_ids = session.scalars(
        select(Incident.id).where(Incident.status != CLOSED).order_by(Incident.received_at.desc())
    ).all()
    closed = session.scalars(
        select(Incident).where(Incident.status == CLOSED).order_by(Incident.received_at.desc()).limit(20)
    ).all()
    month = ctx["local"](now, "%Y-%m")
    stats = month_stats(session, month, ctx["tz"])
    ctx.update(title="突发事件", open=[incident_view(session, i, now) for i in open_ids], closed=closed, stats=stats)
    return render(request, "incidents/list.html", ctx)


def _new_ctx(
    request: Request, session: Session, now: dt.datetime, form: dict[str, str], errors: dict[str, str]
) -> dict[str, Any]:
    ctx = _base(session, now)
    lang = request_lang(request)
    levels = [(lv.id, lv.label(lang)) for lv in sorted(ctx["section"].levels, key=lambda lv: lv.rank)]
    categories = [(c, c) for c in ctx["section"].categories]
    ctx.update(title="登记突发事件", form=form, errors=errors, level_options=levels, category_options=categories)
    return ctx


@router.get("/incidents/new")
def incident_form(
    request: Request, user: CurrentUser = require_role(*DUTY), session: Session = Depends(db_session)
) -> Response:
    now = _now(request)
    try:
        ctx = _base(session, now)
    except IncidentError as exc:
        return render(request, "error.html", {"title": _error(request, user, exc)}, status_code=404)
    form = {"received_at": ctx["local"](now, "%Y-%m-%dT%H:%M"), "severity": ctx["section"].levels[-1].id}
    return render(request, "incidents/new.html", _new_ctx(request, session, now, form, {}))


@router.post("/incidents/new")
def incident_create(
    request: Request,
    title: str = Form(""),
    severity: str = Form(""),
    received_at: str = Form(""),
    source: str = Form(""),
    place: str = Form(""),
    category: str = Form(""),
    facts: str = Form(""),
    user: CurrentUser = require_role(*DUTY),
    session: Session = Depends(db_session),
) -> Response:
    now = _now(request)
    form = dict(title=title, severity=severity, received_at=received_at, source=source, place=place)
    form.update(category=category, facts=facts)
    lang = request_lang(request, user.locale)
    try:
        received = parse_instant(received_at, tz=_tz(session), argument="received_at")
        incident = ledger.open_incident(
            session,
            title=title,
            severity=severity,
            received_at=dt.datetime.fromtimestamp(received.timestamp(), tz=dt.UTC),
            now=now,
            source=source,
            place=place,
            category=category,
            facts=facts,
            by=user.person_id,
        )
    except TimeInputError:
        errors = {"received_at": pick(lang, "请填写接报时间", "enter the time the news was received")}
        return render(request, "incidents/new.html", _new_ctx(request, session, now, form, errors), status_code=400)
    except IncidentError as exc:
        session.rollback()
        errors = {exc.field: _error(request, user, exc)}
        return render(request, "incidents/new.html", _new_ctx(request, session, now, form, errors), status_code=400)
    session.commit()
    return RedirectResponse(f"/incidents/{incident.id}", status_code=303)


def _show(
    request: Request, session: Session, incident_id: int, flash: str | None = None, status: int = 200
) -> Response:
    now = _now(request)
    try:
        view = incident_view(session, incident_id, now)
    except NotFound:
        return _missing(request)
    ctx = _base(session, now)
    ctx.update(title=view.incident.title, view=view, flash=flash, flash_kind="bad" if status >= 400 else "ok")
    return render(request, "incidents/show.html", ctx, status_code=status)


@router.get("/incidents/{incident_id}")
def incident_page(
    request: Request,
    incident_id: int,
    user: CurrentUser = require_role(*DUTY),
    session: Session = Depends(db_session),
) -> Response:
    return _show(request, session, incident_id)


def _act_on_incident(request: Request, session: Session, user: CurrentUser, incident_id: int, action) -> Response:  # noqa: ANN001
    try:
        result = action()
    except NotFound:
        session.rollback()
        return _missing(request)
    except IncidentError as exc:
        session.rollback()
        return _show(request, session, incident_id, _error(request, user, exc), 400)
    _commit(request, session)
    if result is not None and hasattr(result, "kind") and hasattr(result, "seq"):
        return RedirectResponse(f"/incidents/reports/{result.id}", status_code=303)
    return RedirectResponse(f"/incidents/{incident_id}", status_code=303)


def _commit(request: Request, session: Session) -> None:
    """Commit, then hand the urgent messages (sent reports) to delivery at once."""
    from notifications.urgent import hand_off, urgent_keys

    urgent = urgent_keys(session)
    session.commit()
    hand_off(urgent, dt.datetime.now(dt.UTC), request.app.state.database_url)


@router.post("/incidents/{incident_id}/draft")
def incident_draft(
    request: Request,
    incident_id: int,
    final: str = Form(""),
    user: CurrentUser = require_role(*DUTY),
    session: Session = Depends(db_session),
) -> Response:
    now = _now(request)
    return _act_on_incident(
        request, session, user, incident_id,
        lambda: reports.draft(session, incident_id, now=now, by=user.person_id, final=bool(final)),
    )  # fmt: skip


@router.post("/incidents/{incident_id}/phone")
def incident_phone(
    request: Request,
    incident_id: int,
    to: str = Form(""),
    user: CurrentUser = require_role(*DUTY),
    session: Session = Depends(db_session),
) -> Response:
    now = _now(request)
    return _act_on_incident(
        request, session, user, incident_id,
        lambda: ledger.record_phone(session, incident_id, at=now, to=to, now=now, by=user.person_id),
    )  # fmt: skip


@router.post("/incidents/{incident_id}/severity")
def incident_severity(
    request: Request,
    incident_id: int,
    severity: str = Form(""),
    reason: str = Form(""),
    user: CurrentUser = require_role(*DUTY),
    session: Session = Depends(db_session),
) -> Response:
    now = _now(request)
    return _act_on_incident(
        request, session, user, incident_id,
        lambda: ledger.change_severity(session, incident_id, severity, now=now, by=user.person_id, reason=reason),
    )  # fmt: skip


@router.post("/incidents/{incident_id}/update")
def incident_update(
    request: Request,
    incident_id: int,
    text: str = Form(""),
    user: CurrentUser = require_role(*DUTY),
    session: Session = Depends(db_session),
) -> Response:
    now = _now(request)
    return _act_on_incident(
        request, session, user, incident_id,
        lambda: ledger.record_development(session, incident_id, text, now=now, by=user.person_id),
    )  # fmt: skip


@router.post("/incidents/{incident_id}/link")
def incident_link(
    request: Request,
    incident_id: int,
    seq: str = Form(""),
    user: CurrentUser = require_role(*DUTY),
    session: Session = Depends(db_session),
) -> Response:
    from roster.incidents.links import link_log_entry

    now = _now(request)

    def link() -> None:
        if not seq.strip().isdigit():
            raise IncidentError("log", "请填写值班日志编号", "enter the duty-log entry number")
        link_log_entry(session, incident_id, int(seq), now=now, by=user.person_id)

    return _act_on_incident(request, session, user, incident_id, link)


@router.post("/incidents/{incident_id}/close")
def incident_close(
    request: Request,
    incident_id: int,
    confirm: str = Form(""),
    user: CurrentUser = require_role(*DUTY),
    session: Session = Depends(db_session),
) -> Response:
    now = _now(request)

    def end() -> Incident:
        if not confirm:
            raise IncidentError("confirm", "请勾选确认处置已结束", "tick the box to confirm the response has ended")
        return ledger.end_incident(session, incident_id, now=now, by=user.person_id)

    return _act_on_incident(request, session, user, incident_id, end)


@router.get("/incidents/{incident_id}/export.docx")
def incident_export(
    request: Request,
    incident_id: int,
    user: CurrentUser = require_role(*DUTY),
    session: Session = Depends(db_session),
) -> Response:
    from roster.incidents.export import incident_docx

    now = _now(request)
    try:
        view = incident_view(session, incident_id, now)
    except NotFound:
        return _missing(request)
    data = incident_docx(view, _tz(session), now)
    filename = f"incident-{view.incident.code}.docx"
    media = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(data, media_type=media, headers=headers)


def _report_page(
    request: Request,
    session: Session,
    report_id: int,
    flash: str | None = None,
    status: int = 200,
    fields=None,  # noqa: ANN001
) -> Response:
    now = _now(request)
    try:
        report = reports.get_report(session, report_id)
    except NotFound:
        return _missing(request)
    view = incident_view(session, report.incident_id, now)
    ctx = _base(session, now)
    ctx.update(
        title=reports.name_of(report),
        report=report,
        view=view,
        fields_def=FIELDS,
        values=fields or report.fields,
        flash=flash,
        flash_kind="bad" if status >= 400 else "ok",
    )
    return render(request, "incidents/report.html", ctx, status_code=status)


@router.get("/incidents/reports/{report_id}")
def report_page(
    request: Request, report_id: int, user: CurrentUser = require_role(*DUTY), session: Session = Depends(db_session)
) -> Response:
    return _report_page(request, session, report_id)


def _act_on_report(
    request: Request, session: Session, user: CurrentUser, report_id: int, action, fields=None
) -> Response:  # noqa: ANN001
    try:
        action()
    except NotFound:
        session.rollback()
        return _missing(request)
    except SignConflict as exc:
        session.rollback()
        return _report_page(request, session, report_id, _error(request, user, exc), 409)
    except IncidentError as exc:
        session.rollback()
        return _report_page(request, session, report_id, _error(request, user, exc), 400, fields)
    _commit(request, session)
    return RedirectResponse(f"/incidents/reports/{report_id}", status_code=303)


@router.post("/incidents/reports/{report_id}/edit")
def report_edit(
    request: Request,
    report_id: int,
    version: int = Form(0),
    time: str = Form(""),
    place: str = Form(""),
    what: str = Form(""),
    casualties: str = Form(""),
    measures: str = Form(""),
    next_steps: str = Form(""),
    unit: str = Form(""),
    contact: str = Form(""),
    user: CurrentUser = require_role(*DUTY),
    session: Session = Depends(db_session),
) -> Response:
    fields = dict(time=time, place=place, what=what, casualties=casualties, measures=measures)
    fields.update(next_steps=next_steps, unit=unit, contact=contact)
    now = _now(request)
    return _act_on_report(
        request, session, user, report_id,
        lambda: reports.edit(session, report_id, version=version, now=now, by=user.person_id, **fields), fields,
    )  # fmt: skip


@router.post("/incidents/reports/{report_id}/sign")
def report_sign(
    request: Request,
    report_id: int,
    version: int = Form(0),
    user: CurrentUser = require_role(*SIGNERS),
    session: Session = Depends(db_session),
) -> Response:
    now = _now(request)
    return _act_on_report(
        request, session, user, report_id,
        lambda: reports.sign(session, report_id, version=version, signer=user.person_id or "", now=now),
    )  # fmt: skip


@router.post("/incidents/reports/{report_id}/send")
def report_send(
    request: Request,
    report_id: int,
    user: CurrentUser = require_role(*DUTY),
    session: Session = Depends(db_session),
) -> Response:
    now = _now(request)
    return _act_on_report(
        request, session, user, report_id, lambda: reports.send(session, report_id, now=now, by=user.person_id)
    )
