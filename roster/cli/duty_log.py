"""``dutyflow duty log …`` and ``dutyflow duty handover …`` (registered by ``roster.cli.duty``)."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Annotated

import typer

from roster.cli._common import JsonOption, NowOption, fail, print_json, resolve_date, resolve_now
from roster.cli._duty import ByOption, bureau_tz, duty_errors, settings_in

log_app = typer.Typer(help="The duty log (值班日志): append-only, hash-chained.", no_args_is_help=True)
handover_app = typer.Typer(help="Handover (交接班).", no_args_is_help=True)


def _entry_dict(e, tz: str) -> dict:  # noqa: ANN001
    from zoneinfo import ZoneInfo

    return {
        "seq": e.seq, "at": e.at.astimezone(ZoneInfo(tz)).isoformat(timespec="minutes"), "author": e.author_id,
        "category": e.category, "text": e.text, "todo": e.todo, "corrects": e.corrects_id, "resolves": e.resolves_id,
        "attachments": e.attachments, "hash": e.hash,
    }  # fmt: skip


def _default_author(session, instant) -> str:  # noqa: ANN001
    from roster.duty.facts import shift_at

    shift = shift_at(session, instant)
    officers = [p for p, role in (shift.people if shift else ()) if role != "leader_on_duty"]
    if not officers:
        fail("--by: 此时没有值班员，请用 --by 指明记录人 (nobody on duty: give --by)")
    return officers[0]


@log_app.command("add")
def log_add(
    text: Annotated[str, typer.Option("--text", help="What happened.")],
    category: Annotated[
        str, typer.Option("--category", help="来电 来文 事件 检查 其他 (or call, document, …)")
    ] = "其他",
    by: ByOption = None,
    todo: Annotated[bool, typer.Option("--todo", help="An open item (待办) for the handover.")] = False,
    at: Annotated[str | None, typer.Option("--at", help="When it happened (ISO 8601); default: --now.")] = None,
    corrects: Annotated[int | None, typer.Option("--corrects", help="Entry number this one corrects.")] = None,
    resolves: Annotated[int | None, typer.Option("--resolves", help="待办 entry number this one closes.")] = None,
    file: Annotated[list[Path] | None, typer.Option("--file", help="Attach a file (repeatable).")] = None,
    now: NowOption = None,
    json: JsonOption = False,
) -> None:
    """Append an entry to the duty log (default author: the first duty officer on duty)."""
    from roster.duty.log import NewAttachment, append
    from roster.storage import session_scope

    tz = bureau_tz()
    instant = resolve_now(now, tz)
    when = resolve_now(at, tz) if at is not None else None
    attachments = []
    for path in file or []:
        try:
            data = path.read_bytes()
        except OSError as exc:
            fail(f"--file: cannot read {path}: {exc.strerror}")
        attachments.append(
            NewAttachment(path.name, mimetypes.guess_type(path.name)[0] or "application/octet-stream", data)
        )
    with duty_errors(), session_scope() as session:
        settings_in(session)
        entry = append(
            session, instant, author=by or _default_author(session, instant), text=text, category=category,
            todo=todo, at=when, corrects=corrects, resolves=resolves, attachments=attachments,
        )  # fmt: skip
        data = _entry_dict(entry, tz)
    if json:
        print_json(data)
    else:
        typer.echo(f"log entry #{data['seq']} recorded ({data['at']}, {data['category']}{', 待办' if todo else ''})")


@log_app.command("show")
def log_show(
    date: Annotated[str | None, typer.Option("--date", help="The shift starting on this local date.")] = None,
    now: NowOption = None,
    json: JsonOption = False,
) -> None:
    """The log of one shift (default: the shift on duty at --now)."""
    from roster.duty.export import as_text, shift_log
    from roster.duty.facts import DutyError, shift_at
    from roster.storage import open_session

    tz = bureau_tz()
    instant = resolve_now(now, tz)
    with duty_errors(), open_session() as session:
        settings = settings_in(session)
        if date is not None:
            day = resolve_date(date, "--date")
        else:
            shift = shift_at(session, instant)
            if shift is None:
                raise DutyError("--now", "此时没有排班", "no shift is planned at this instant")
            day = shift.duty_date
        doc = shift_log(session, settings, day)
        data = {"shift": doc.shift.uid, "entries": [_entry_dict(e, tz) for e in doc.entries]}
        text = as_text(doc)
    if json:
        print_json(data)
    else:
        typer.echo(text, nl=False)


@log_app.command("verify")
def log_verify(json: JsonOption = False) -> None:
    """Check the hash chain; exit 1 naming the first entry whose content or order was changed."""
    from roster.duty.log import verify
    from roster.storage import open_session

    with open_session() as session:
        result = verify(session)
    if json:
        print_json(result.as_dict())
    elif result.ok:
        typer.echo(f"duty log intact: {result.entries} entries, head #{result.head_seq} {result.head_hash}")
    else:
        typer.echo(f"error: duty log tampered with: {result.reason}", err=True)
    if not result.ok:
        raise typer.Exit(1)


@log_app.command("export")
def log_export(
    date: Annotated[str, typer.Option("--date", help="The shift starting on this local date.")],
    out: Annotated[Path, typer.Option("--out", help="File to write; .docx or .txt.")],
    slot: Annotated[str | None, typer.Option("--slot", help="day or night (day_night pattern).")] = None,
) -> None:
    """Export one shift's log as .docx or .txt (by --out's suffix)."""
    from roster.duty.export import as_docx, as_text, shift_log
    from roster.storage import open_session

    if out.suffix.lower() not in (".docx", ".txt"):
        fail("--out: 文件须以 .docx 或 .txt 结尾 (must end in .docx or .txt)")
    day = resolve_date(date, "--date")
    with duty_errors(), open_session() as session:
        doc = shift_log(session, settings_in(session), day, slot)
    data = as_docx(doc) if out.suffix.lower() == ".docx" else as_text(doc).encode("utf-8")
    out.write_bytes(data)
    typer.echo(f"wrote {out} ({len(doc.entries)} entries)")


@handover_app.command("show")
def handover_show(now: NowOption = None, json: JsonOption = False) -> None:
    """The handover nearest to --now: note, open items, who signed."""
    from roster.duty.handover import view
    from roster.storage import open_session

    instant = resolve_now(now, bureau_tz())
    with duty_errors(), open_session() as session:
        data = view(session, settings_in(session), instant).as_dict()
    if json:
        print_json(data)
        return
    typer.echo(f"handover {data['handover_at']}: {data['outgoing']['shift']} → {data['incoming']['shift']}")
    typer.echo(f"  outgoing signed: {data['outgoing_by'] or '-'} {data['outgoing_signed_at'] or ''}")
    typer.echo(f"  incoming signed: {data['incoming_by'] or '-'} {data['incoming_signed_at'] or ''}")
    if data["note"]:
        typer.echo(f"  note: {data['note']}")
    for item in data["items"]:
        typer.echo(f"  [{'x' if item['acknowledged'] else ' '}] {item['key']}  {item['title']}")
    typer.echo("  complete" if data["complete"] else "  not complete")


@handover_app.command("sign")
def handover_sign(
    by: Annotated[str, typer.Option("--by", help="Person signing (outgoing or incoming).")],
    note: Annotated[str | None, typer.Option("--note", help="The handover note (outgoing).")] = None,
    ack: Annotated[list[str] | None, typer.Option("--ack", help="Acknowledge an item by key (incoming).")] = None,
    ack_all: Annotated[bool, typer.Option("--ack-all", help="Acknowledge every listed item (incoming).")] = False,
    now: NowOption = None,
    json: JsonOption = False,
) -> None:
    """Sign the handover: outgoing with --note, incoming acknowledging every item."""
    from roster.duty.handover import sign
    from roster.storage import session_scope

    instant = resolve_now(now, bureau_tz())
    with duty_errors(), session_scope() as session:
        data = sign(session, settings_in(session), instant, by=by, note=note, acks=ack or [], ack_all=ack_all).as_dict()
    if json:
        print_json(data)
    else:
        typer.echo("handover complete" if data["complete"] else f"signed by {by}; waiting for the other side")
