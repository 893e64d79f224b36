"""``dutyflow reports ...``: submit, excuse and acknowledge reports, the board, monthly stats, the tick, tokens."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Annotated

import typer

from roster.cli._common import JsonOption, NowOption, bureau_timezone, fail, print_json, resolve_date, resolve_now

reports_app = typer.Typer(
    help="Daily reports (日报告) and zero reports (零报告): ledger and escalation.", no_args_is_help=True
)
token_app = typer.Typer(help="HTTP tokens of reporting units.", no_args_is_help=True)
reports_app.add_typer(token_app, name="token")

DateOption = Annotated[str, typer.Option("--date", help="The local reporting day, YYYY-MM-DD.")]


def _attachment_limit(session) -> int:  # noqa: ANN001
    from roster.reports.ledger import bureau_attachment_limit

    return bureau_attachment_limit(session)


@reports_app.command("submit")
def submit(
    unit: Annotated[str, typer.Argument(help="Reporting unit id.")],
    date: DateOption,
    zero: Annotated[bool, typer.Option("--zero", help="A zero report (零报告): nothing to report.")] = False,
    text: Annotated[str | None, typer.Option("--text", help="The daily report's text.")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="Attach a file (stored exactly as sent).")] = None,
    idempotency_key: Annotated[
        str | None, typer.Option("--idempotency-key", help="Repeat-safe key; default: the content's checksum.")
    ] = None,
    now: NowOption = None,
    json: JsonOption = False,
) -> None:
    """File a daily report or a zero report; prints the receipt once it is committed."""
    from roster.reports.ledger import Attachment, ReportError
    from roster.reports.ledger import submit as submit_report
    from roster.storage import session_scope

    if not zero and text is None and file is None:
        fail("give one of --zero, --text or --file")
    day = resolve_date(date, "--date")
    instant = resolve_now(now, bureau_timezone())
    attachments = []
    if file is not None:
        try:
            data = file.read_bytes()
        except OSError as exc:
            fail(f"--file: cannot read {file}: {exc.strerror}")
        content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        attachments.append(Attachment(filename=file.name, content_type=content_type, data=data))
    try:
        with session_scope() as session:
            receipt = submit_report(
                session,
                unit_id=unit,
                day=day,
                kind="zero" if zero else "report",
                text=text or "",
                attachments=attachments,
                idempotency_key=idempotency_key,
                now=instant,
                via="cli",
                attachment_limit=_attachment_limit(session),
            )
    except ReportError as exc:
        fail(str(exc).replace("unit:", "UNIT:", 1).replace("date:", "--date:", 1))
    if json:
        print_json(receipt.as_dict())
        return
    what = "zero report" if receipt.kind == "zero" else "daily report"
    note = " (already recorded: nothing changed)" if receipt.replayed else ""
    note += f" (correction, revision {receipt.revision})" if receipt.correction else ""
    note += " (late)" if receipt.late else ""
    typer.echo(f"{what} for {receipt.unit} on {receipt.date} recorded: receipt {receipt.receipt}{note}")


@reports_app.command("history")
def history(
    unit: Annotated[str, typer.Argument(help="Reporting unit id.")],
    date: DateOption,
    save_to: Annotated[
        Path | None, typer.Option("--save-attachments", help="Write the attachments (checksums verified) here.")
    ] = None,
    json: JsonOption = False,
) -> None:
    """A unit-day's submissions: the report and every correction, oldest first."""
    from roster.reports.ledger import AttachmentCorrupted, ReportError, stored_attachments
    from roster.reports.ledger import history as submissions_of
    from roster.storage import open_session

    day = resolve_date(date, "--date")
    try:
        with open_session() as session:
            entries = submissions_of(session, unit_id=unit, day=day)
            if save_to is not None:
                for entry in entries:
                    folder = save_to / f"r{entry['revision']}"
                    folder.mkdir(parents=True, exist_ok=True)
                    for name, data in stored_attachments(session, receipt=entry["receipt"]):
                        (folder / name).write_bytes(data)
    except ReportError as exc:
        fail(str(exc).replace("unit:", "UNIT:", 1))
    except AttachmentCorrupted as exc:
        fail(str(exc), code=3)
    if json:
        print_json(entries)
        return
    if not entries:
        typer.echo(f"nothing received from {unit} for {day.isoformat()}")
    for e in entries:
        what = "zero report" if e["kind"] == "zero" else "daily report"
        label = "correction" if e["correction"] else "report"
        files = ", ".join(f"{a['filename']} ({a['size']} B)" for a in e["attachments"])
        typer.echo(
            f"r{e['revision']} {label}: {what} received {e['received_at']} via {e['via']}"
            f"{' (late)' if e['late'] else ''}  receipt {e['receipt']}"
        )
        if e["text"]:
            typer.echo(f"    {e['text']}")
        if files:
            typer.echo(f"    attachments: {files}")


@reports_app.command("excuse")
def excuse(
    unit: Annotated[str, typer.Argument(help="Reporting unit id.")],
    date: DateOption,
    by: Annotated[str, typer.Option("--by", help="Person id of whoever excuses it.")],
    reason: Annotated[str, typer.Option("--reason", help="Why no report is owed.")],
    now: NowOption = None,
) -> None:
    """Excuse a unit from one day's report (no escalation)."""
    from roster.reports.ledger import ReportError
    from roster.reports.ledger import excuse as excuse_day
    from roster.storage import session_scope

    day = resolve_date(date, "--date")
    instant = resolve_now(now, bureau_timezone())
    try:
        with session_scope() as session:
            excuse_day(session, unit_id=unit, day=day, by=by, reason=reason, now=instant)
    except ReportError as exc:
        fail(str(exc).replace("by:", "--by:", 1).replace("reason:", "--reason:", 1).replace("date:", "--date:", 1))
    typer.echo(f"{unit} excused for {day.isoformat()} by {by}")


@reports_app.command("ack")
def ack(
    unit: Annotated[str, typer.Argument(help="Reporting unit id.")],
    date: DateOption,
    by: Annotated[str, typer.Option("--by", help="Person id acknowledging.")],
    now: NowOption = None,
) -> None:
    """Acknowledge a late or missing report: further escalation steps stop."""
    from roster.reports.ledger import ReportError, acknowledge
    from roster.storage import session_scope

    day = resolve_date(date, "--date")
    instant = resolve_now(now, bureau_timezone())
    try:
        with session_scope() as session:
            result = acknowledge(session, unit_id=unit, day=day, by=by, now=instant, via="cli")
    except ReportError as exc:
        fail(str(exc).replace("by:", "--by:", 1).replace("date:", "--date:", 1))
    typer.echo(f"{unit} {day.isoformat()} acknowledged by {result['acked_by']}; escalation stopped")


@reports_app.command("status")
def status(date: DateOption, now: NowOption = None, json: JsonOption = False) -> None:
    """The day's board: every unit's state (pending, submitted, zero_report, late, missing, excused)."""
    from roster.reports.board import report_status
    from roster.storage import open_session

    day = resolve_date(date, "--date")
    instant = resolve_now(now, bureau_timezone())
    with open_session() as session:
        board = report_status(session, day, instant)
    if json:
        print_json(board)
        return
    if not board:
        typer.echo(f"no unit owes a report on {day.isoformat()}")
    for row in board:
        extra = f" received {row['received_at']}" if row["received_at"] else ""
        extra += f" acked by {row['acked_by']}" if row["acked_by"] else ""
        typer.echo(f"{row['unit']:<20} {row['deadline']}  {row['state']:<12} {row['name']}{extra}")


@reports_app.command("stats")
def stats(
    month: Annotated[str, typer.Option("--month", help="YYYY-MM")],
    now: NowOption = None,
    json: JsonOption = False,
) -> None:
    """Monthly punctuality per unit."""
    import re

    from roster.reports.board import monthly_stats
    from roster.storage import open_session

    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        fail(f"--month: expected YYYY-MM, got {month!r}")
    instant = resolve_now(now, bureau_timezone())
    with open_session() as session:
        rows = monthly_stats(session, month, instant)
    if json:
        print_json(rows)
        return
    for r in rows:
        pct = "-" if r["punctuality"] is None else f"{r['punctuality'] * 100:.1f}%"
        typer.echo(
            f"{r['unit']:<20} owed {r['owed']:>3}  on time {r['on_time']:>3}  late {r['late']:>3}  "
            f"missing {r['missing']:>3}  excused {r['excused']:>3}  punctuality {pct}"
        )


@reports_app.command("check")
def check(now: NowOption = None, json: JsonOption = False) -> None:
    """One escalation tick: enqueue every reminder due at --now (safe to repeat or run concurrently)."""
    from roster.reports.jobs import check_reports

    summary = check_reports(resolve_now(now, bureau_timezone()))
    if json:
        print_json(summary.as_dict())
    else:
        typer.echo(
            f"{summary.unit_days_due} unit-days due, {summary.messages_enqueued} messages enqueued, "
            f"{summary.events_recorded} events recorded"
        )


@token_app.command("issue")
def token_issue(unit: Annotated[str, typer.Argument(help="Reporting unit id.")], now: NowOption = None) -> None:
    """Issue an HTTP token for a unit (printed once; only its hash is stored)."""
    from roster.reports.ledger import ReportError, active_unit
    from roster.reports.links import issue_token
    from roster.storage import session_scope

    instant = resolve_now(now, bureau_timezone())
    try:
        with session_scope() as session:
            active_unit(session, unit)
            token = issue_token(session, unit, instant)
    except ReportError as exc:
        fail(str(exc).replace("unit:", "UNIT:", 1))
    typer.echo(token)


@token_app.command("revoke")
def token_revoke(unit: Annotated[str, typer.Argument(help="Reporting unit id.")], now: NowOption = None) -> None:
    """Revoke every live token of a unit."""
    from roster.reports.links import revoke_tokens
    from roster.storage import session_scope
    from roster.storage.models.reports import ReportUnit

    instant = resolve_now(now, bureau_timezone())
    with session_scope() as session:
        if session.get(ReportUnit, unit) is None:
            fail(f"UNIT: no reporting unit {unit!r}")
        count = revoke_tokens(session, unit, instant)
    typer.echo(f"revoked {count} token(s) of {unit}")


def register(app: typer.Typer) -> None:
    app.add_typer(reports_app, name="reports")
