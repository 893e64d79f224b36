"""``dutyflow inspections ...`` and ``dutyflow daily-report``: assign, record, tokens, stats, overdue."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from roster.cli._common import JsonOption, NowOption, bureau_timezone, fail, print_json, resolve_date, resolve_now

inspections = typer.Typer(help="Daily inspections of regulated sites by the six work groups.", no_args_is_help=True)
token_app = typer.Typer(help="Members' tokens for recording results over HTTP.", no_args_is_help=True)
inspections.add_typer(token_app, name="token")

DateOption = Annotated[str | None, typer.Option("--date", help="Local date YYYY-MM-DD; default: today (from --now).")]


@contextlib.contextmanager
def _errors() -> Iterator[None]:
    """Turn the feature's validation errors into `error: ...` with exit code 2 (nothing was written)."""
    from roster.admin.current import NoBureauApplied
    from roster.inspections.assign import InspectionsError
    from roster.inspections.results import ResultRejected

    try:
        yield
    except (InspectionsError, ResultRejected, NoBureauApplied) as exc:
        fail(str(exc))


def _day(date: str | None, now, argument: str = "--date"):  # noqa: ANN001, ANN202
    from roster.timeutil import local_date_of

    return resolve_date(date, argument) if date else local_date_of(now, bureau_timezone())


@inspections.command("assign")
def assign_cmd(date: DateOption = None, now: NowOption = None, json_: JsonOption = False) -> None:
    """Assign the day's due sites to the groups (stored; re-running returns the same plan) and notify leaders."""
    from roster.inspections.jobs import assign_day

    instant = resolve_now(now, bureau_timezone())
    with _errors():
        summary = assign_day(instant, day=_day(date, instant))
    if summary.skipped:
        fail(summary.skipped)
    if json_:
        print_json(summary.as_dict())
        return
    state = "computed" if summary.recomputed else "unchanged"
    typer.echo(f"{summary.date}: {summary.visits} visits (revision {summary.revision}, {state})")
    for group, n in (summary.by_group or {}).items():
        typer.echo(f"  {group:<20} {n}")
    left = summary.left or []
    if left:
        typer.echo(f"left unassigned ({len(left)}, most urgent first):")
        for row in left[:20]:
            typer.echo(f"  {row['site']}: {row['why']}")
        if len(left) > 20:
            typer.echo(f"  ... and {len(left) - 20} more (--json lists all)")
    typer.echo(f"messages to group leaders enqueued: {summary['messages_enqueued']}")


@inspections.command("show")
def show_cmd(date: DateOption = None, now: NowOption = None, json_: JsonOption = False) -> None:
    """The stored plan of a day: site, group, inspectors."""
    from sqlalchemy import select

    from roster.storage import session_scope
    from roster.storage.models.inspections import InspectionSite, InspectionVisit

    instant = resolve_now(now, bureau_timezone())
    day = _day(date, instant)
    with session_scope() as session:
        rows = session.execute(
            select(InspectionVisit, InspectionSite.name)
            .join(InspectionSite, InspectionSite.id == InspectionVisit.site_id)
            .where(InspectionVisit.day == day)
            .order_by(InspectionVisit.group_id, InspectionVisit.site_id)
        ).all()
        data = [
            {"site": v.site_id, "name": name, "group": v.group_id, "inspectors": v.inspectors, "reason": v.reason,
             "kind": v.kind}
            for v, name in rows
        ]  # fmt: skip
    if json_:
        print_json(data)
        return
    if not data:
        typer.echo(f"no plan for {day}: run `dutyflow inspections assign --date {day}`")
    for row in data:
        typer.echo(
            f"{row['group']:<20} {row['site']:<8} {row['name']}  {', '.join(row['inspectors'])}  ({row['reason']})"
        )


@inspections.command("record")
def record_cmd(
    site: Annotated[str, typer.Argument(help="Site id, e.g. rc001.")],
    date: Annotated[str, typer.Option("--date", help="The visit's local date YYYY-MM-DD.")],
    result: Annotated[str, typer.Option("--result", help="ok or issue.")],
    note: Annotated[str, typer.Option("--note", help="What was found.")] = "",
    by: Annotated[str | None, typer.Option("--by", help="Person id of who inspected.")] = None,
    now: NowOption = None,
    json_: JsonOption = False,
) -> None:
    """Record what a visit found (a correction is recorded as a new result; the newest counts)."""
    from roster.inspections.results import record_result
    from roster.storage import session_scope

    instant = resolve_now(now, bureau_timezone())
    day = resolve_date(date, "--date")
    with _errors(), session_scope() as session:
        rec = record_result(session, site_id=site, day=day, outcome=result, note=note, by=by, now=instant)
    data = {"result_id": rec.result_id, "site": rec.site_id, "date": rec.day.isoformat(), "result": rec.outcome,
            "late": rec.late}  # fmt: skip
    if json_:
        print_json(data)
    else:
        typer.echo(
            f"recorded {rec.outcome} for {rec.site_id} on {rec.day}" + (" (after the deadline)" if rec.late else "")
        )


@inspections.command("stats")
def stats_cmd(
    from_: Annotated[str | None, typer.Option("--from", help="First local date (inclusive).")] = None,
    to: Annotated[str | None, typer.Option("--to", help="Last local date (inclusive).")] = None,
    now: NowOption = None,
    json_: JsonOption = False,
) -> None:
    """Per sector and site type: sites inspected, visits, issues found, overdue; cumulative sentence."""
    from roster.admin.current import current_bureau
    from roster.inspections.stats import as_rows, inspection_stats, summary_sentence
    from roster.storage import session_scope

    instant = resolve_now(now, bureau_timezone())
    first = resolve_date(from_, "--from") if from_ else None
    last = resolve_date(to, "--to") if to else None
    if first and last and last < first:
        fail("--to is before --from")
    with _errors(), session_scope() as session:
        bureau = current_bureau(session)
        names = {t.id: t.name for t in bureau.inspections.site_types} if bureau.inspections else {}
        lines = inspection_stats(session, instant, first, last)
    if json_:
        print_json({"lines": as_rows(lines), "summary": summary_sentence(lines, names)})
        return
    typer.echo(f"{'sector':<26}{'type':<30}{'sites':>6}{'inspected':>10}{'visits':>8}{'issues':>8}{'overdue':>8}")
    for ln in lines:
        typer.echo(
            f"{ln.sector:<26}{ln.site_type:<30}{ln.sites:>6}{ln.sites_inspected:>10}{ln.visits:>8}{ln.issues:>8}"
            f"{ln.overdue:>8}"
        )
    typer.echo(summary_sentence(lines, names))


@inspections.command("overdue")
def overdue_cmd(now: NowOption = None, json_: JsonOption = False) -> None:
    """Visits with no result by their deadline (they are re-assigned first the next day)."""
    from roster.inspections.results import overdue_inspections
    from roster.storage import session_scope

    instant = resolve_now(now, bureau_timezone())
    with session_scope() as session:
        rows = overdue_inspections(session, instant)
    data = [
        {"date": o.day.isoformat(), "site": o.site_id, "name": o.site_name, "group": o.group_id,
         "inspectors": list(o.inspectors), "due_at": o.due_at.isoformat(), "group_leader": o.group_leader}
        for o in rows
    ]  # fmt: skip
    if json_:
        print_json(data)
        return
    for row in data:
        typer.echo(f"{row['date']}  {row['site']:<8} {row['name']}  ({row['group']})")
    typer.echo(f"{len(data)} overdue")


@token_app.command("issue")
def token_issue(
    person: Annotated[str, typer.Argument(help="Person id of a group member.")], now: NowOption = None
) -> None:
    """Issue a bearer token for POST /inspections/results. It is shown once; only its hash is stored."""
    from roster.inspections.results import issue_token
    from roster.storage import session_scope

    instant = resolve_now(now, bureau_timezone())
    with _errors(), session_scope() as session:
        token = issue_token(session, person, instant)
    typer.echo(token)


@token_app.command("revoke")
def token_revoke(person: Annotated[str, typer.Argument(help="Person id.")], now: NowOption = None) -> None:
    """Revoke every live token of a person."""
    from roster.inspections.results import revoke_tokens
    from roster.storage import session_scope

    instant = resolve_now(now, bureau_timezone())
    with _errors(), session_scope() as session:
        count = revoke_tokens(session, person, instant)
    typer.echo(f"revoked {count} token(s) of {person}")


def daily_report_cmd(
    date: DateOption = None,
    out: Annotated[Path | None, typer.Option("--out", help="Also write the report to this file.")] = None,
    now: NowOption = None,
    json_: JsonOption = False,
) -> None:
    """The bureau's daily report (日报告), or zero report (零报告) when nothing needs reporting."""
    from roster.inspections.jobs import daily_report

    instant = resolve_now(now, bureau_timezone())
    with _errors():
        summary = daily_report(instant, day=_day(date, instant))
    if summary.skipped:
        fail(summary.skipped)
    if out is not None:
        try:
            out.write_text(summary.text or "", encoding="utf-8")
        except OSError as exc:
            fail(f"--out: cannot write {out}: {exc.strerror}")
    if json_:
        print_json(summary.as_dict())
    else:
        typer.echo(summary.text, nl=False)
        typer.echo(f"(written to {summary.path})", err=True)


def register(app: typer.Typer) -> None:
    app.add_typer(inspections, name="inspections")
    app.command("daily-report")(daily_report_cmd)
