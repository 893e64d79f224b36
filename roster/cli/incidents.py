"""``dutyflow incidents ...``: register incidents, draft, sign (签发) and send their reports, run the clocks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from roster.cli._common import JsonOption, NowOption, bureau_timezone, fail, print_json, resolve_now

incidents_app = typer.Typer(
    help="Incident information reporting (突发事件信息报送): 首报, 续报, 终报 against deadline clocks.",
    no_args_is_help=True,
)

IncidentArg = Annotated[str, typer.Argument(help="Incident id or code (2026-11-003).")]
ReportArg = Annotated[int, typer.Argument(help="Report id (see `incidents show`).")]
ByOption = Annotated[str | None, typer.Option("--by", help="Person id of who does this (for the record).")]
# Where a domain error names a field, the CLI names the option that carries it.
OPTIONS = {
    "severity": "--severity",
    "title": "--title",
    "received_at": "--received-at",
    "category": "--category",
    "source": "--source",
    "place": "--place",
    "facts": "--facts",
    "by": "--by",
    "signer": "--as",
    "version": "--version",
    "to": "--to",
    "at": "--at",
    "text": "--text",
    "next_steps": "--next-steps",
    "log": "--log",
}


def _run(action: Callable[[Any], Any]) -> Any:
    """Run ``action(session)`` in one transaction; an ``IncidentError`` exits cleanly, changing nothing."""
    import datetime as dt

    from notifications.urgent import hand_off, urgent_keys
    from roster.incidents.errors import IncidentError
    from roster.storage import session_scope

    try:
        with session_scope() as session:
            result = action(session)
            urgent = urgent_keys(session)
    except IncidentError as exc:
        option = OPTIONS.get(exc.field, exc.field)
        fail(f"{option}: {exc.zh} ({exc.en})")
    hand_off(urgent, dt.datetime.now(dt.UTC))  # a sent report reaches its recipients now, not at the next tick
    return result


def _now(now: str | None):  # noqa: ANN202
    from roster.incidents.clocks import plain_utc

    return plain_utc(resolve_now(now, bureau_timezone()))


def _instant(value: str, argument: str):  # noqa: ANN202
    from roster.incidents.clocks import plain_utc
    from roster.timeutil import TimeInputError, parse_instant

    try:
        return plain_utc(parse_instant(value, tz=bureau_timezone(), argument=argument))
    except TimeInputError as exc:
        fail(str(exc))


def _echo_incident(data: dict[str, Any]) -> None:
    typer.echo(f"{data['code']} (id {data['id']})  [{data['severity_name']}] {data['title']}  {data['status']}")
    for clock in data["clocks"]:
        state = "OVERDUE" if clock["overdue"] else "due"
        typer.echo(f"  {clock['name']}: {state} {clock['due_at']}")


def _show(session, ref: str | int, instant) -> dict[str, Any]:  # noqa: ANN001
    from roster.incidents.view import incident_view

    return incident_view(session, ref, instant).as_dict(instant)


@incidents_app.command("open")
def open_cmd(
    severity: Annotated[str, typer.Option("--severity", help="Severity level id from the admin file.")],
    title: Annotated[str, typer.Option("--title", help="A short title.")],
    received_at: Annotated[str, typer.Option("--received-at", help="When the news was received (接报), ISO 8601.")],
    source: Annotated[str, typer.Option("--source", help="Who reported it.")] = "",
    place: Annotated[str, typer.Option("--place", help="Where.")] = "",
    category: Annotated[str, typer.Option("--category", help="Category (see the admin file).")] = "",
    facts: Annotated[str, typer.Option("--facts", help="The first facts as received.")] = "",
    by: ByOption = None,
    now: NowOption = None,
    json: JsonOption = False,
) -> None:
    """Register an incident; its clocks start from --received-at."""
    from roster.incidents.ledger import open_incident

    instant, received = _now(now), _instant(received_at, "--received-at")
    kwargs = dict(title=title, severity=severity, source=source, place=place, category=category, facts=facts, by=by)
    data = _run(lambda s: _show(s, open_incident(s, received_at=received, now=instant, **kwargs).id, instant))
    print_json(data) if json else _echo_incident(data)


@incidents_app.command("list")
def list_cmd(
    all_: Annotated[bool, typer.Option("--all", help="Closed incidents too.")] = False,
    now: NowOption = None,
    json: JsonOption = False,
) -> None:
    """Open incidents (or all) with their running clocks, newest first."""
    from sqlalchemy import select

    from roster.storage.models.incidents import CLOSED, Incident

    instant = _now(now)

    def listing(session) -> list[dict[str, Any]]:  # noqa: ANN001
        stmt = select(Incident.id).order_by(Incident.received_at.desc())
        if not all_:
            stmt = stmt.where(Incident.status != CLOSED)
        return [_show(session, i, instant) for i in session.scalars(stmt)]

    rows = _run(listing)
    if json:
        print_json(rows)
        return
    for row in rows:
        _echo_incident(row)
    if not rows:
        typer.echo("no open incidents" if not all_ else "no incidents")


@incidents_app.command("show")
def show(incident: IncidentArg, now: NowOption = None, json: JsonOption = False) -> None:
    """An incident: facts, reports, clocks and timeline."""
    instant = _now(now)
    data = _run(lambda s: _show(s, incident, instant))
    if json:
        print_json(data)
        return
    _echo_incident(data)
    for r in data["reports"]:
        typer.echo(f"  report {r['id']}: {r['name']} {r['status']} (version {r['version']})")
    for e in data["timeline"]:
        typer.echo(f"  {e['at']}  {e['summary']}" + (f"  [{e['delivery']}]" if e["delivery"] else ""))


@incidents_app.command("phone")
def phone(
    incident: IncidentArg,
    to: Annotated[str, typer.Option("--to", help="Who was told by phone.")],
    at: Annotated[str | None, typer.Option("--at", help="When (default: now).")] = None,
    by: ByOption = None,
    now: NowOption = None,
) -> None:
    """Record the phone report (电话报告)."""
    from roster.incidents.ledger import record_phone

    instant = _now(now)
    when = _instant(at, "--at") if at else instant
    code = _run(lambda s: record_phone(s, incident, at=when, to=to, now=instant, by=by).code)
    typer.echo(f"{code}: phone report recorded")


@incidents_app.command("severity")
def severity(
    incident: IncidentArg,
    level: Annotated[str, typer.Argument(help="The new severity level id.")],
    reason: Annotated[str, typer.Option("--reason", help="Why.")] = "",
    by: ByOption = None,
    now: NowOption = None,
    json: JsonOption = False,
) -> None:
    """Raise or lower the severity; open clocks are recomputed, the history kept."""
    from roster.incidents.ledger import change_severity

    instant = _now(now)
    data = _run(lambda s: _show(s, change_severity(s, incident, level, now=instant, by=by, reason=reason).id, instant))
    print_json(data) if json else _echo_incident(data)


@incidents_app.command("update")
def update_cmd(
    incident: IncidentArg,
    text: Annotated[str, typer.Option("--text", help="What changed (新情况).")],
    by: ByOption = None,
    now: NowOption = None,
) -> None:
    """Record a development: a 续报 becomes due within the level's change window."""
    from roster.incidents.ledger import record_development

    instant = _now(now)
    code = _run(lambda s: record_development(s, incident, text, now=instant, by=by).code)
    typer.echo(f"{code}: development recorded")


@incidents_app.command("link")
def link_cmd(
    incident: IncidentArg,
    log: Annotated[int, typer.Option("--log", help="Duty-log entry number (值班日志 #N).")],
    by: ByOption = None,
    now: NowOption = None,
) -> None:
    """Put a duty-log entry on the incident's timeline (at the entry's own time)."""
    from roster.incidents.links import link_log_entry

    instant = _now(now)
    added = _run(lambda s: link_log_entry(s, incident, log, now=instant, by=by))
    typer.echo(f"duty-log entry #{log} linked" if added else f"duty-log entry #{log} was already linked")


def _fields(**values: str | None) -> dict[str, str]:
    return {k: v for k, v in values.items() if v is not None}


FieldOpt = Annotated[str | None, typer.Option(help="Template field.")]


@incidents_app.command("draft")
def draft_cmd(
    incident: IncidentArg,
    final: Annotated[bool, typer.Option("--final", help="Draft the 终报.")] = False,
    time: FieldOpt = None,
    place: FieldOpt = None,
    what: FieldOpt = None,
    casualties: FieldOpt = None,
    measures: FieldOpt = None,
    next_steps: FieldOpt = None,
    by: ByOption = None,
    now: NowOption = None,
    json: JsonOption = False,
) -> None:
    """Draft the next report from the template (首报, then 续报N; --final for the 终报)."""
    from roster.incidents.reports import draft
    from roster.incidents.view import report_dict

    instant = _now(now)
    fields = _fields(time=time, place=place, what=what, casualties=casualties, measures=measures, next_steps=next_steps)
    data = _run(lambda s: report_dict(draft(s, incident, now=instant, by=by, final=final, **fields)))
    print_json(data) if json else typer.echo(f"report {data['id']}: {data['name']} drafted\n{data['text']}")


@incidents_app.command("edit")
def edit_cmd(
    report: ReportArg,
    version: Annotated[int, typer.Option("--version", help="The version you read (refused if it changed).")],
    time: FieldOpt = None,
    place: FieldOpt = None,
    what: FieldOpt = None,
    casualties: FieldOpt = None,
    measures: FieldOpt = None,
    next_steps: FieldOpt = None,
    by: ByOption = None,
    now: NowOption = None,
    json: JsonOption = False,
) -> None:
    """Edit a draft's fields."""
    from roster.incidents.reports import edit
    from roster.incidents.view import report_dict

    instant = _now(now)
    fields = _fields(time=time, place=place, what=what, casualties=casualties, measures=measures, next_steps=next_steps)
    data = _run(lambda s: report_dict(edit(s, report, version=version, now=instant, by=by, **fields)))
    print_json(data) if json else typer.echo(f"report {data['id']}: {data['name']} now version {data['version']}")


@incidents_app.command("sign")
def sign_cmd(
    report: ReportArg,
    signer: Annotated[str, typer.Option("--as", help="Person id of the leader signing off (签发).")],
    version: Annotated[int | None, typer.Option("--version", help="The version you read (default: current).")] = None,
    now: NowOption = None,
    json: JsonOption = False,
) -> None:
    """Sign off a draft (签发): only the leader on duty or a named signer; one wins if two sign at once."""
    from roster.incidents.reports import get_report, sign
    from roster.incidents.view import report_dict

    instant = _now(now)

    def signing(session) -> dict[str, Any]:  # noqa: ANN001
        seen = version if version is not None else get_report(session, report).version
        return report_dict(sign(session, report, version=seen, signer=signer, now=instant))

    data = _run(signing)
    print_json(data) if json else typer.echo(f"report {data['id']}: {data['name']} signed by {data['signed_by']}")


@incidents_app.command("send")
def send_cmd(report: ReportArg, by: ByOption = None, now: NowOption = None, json: JsonOption = False) -> None:
    """Send a signed report to the level's recipients (through the outbox)."""
    from roster.incidents.reports import send
    from roster.incidents.view import report_dict

    instant = _now(now)

    def sending(session) -> dict[str, Any]:  # noqa: ANN001
        sent, messages = send(session, report, now=instant, by=by)
        return {**report_dict(sent), "messages_enqueued": messages}

    data = _run(sending)
    if json:
        print_json(data)
        return
    timely = "on time" if data["on_time"] else "LATE"
    typer.echo(f"report {data['id']}: {data['name']} sent ({timely}) to {data['messages_enqueued']} recipient(s)")


@incidents_app.command("close")
def close_cmd(incident: IncidentArg, by: ByOption = None, now: NowOption = None, json: JsonOption = False) -> None:
    """The response is over (处置结束): the 终报 clock starts, or the incident closes if none is owed."""
    from roster.incidents.ledger import end_incident

    instant = _now(now)
    data = _run(lambda s: _show(s, end_incident(s, incident, now=instant, by=by).id, instant))
    print_json(data) if json else _echo_incident(data)


@incidents_app.command("check")
def check_cmd(now: NowOption = None, json: JsonOption = False) -> None:
    """One tick: alert every reporting clock that is due (safe to repeat)."""
    from roster.incidents.jobs import check_incidents

    summary = check_incidents(_now(now)).as_dict()
    if json:
        print_json(summary)
        return
    typer.echo(
        f"{summary['incidents_checked']} open incident(s), {summary['clocks_overdue']} overdue clock(s); "
        f"{summary['messages_enqueued']} alert(s) enqueued"
    )


@incidents_app.command("stats")
def stats_cmd(
    month: Annotated[str, typer.Option("--month", help="YYYY-MM (bureau-local).")], json: JsonOption = False
) -> None:
    """Monthly statistics: 首报 on time, 续报 on time, time to the 终报."""
    import re

    from roster.incidents.stats import month_stats

    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        fail(f"--month: 应为 YYYY-MM (expected YYYY-MM), got {month!r}")
    data = _run(lambda s: month_stats(s, month, bureau_timezone()).as_dict())
    if json:
        print_json(data)
        return
    typer.echo(
        f"{month}: {data['incidents']} incident(s); 首报 on time {data['first_on_time']}/{data['first_sent']}; "
        f"续报 on time {data['followups_on_time']}/{data['followups_sent']}; "
        f"终报 {data['finals_sent']}, median {data['median_hours_to_final']} h"
    )


@incidents_app.command("export")
def export_cmd(
    incident: IncidentArg,
    out: Annotated[Path, typer.Option("--out", help="Write the .docx here.")],
    now: NowOption = None,
) -> None:
    """The whole incident file as .docx."""
    from roster.incidents.export import incident_docx
    from roster.incidents.view import incident_view

    instant = _now(now)
    data = _run(lambda s: incident_docx(incident_view(s, incident, instant), bureau_timezone(), instant))
    try:
        out.write_bytes(data)
    except OSError as exc:
        fail(f"--out: cannot write {out}: {exc.strerror}")
    typer.echo(f"wrote {out} ({len(data)} bytes)")


def register(app: typer.Typer) -> None:
    app.add_typer(incidents_app, name="incidents")
