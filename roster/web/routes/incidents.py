"""突发事件 pages: register an incident, draft, sign (签发) and send its reports from a phone, and the incident
page with its clocks and timeline. Every action is one POST form (no JavaScript needed), guarded by role on
the server; the domain (roster.incidents) decides and refuses with errors naming the field."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Desk:
    """One request at the duty desk: who asks, the request's database session, and the instant it is handled
    (the server's clock, or the test clock)."""

    request: Request
    user: CurrentUser
    session: Session
    now: dt.datetime

    @property
    def by(self) -> str | None:
        return self.user.person_id

    def error(self, exc: IncidentError) -> str:
        return pick(request_lang(self.request, self.user.locale), exc.zh, exc.en)


def _desk(*roles: str):  # noqa: ANN202 - a Depends(...) marker: the role guard, then the Desk
    def desk(
        request: Request, user: CurrentUser = require_role(*roles), session: Session = Depends(db_session)
    ) -> Desk:
        return Desk(request, user, session, dt.datetime.fromtimestamp(clock_now(request).timestamp(), tz=dt.UTC))

    return Depends(desk)


ON_DUTY = _desk(*DUTY)
SIGNING = _desk(*SIGNERS)


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


def _base(desk: Desk) -> dict[str, Any]:
    section, _, tz = ledger.section_of(desk.session)
    return {"section": section, "local": _local(tz), "now": desk.now, "tz": tz}


def _missing(desk: Desk) -> Response:
    return render(desk.request, "error.html", {"title": "页面不存在"}, status_code=404)


def _no_section(desk: Desk, exc: IncidentError) -> Response:
    """The bureau has no incidents section (or no admin file): the pages have nothing to show."""
    return render(desk.request, "error.html", {"title": desk.error(exc)}, status_code=404)


def _page(desk: Desk, template: str, flash: str | None, status: int, **values: Any) -> Response:
    """An incident or report page, with the outcome of the last action (if any) as its flash."""
    ctx = _base(desk)
    ctx.update(values, flash=flash, flash_kind="bad" if status >= 400 else "ok")
    return render(desk.request, template, ctx, status_code=status)


@router.get("/incidents")
def incidents_list(desk: Desk = ON_DUTY) -> Response:
    try:
        ctx = _base(desk)
    except IncidentError as exc:
        return _no_section(desk, exc)
    session, now = desk.session, desk.now
    open_ids = session.scalars(
        select(Incident.id).where(Incident.status != CLOSED).order_by(Incident.received_at.desc())
    ).all()
    closed = session.scalars(
        select(Incident).where(Incident.status == CLOSED).order_by(Incident.received_at.desc()).limit(20)
    ).all()
    month = ctx["local"](now, "%Y-%m")
    stats = month_stats(session, month, ctx["tz"])
    ctx.update(title="突发事件", open=[incident_view(session, i, now) for i in open_ids], closed=closed, stats=stats)
    return render(desk.request, "incidents/list.html", ctx)


def _new_page(desk: Desk, form: dict[str, str], errors: dict[str, str], status: int = 200) -> Response:
    ctx = _base(desk)
    lang = request_lang(desk.request)
    levels = [(lv.id, lv.label(lang)) for lv in sorted(ctx["section"].levels, key=lambda lv: lv.rank)]
    categories = [(c, c) for c in ctx["section"].categories]
    ctx.update(title="登记突发事件", form=form, errors=errors, level_options=levels, category_options=categories)
    return render(desk.request, "incidents/new.html", ctx, status_code=status)


@router.get("/incidents/new")
def incident_form(desk: Desk = ON_DUTY) -> Response:
    try:
        ctx = _base(desk)
    except IncidentError as exc:
        return _no_section(desk, exc)
    form = {"received_at": ctx["local"](desk.now, "%Y-%m-%dT%H:%M"), "severity": ctx["section"].levels[-1].id}
    return _new_page(desk, form, {})


@router.post("/incidents/new")
def incident_create(
    title: str = Form(""),
    severity: str = Form(""),
    received_at: str = Form(""),
    source: str = Form(""),
    place: str = Form(""),
    category: str = Form(""),
    facts: str = Form(""),
    desk: Desk = ON_DUTY,
) -> Response:
    form = dict(title=title, severity=severity, received_at=received_at, source=source, place=place)
    form.update(category=category, facts=facts)
    try:
        received = parse_instant(received_at, tz=_tz(desk.session), argument="received_at")
        incident = ledger.open_incident(
            desk.session,
            title=title,
            severity=severity,
            received_at=dt.datetime.fromtimestamp(received.timestamp(), tz=dt.UTC),
            now=desk.now,
            source=source,
            place=place,
            category=category,
            facts=facts,
            by=desk.by,
        )
    except TimeInputError:
        lang = request_lang(desk.request, desk.user.locale)
        return _new_page(
            desk, form, {"received_at": pick(lang, "请填写接报时间", "enter the time the news was received")}, 400
        )
    except IncidentError as exc:
        desk.session.rollback()
        return _new_page(desk, form, {exc.field: desk.error(exc)}, 400)
    desk.session.commit()
    return RedirectResponse(f"/incidents/{incident.id}", status_code=303)


def _show(desk: Desk, incident_id: int, flash: str | None = None, status: int = 200) -> Response:
    try:
        view = incident_view(desk.session, incident_id, desk.now)
    except NotFound:
        return _missing(desk)
    return _page(desk, "incidents/show.html", flash, status, title=view.incident.title, view=view)


@router.get("/incidents/{incident_id}")
def incident_page(incident_id: int, desk: Desk = ON_DUTY) -> Response:
    return _show(desk, incident_id)


def _act(
    desk: Desk, action: Callable[[], Any], refused: Callable[[str, int], Response], done: Callable[[Any], str]
) -> Response:
    """Run one action in the request's transaction. Refused: roll back and show ``refused(message, status)``
    (409 when someone else edited or signed first, else 400). Done: commit, hand the urgent messages to
    delivery, and redirect to ``done(result)``."""
    try:
        result = action()
    except NotFound:
        desk.session.rollback()
        return _missing(desk)
    except IncidentError as exc:
        desk.session.rollback()
        return refused(desk.error(exc), 409 if isinstance(exc, SignConflict) else 400)
    _commit(desk)
    return RedirectResponse(done(result), status_code=303)


def _commit(desk: Desk) -> None:
    """Commit, then hand the urgent messages (sent reports) to delivery at once."""
    from notifications.urgent import hand_off, urgent_keys

    urgent = urgent_keys(desk.session)
    desk.session.commit()
    hand_off(urgent, dt.datetime.now(dt.UTC), desk.request.app.state.database_url)


def _act_on_incident(desk: Desk, incident_id: int, action: Callable[[], Any]) -> Response:
    def done(result: object) -> str:  # a drafted report opens its own page; anything else, the incident's
        drafted = result is not None and hasattr(result, "kind") and hasattr(result, "seq")
        return f"/incidents/reports/{result.id}" if drafted else f"/incidents/{incident_id}"

    return _act(desk, action, lambda message, status: _show(desk, incident_id, message, status), done)


@router.post("/incidents/{incident_id}/draft")
def incident_draft(incident_id: int, final: str = Form(""), desk: Desk = ON_DUTY) -> Response:
    return _act_on_incident(
        desk, incident_id, lambda: reports.draft(desk.session, incident_id, now=desk.now, by=desk.by, final=bool(final))
    )


@router.post("/incidents/{incident_id}/phone")
def incident_phone(incident_id: int, to: str = Form(""), desk: Desk = ON_DUTY) -> Response:
    now = desk.now
    return _act_on_incident(
        desk, incident_id, lambda: ledger.record_phone(desk.session, incident_id, at=now, to=to, now=now, by=desk.by)
    )


@router.post("/incidents/{incident_id}/severity")
def incident_severity(
    incident_id: int, severity: str = Form(""), reason: str = Form(""), desk: Desk = ON_DUTY
) -> Response:
    return _act_on_incident(
        desk, incident_id,
        lambda: ledger.change_severity(desk.session, incident_id, severity, now=desk.now, by=desk.by, reason=reason),
    )  # fmt: skip


@router.post("/incidents/{incident_id}/update")
def incident_update(incident_id: int, text: str = Form(""), desk: Desk = ON_DUTY) -> Response:
    return _act_on_incident(
        desk, incident_id, lambda: ledger.record_development(desk.session, incident_id, text, now=desk.now, by=desk.by)
    )


@router.post("/incidents/{incident_id}/link")
def incident_link(incident_id: int, seq: str = Form(""), desk: Desk = ON_DUTY) -> Response:
    from roster.incidents.links import link_log_entry

    def link() -> None:
        if not seq.strip().isdigit():
            raise IncidentError("log", "请填写值班日志编号", "enter the duty-log entry number")
        link_log_entry(desk.session, incident_id, int(seq), now=desk.now, by=desk.by)

    return _act_on_incident(desk, incident_id, link)


@router.post("/incidents/{incident_id}/close")
def incident_close(incident_id: int, confirm: str = Form(""), desk: Desk = ON_DUTY) -> Response:
    def end() -> Incident:
        if not confirm:
            raise IncidentError("confirm", "请勾选确认处置已结束", "tick the box to confirm the response has ended")
        return ledger.end_incident(desk.session, incident_id, now=desk.now, by=desk.by)

    return _act_on_incident(desk, incident_id, end)


@router.get("/incidents/{incident_id}/export.docx")
def incident_export(incident_id: int, desk: Desk = ON_DUTY) -> Response:
    from roster.incidents.export import incident_docx

    try:
        view = incident_view(desk.session, incident_id, desk.now)
    except NotFound:
        return _missing(desk)
    data = incident_docx(view, _tz(desk.session), desk.now)
    filename = f"incident-{view.incident.code}.docx"
    media = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(data, media_type=media, headers=headers)


def _report_page(
    desk: Desk, report_id: int, flash: str | None = None, status: int = 200, fields: dict[str, str] | None = None
) -> Response:
    try:
        report = reports.get_report(desk.session, report_id)
    except NotFound:
        return _missing(desk)
    view = incident_view(desk.session, report.incident_id, desk.now)
    return _page(
        desk, "incidents/report.html", flash, status,
        title=reports.name_of(report), report=report, view=view, fields_def=FIELDS, values=fields or report.fields,
    )  # fmt: skip


@router.get("/incidents/reports/{report_id}")
def report_page(report_id: int, desk: Desk = ON_DUTY) -> Response:
    return _report_page(desk, report_id)


def _act_on_report(
    desk: Desk, report_id: int, action: Callable[[], Any], fields: dict[str, str] | None = None
) -> Response:
    def refused(message: str, status: int) -> Response:  # the edited fields are shown again, unless overtaken
        return _report_page(desk, report_id, message, status, fields if status != 409 else None)

    return _act(desk, action, refused, lambda _: f"/incidents/reports/{report_id}")


@router.post("/incidents/reports/{report_id}/edit")
def report_edit(
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
    desk: Desk = ON_DUTY,
) -> Response:
    fields = dict(time=time, place=place, what=what, casualties=casualties, measures=measures)
    fields.update(next_steps=next_steps, unit=unit, contact=contact)
    return _act_on_report(
        desk, report_id,
        lambda: reports.edit(desk.session, report_id, version=version, now=desk.now, by=desk.by, **fields), fields,
    )  # fmt: skip


@router.post("/incidents/reports/{report_id}/sign")
def report_sign(report_id: int, version: int = Form(0), desk: Desk = SIGNING) -> Response:
    return _act_on_report(
        desk,
        report_id,
        lambda: reports.sign(desk.session, report_id, version=version, signer=desk.by or "", now=desk.now),
    )


@router.post("/incidents/reports/{report_id}/send")
def report_send(report_id: int, desk: Desk = ON_DUTY) -> Response:
    return _act_on_report(desk, report_id, lambda: reports.send(desk.session, report_id, now=desk.now, by=desk.by))
