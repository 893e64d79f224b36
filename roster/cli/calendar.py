"""``dutyflow calendar``: export duty calendars (.ics) and manage the secret feed URLs staff subscribe to."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from roster.cli._common import JsonOption, NowOption, bureau_timezone, fail, print_json, resolve_date, resolve_now

calendar_app = typer.Typer(
    help="Calendar feeds of duty shifts (.ics) and their subscription tokens.", no_args_is_help=True
)
token_app = typer.Typer(help="Secret feed URLs: issue, revoke, rotate, list.", no_args_is_help=True)
calendar_app.add_typer(token_app, name="token")

PersonOpt = Annotated[str | None, typer.Option("--person", help="One person's shifts (person id, e.g. p01).")]
GroupOpt = Annotated[str | None, typer.Option("--group", help="Shifts held by members of a group (group id).")]
RoleOpt = Annotated[str | None, typer.Option("--role", help="Shifts of one duty role (e.g. leader_on_duty).")]
AllOpt = Annotated[bool, typer.Option("--all", help="Every shift of the roster.")]


def _scope(person: str | None, group: str | None, role: str | None, everyone: bool):  # noqa: ANN202
    from roster.calendar.feed import Scope

    chosen = [(k, v) for k, v in (("person", person), ("group", group), ("role", role)) if v is not None]
    if everyone:
        chosen.append(("all", None))
    if len(chosen) != 1:
        fail("give exactly one of --person ID, --group NAME, --role ROLE or --all")
    kind, ident = chosen[0]
    if ident is not None and not ident.strip():
        fail(f"--{kind}: must not be empty")
    return Scope(kind, ident.strip() if ident else None)


@calendar_app.command("export")
def export(
    out: Annotated[str, typer.Option("--out", help="File to write ('-' for standard output).")],
    person: PersonOpt = None,
    group: GroupOpt = None,
    role: RoleOpt = None,
    everyone: AllOpt = False,
    start: Annotated[str | None, typer.Option("--start", help="First local date (YYYY-MM-DD).")] = None,
    days: Annotated[int | None, typer.Option("--days", help="Number of local dates.", min=1, max=3 * 366)] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="zh-CN or en (default: person's or bureau's).")] = None,
    now: NowOption = None,
) -> None:
    """Write an RFC 5545 calendar of duty shifts."""
    from roster.calendar.export import export_feed
    from roster.calendar.feed import UnknownOwner
    from roster.calendar.render import LANGS
    from roster.storage import get_engine

    scope = _scope(person, group, role, everyone)
    if lang is not None and lang not in LANGS:
        fail(f"--lang: must be one of {', '.join(LANGS)}, not {lang!r}")
    first = resolve_date(start, "--start") if start else None
    instant = resolve_now(now, bureau_timezone(required=True))
    try:
        feed = export_feed(get_engine(), scope, instant, start=first, days=days, lang=lang, remember=True)
    except UnknownOwner as exc:
        fail(f"--{scope.kind}: {exc}")
    if out == "-":
        sys.stdout.buffer.write(feed.body)
        sys.stdout.flush()
        return
    path = Path(out)
    if not path.parent.is_dir():
        fail(f"--out: directory {str(path.parent)!r} does not exist")
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(feed.body)
    tmp.replace(path)  # atomic: a subscriber serving the file never sees half of it
    typer.echo(f"wrote {feed.events} events to {path}", err=True)


def _token_row(row) -> dict:  # noqa: ANN001
    return {
        "id": row.id,
        "owner": row.owner,
        "created_at": row.created_at.isoformat(),
        "last_access_at": row.last_access_at.isoformat() if row.last_access_at else None,
        "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None,
    }


def _base_url(session) -> str:  # noqa: ANN001
    from roster.admin.current import NoBureauApplied, current_bureau
    from roster.calendar.schema import CalendarSection

    try:
        return (current_bureau(session).calendar or CalendarSection()).base_url
    except NoBureauApplied as exc:
        fail(str(exc))


@token_app.command("issue")
def token_issue(
    person: PersonOpt = None,
    group: GroupOpt = None,
    role: RoleOpt = None,
    everyone: AllOpt = False,
    now: NowOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a feed URL and print it. It is shown only this once: only a hash is stored."""
    from roster.calendar.feed import UnknownOwner
    from roster.calendar.tokens import feed_url, issue, webcal_url
    from roster.storage import session_scope

    scope = _scope(person, group, role, everyone)
    instant = resolve_now(now, bureau_timezone(required=True))
    try:
        with session_scope() as session:
            base = _base_url(session)
            token, row = issue(session, scope, instant)
            info = _token_row(row) | {"url": feed_url(base, token), "webcal_url": webcal_url(base, token)}
    except UnknownOwner as exc:
        fail(str(exc))
    if as_json:
        print_json(info)
    else:
        typer.echo(info["url"])
        typer.echo(info["webcal_url"])
        typer.echo(f"token {info['id']} for {info['owner']}: the URL is shown only now; keep it secret", err=True)


@token_app.command("revoke")
def token_revoke(
    token_or_id: Annotated[str, typer.Argument(metavar="TOKEN_OR_ID", help="Token id (see list) or the token.")],
    now: NowOption = None,
) -> None:
    """Stop a feed URL from working (it answers 404 from now on)."""
    from roster.calendar.tokens import TokenNotFound, revoke
    from roster.storage import session_scope

    instant = resolve_now(now, bureau_timezone(required=True))
    try:
        with session_scope() as session:
            row = revoke(session, token_or_id, instant)
            typer.echo(f"revoked token {row.id} for {row.owner}")
    except TokenNotFound as exc:
        fail(str(exc))


@token_app.command("rotate")
def token_rotate(
    token_or_id: Annotated[str, typer.Argument(metavar="TOKEN_OR_ID", help="Token id (see list) or the token.")],
    now: NowOption = None,
    as_json: JsonOption = False,
) -> None:
    """Revoke a feed URL and issue a new one for the same owner; prints the new URL once."""
    from roster.calendar.feed import UnknownOwner
    from roster.calendar.tokens import TokenNotFound, feed_url, rotate, webcal_url
    from roster.storage import session_scope

    instant = resolve_now(now, bureau_timezone(required=True))
    try:
        with session_scope() as session:
            base = _base_url(session)
            token, old, new = rotate(session, token_or_id, instant)
            info = _token_row(new) | {"url": feed_url(base, token), "webcal_url": webcal_url(base, token)}
            info["replaces"] = old.id
    except (TokenNotFound, UnknownOwner) as exc:
        fail(str(exc))
    if as_json:
        print_json(info)
    else:
        typer.echo(info["url"])
        typer.echo(info["webcal_url"])
        typer.echo(f"token {old.id} revoked; new token {new.id} for {new.owner}", err=True)


@token_app.command("list")
def token_list(
    include_revoked: Annotated[bool, typer.Option("--revoked", help="Include revoked tokens.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Tokens with their owners, creation and last access (never the secret)."""
    from roster.calendar.tokens import list_tokens
    from roster.storage import open_session

    with open_session() as session:
        rows = [_token_row(r) for r in list_tokens(session, include_revoked)]
    if as_json:
        print_json(rows)
        return
    if not rows:
        typer.echo("no calendar tokens")
        return
    typer.echo(f"{'id':>4}  {'owner':<24} {'created':<25} {'last access':<25} revoked")
    for r in rows:
        typer.echo(
            f"{r['id']:>4}  {r['owner']:<24} {r['created_at']:<25} {r['last_access_at'] or '-':<25} "
            f"{r['revoked_at'] or '-'}"
        )


def register(app: typer.Typer) -> None:
    app.add_typer(calendar_app, name="calendar")
