"""``dutyflow duty …``: check-in, roll call, duty log, handover, the tick and the scorecard.

Every command accepts ``--now`` and ``--json``. Errors name the argument (Chinese, then English), exit 2 and
change nothing; a roll-call answer that is not accepted exits 1 (the attempt itself is recorded).
"""

from __future__ import annotations

from typing import Annotated

import typer

from roster.cli._common import JsonOption, NowOption, fail, print_json, resolve_date, resolve_now
from roster.cli._duty import ByOption, bureau_tz, duty_errors, settings_in
from roster.cli.duty_log import handover_app, log_app

duty_app = typer.Typer(help="Duty operations: 签到 check-in, 查岗 roll call, 值班日志 duty log, 交接班 handover.",
                       no_args_is_help=True)  # fmt: skip
rollcall_app = typer.Typer(help="Roll calls (查岗/点名).", no_args_is_help=True)
duty_app.add_typer(rollcall_app, name="rollcall")
duty_app.add_typer(log_app, name="log")
duty_app.add_typer(handover_app, name="handover")


@duty_app.command("checkin")
def checkin(
    person: Annotated[str, typer.Argument(help="Person id checking in.")],
    address: Annotated[str | None, typer.Option("--address", help="Where from (IP), for the on-site check.")] = None,
    now: NowOption = None,
    json: JsonOption = False,
) -> None:
    """Check in for the shift whose check-in window is open (签到)."""
    from roster.duty.checkin import check_in
    from roster.storage import session_scope

    instant = resolve_now(now, bureau_tz())
    with duty_errors(), session_scope() as session:
        receipt = check_in(session, person, instant, via="cli", address=address)
    if json:
        print_json(receipt.as_dict())
        return
    place = {True: "on site", False: "OFF SITE", None: "place unknown"}[receipt.on_site]
    note = " (already checked in: nothing changed)" if receipt.replayed else ""
    typer.echo(
        f"{person} checked in for {receipt.shift} at {receipt.at}{' LATE' if receipt.late else ''}, {place}{note}"
    )


@duty_app.command("status")
def status(now: NowOption = None, json: JsonOption = False) -> None:
    """The shift on duty: who checked in, its roll calls, the handover."""
    from roster.duty.views import duty_status
    from roster.storage import open_session

    instant = resolve_now(now, bureau_tz())
    with duty_errors(), open_session() as session:
        data = duty_status(session, settings_in(session), instant)
    if json:
        print_json(data)
        return
    typer.echo(f"shift {data['shift']}  {data['starts_at']} → {data['ends_at']}")
    for seat in data["checkins"]:
        typer.echo(f"  {seat['person']:<6} {seat['role']:<16} {seat['state']:<8} {seat['at'] or ''}")
    for call in data["rollcalls"]:
        answered = ", ".join(f"{t['person']}:{t['state']}" for t in call["targets"])
        typer.echo(f"  roll call #{call['id']} {call['scheduled_at']} {call['state']}  {answered}")


@duty_app.command("check")
def check(now: NowOption = None, json: JsonOption = False) -> None:
    """One tick: send due roll calls; escalate missed check-ins, unanswered roll calls, open handovers."""
    from roster.duty.jobs import check_duty

    summary = check_duty(resolve_now(now, bureau_tz()))
    if json:
        print_json(summary.as_dict())
        return
    if summary.skipped:
        typer.echo(f"skipped: {summary.skipped}")
        return
    typer.echo(
        f"roll calls: {summary.rollcalls_scheduled} scheduled, {summary.rollcalls_sent} sent; "
        f"missed check-ins {summary.missed_checkins}, unanswered roll calls {summary.unanswered_rollcalls}, "
        f"open handovers {summary.open_handovers}; {summary.messages_enqueued} messages enqueued"
    )


@duty_app.command("scorecard")
def scorecard(
    month: Annotated[str, typer.Option("--month", help="YYYY-MM")],
    now: NowOption = None,
    json: JsonOption = False,
) -> None:
    """Monthly figures per person and for the bureau: check-in, roll call, handover, daily reports."""
    from roster.duty.scorecard import monthly_scorecard
    from roster.storage import open_session

    instant = resolve_now(now, bureau_tz())
    with duty_errors(), open_session() as session:
        card = monthly_scorecard(session, settings_in(session), month, instant)
    if json:
        print_json(card.as_dict())
        return
    typer.echo(card.summary_line())
    for row in card.people:
        typer.echo(row.text_line())


@rollcall_app.command("start")
def rollcall_start(
    by: Annotated[str, typer.Option("--by", help="Leader or admin starting the roll call.")],
    reply_within: Annotated[str | None, typer.Option("--reply-within", help="e.g. 5m; default: admin file")] = None,
    now: NowOption = None,
    json: JsonOption = False,
) -> None:
    """Start a roll call now: every person on duty gets a one-time code."""
    from roster.duty.rollcall import start_manual
    from roster.reports.schema import parse_minutes
    from roster.storage import session_scope

    minutes = None
    if reply_within is not None:
        try:
            minutes = parse_minutes(reply_within)
        except ValueError as exc:
            fail(f"--reply-within: {exc}")
    instant = resolve_now(now, bureau_tz())
    with duty_errors(), session_scope() as session:
        call = start_manual(session, settings_in(session), instant, by, minutes)
        data = {"rollcall": call.id, "sent_at": call.sent_at.isoformat(), "reply_until": call.reply_until.isoformat()}
    if json:
        print_json(data)
    else:
        typer.echo(f"roll call #{data['rollcall']} sent at {data['sent_at']}; answers until {data['reply_until']}")


@rollcall_app.command("answer")
def rollcall_answer(
    code: Annotated[str, typer.Argument(help="The one-time code from the roll-call message.")],
    by: ByOption = None,
    address: Annotated[str | None, typer.Option("--address", help="Where from (IP).")] = None,
    now: NowOption = None,
    json: JsonOption = False,
) -> None:
    """Answer a roll call by typing its code (exit 1 if it is not accepted)."""
    from roster.duty.rollcall import OUTCOME_TEXT, answer
    from roster.storage import session_scope

    instant = resolve_now(now, bureau_tz())
    with duty_errors(), session_scope() as session:
        result = answer(session, settings_in(session), code, instant, person_id=by, via="cli", address=address)
    if json:
        print_json(result.as_dict())
    zh, en = OUTCOME_TEXT[result.outcome]
    if not json:
        delay = f" after {result.delay_seconds:.0f} s" if result.delay_seconds is not None else ""
        (typer.echo if result.ok else lambda m: typer.echo(f"error: {m}", err=True))(f"{zh} ({en}){delay}")
    if not result.ok:
        raise typer.Exit(1)


@rollcall_app.command("list")
def rollcall_list(
    start: Annotated[str, typer.Option("--from", help="First local date, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option("--to", help="Last local date, YYYY-MM-DD.")],
    notice: Annotated[bool, typer.Option("--notice", help="Print the draft 通报 of unanswered calls.")] = False,
    now: NowOption = None,
    json: JsonOption = False,
) -> None:
    """The roll-call ledger of a period: every call, answer, delay and place (or the draft 通报)."""
    from roster.duty.views import rollcall_ledger, rollcall_notice
    from roster.storage import open_session

    first, last = resolve_date(start, "--from"), resolve_date(end, "--to")
    if last < first:
        fail("--to: 结束日期早于开始日期 (before --from)")
    instant = resolve_now(now, bureau_tz())
    with duty_errors(), open_session() as session:
        settings = settings_in(session)
        calls = rollcall_ledger(session, settings, first, last, instant)
        text = rollcall_notice(settings, calls, first, last) if notice else None
    if json:
        print_json({"rollcalls": calls, "notice": text})
    elif text is not None:
        typer.echo(text)
    else:
        for c in calls:
            for t in c["targets"]:
                delay = "" if t["delay_seconds"] is None else f" {t['delay_seconds']:.0f}s"
                typer.echo(
                    f"#{c['id']} {c['sent_at'] or c['scheduled_at']} {c['kind']:<9} "
                    f"{t['person']:<6} {t['state']}{delay}"
                )


def register(app: typer.Typer) -> None:
    app.add_typer(duty_app, name="duty")
