"""``dutyflow notifications``: deliver the outbox, list what is pending or failed, re-queue dead letters."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from roster.cli._common import JsonOption, NowOption, fail, print_json, resolve_now
from roster.config import DEFAULT_TIMEZONE

notifications_app = typer.Typer(help="Deliver notifications from the outbox; inspect and retry failures.")


@notifications_app.command("deliver")
def deliver_command(
    now: NowOption = None,
    worker: Annotated[str | None, typer.Option("--worker", help="Worker name (default host:pid:random).")] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Claim at most this many messages.")] = None,
    json_output: JsonOption = False,
) -> None:
    """Send every message that is due (retries with backoff, falls back to the next channel)."""
    from notifications.delivery import deliver
    from notifications.sender import console_to
    from notifications.settings import DeliveryPolicy, SettingsError, SmtpSettings
    from roster.storage import open_session

    instant = resolve_now(now, DEFAULT_TIMEZONE)
    try:
        policy, smtp = DeliveryPolicy.from_env(), SmtpSettings.from_env()
    except SettingsError as exc:
        fail(str(exc))
    # With --json, stdout carries the summary only; console-channel messages go to stderr.
    with open_session() as session, console_to(sys.stderr if json_output else sys.stdout):
        summary = deliver(session, instant, worker=worker, limit=limit, policy=policy, smtp=smtp)
    if json_output:
        print_json(summary.as_dict())
        return
    typer.echo(
        f"worker {summary['worker']}: claimed {summary['claimed']}, sent {summary['sent']}, "
        f"retrying {summary['retrying']}, fallen back {summary['fallen_back']}, dead {summary['dead']}"
    )


@notifications_app.command("remind")
def remind_command(now: NowOption = None, json_output: JsonOption = False) -> None:
    """Queue the duty reminders owed now (day before, and before the handover); running it twice sends nothing twice."""
    from roster.admin.current import NoBureauApplied, current_bureau
    from roster.notices.reminders import send_reminders
    from roster.storage import session_scope

    try:
        with session_scope() as session:
            bureau = current_bureau(session)
            instant = resolve_now(now, bureau.bureau.timezone)
            summary = {"now": instant.isoformat(), **send_reminders(session, bureau, instant)}
    except NoBureauApplied as exc:
        fail(str(exc))
    if json_output:
        print_json(summary)
        return
    due, queued, before = summary["due"], summary["enqueued"], summary["already_sent"]
    typer.echo(f"reminders due {due}: queued {queued}, already queued {before}")
    if summary["unreachable"]:
        typer.echo(f"no channel for: {', '.join(summary['unreachable'])}")


@notifications_app.command("list")
def list_command(
    failed: Annotated[bool, typer.Option("--failed", help="Dead letters only.")] = False,
    pending: Annotated[bool, typer.Option("--pending", help="Messages waiting to be sent.")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Show at most this many (newest first).")] = 100,
    source: Annotated[
        str | None, typer.Option("--source", help="Only this source, or a prefix ending in '.' (e.g. change.).")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """List outbox messages, newest first, with their source (reminder, change.swap, escalation, ...)."""
    from notifications.queue import list_messages
    from roster.storage import open_session

    with open_session() as session:
        rows = list_messages(session, failed=failed, pending=pending, limit=limit, source=source)
    if json_output:
        print_json(rows)
        return
    if not rows:
        typer.echo("no messages")
        return
    for row in rows:
        line = (
            f"#{row['id']:<6} {row['status']:<11} {row['source']:<16} {row['channel']:<8} {row['address']:<24} "
            f"{row['subject']}"
        )
        typer.echo(line)
        if row["status"] != "sent" and row["last_error"]:
            typer.echo(f"        attempts {row['attempts']}, last error: {row['last_error']}")


@notifications_app.command("show")
def show_command(message_id: Annotated[int, typer.Argument(metavar="ID")], json_output: JsonOption = False) -> None:
    """One message and every delivery attempt made for it."""
    from notifications.queue import attempts_of, describe
    from roster.storage import open_session
    from roster.storage.models.outbox import OutboxMessage

    with open_session() as session:
        message = session.get(OutboxMessage, message_id)
        if message is None:
            fail(f"ID: no outbox message {message_id}")
        data = describe(message) | {"body": message.body, "attempt_log": attempts_of(session, message_id)}
    if json_output:
        print_json(data)
        return
    for key, value in data.items():
        if key != "attempt_log":
            typer.echo(f"{key}: {value}")
    for attempt in data["attempt_log"]:
        mark = "ok" if attempt["ok"] else "FAILED"
        typer.echo(f"  {attempt['at']} {attempt['channel']} {mark} {attempt['worker']} {attempt['error'] or ''}")


@notifications_app.command("retry")
def retry_command(message_id: Annotated[int, typer.Argument(metavar="ID")], now: NowOption = None) -> None:
    """Re-queue a dead letter on its channel with a fresh retry budget."""
    from notifications.queue import NotRetryable, retry_message
    from roster.storage import session_scope

    instant = resolve_now(now, DEFAULT_TIMEZONE)
    try:
        with session_scope() as session:
            message = retry_message(session, message_id, instant)
            typer.echo(f"message #{message.id} queued again on {message.channel} {message.address}")
    except NotRetryable as exc:
        fail(str(exc))


def register(app: typer.Typer) -> None:
    app.add_typer(notifications_app, name="notifications")
