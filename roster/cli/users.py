"""``dutyflow users``: web console accounts — invite links, passwords, listing, disabling."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from roster.cli._common import JsonOption, NowOption, fail, print_json, resolve_now

users_app = typer.Typer(help="Web console accounts: invite, set-password, list, disable, enable.", no_args_is_help=True)

DEFAULT_BASE_URL = "http://127.0.0.1:8080"
NameArg = Annotated[str, typer.Argument(help="Person id (p05) or reporting unit id (grp-parks).")]
BaseUrlOption = Annotated[
    str | None,
    typer.Option("--base-url", help="Where users reach the console (default: $DUTYFLOW_PUBLIC_URL or 127.0.0.1:8080)."),
]


def base_url(option: str | None) -> str:
    return (option or os.environ.get("DUTYFLOW_PUBLIC_URL") or DEFAULT_BASE_URL).rstrip("/")


def _bureau_zone(session) -> str:  # noqa: ANN001
    from roster.admin.current import NoBureauApplied, current_bureau

    try:
        return current_bureau(session).bureau.timezone
    except NoBureauApplied as exc:
        fail(str(exc))


@users_app.command("invite")
def invite(name: NameArg, now: NowOption = None, base: BaseUrlOption = None, as_json: JsonOption = False) -> None:
    """Print a one-time login link (valid 72 h) that lets the account set its password."""
    from roster.accounts.service import INVITE_TTL, AccountError, issue_invite
    from roster.storage import session_scope

    with session_scope() as session:
        instant = resolve_now(now, _bureau_zone(session))
        try:
            account, token = issue_invite(session, name, instant, actor="cli")
        except AccountError as exc:
            fail(f"{name}: {exc.en}")
        url = f"{base_url(base)}/invite/{token}"
        expires = (instant + INVITE_TTL).isoformat()
        login = account.login
    if as_json:
        print_json({"login": login, "url": url, "expires_at": expires})
    else:
        typer.echo(f"invite for {login} (valid until {expires}, one use):\n{url}")


@users_app.command("set-password")
def set_password_cmd(
    name: NameArg,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")] = False,
    now: NowOption = None,
) -> None:
    """Set an account's password (asked twice, hidden); creates the account if needed."""
    from roster.accounts.service import AccountError, ensure_account, set_password, subject_for
    from roster.admin.current import current_bureau
    from roster.storage import session_scope

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
        confirm = password
    else:
        password = typer.prompt("password", hide_input=True)
        confirm = typer.prompt("repeat", hide_input=True)
    with session_scope() as session:
        instant = resolve_now(now, _bureau_zone(session))
        bureau = current_bureau(session)
        try:
            account = ensure_account(session, bureau, subject_for(bureau, name), instant)
            set_password(session, account, password, confirm, instant, actor="cli")
        except AccountError as exc:
            fail(f"{exc.field}: {exc.en}")
        typer.echo(f"password set for {account.login}")


@users_app.command("list")
def list_cmd(now: NowOption = None, as_json: JsonOption = False) -> None:
    """Everyone who may have an account: login, name, roles and status (none, invited, active, disabled)."""
    from roster.accounts.service import list_accounts
    from roster.admin.current import current_bureau
    from roster.storage import open_session

    with open_session() as session:
        instant = resolve_now(now, _bureau_zone(session))
        rows = list_accounts(session, current_bureau(session), instant)
    if as_json:
        print_json([r.as_dict() for r in rows])
        return
    for r in rows:
        last = r.last_login_at.isoformat(timespec="minutes") if r.last_login_at else "-"
        typer.echo(f"{r.login:<20} {r.subject.name:<16} {','.join(sorted(r.subject.roles)):<14} {r.status:<9} {last}")


@users_app.command("disable")
def disable_cmd(name: NameArg, now: NowOption = None) -> None:
    """Disable an account: its sessions end now and it cannot log in until enabled."""
    _toggle(name, now, enable=False)


@users_app.command("enable")
def enable_cmd(name: NameArg, now: NowOption = None) -> None:
    """Enable a disabled account again (its password still works)."""
    _toggle(name, now, enable=True)


def _toggle(name: str, now: str | None, enable: bool) -> None:
    from roster.accounts.service import AccountError, disable
    from roster.accounts.service import enable as enable_account
    from roster.storage import session_scope

    with session_scope() as session:
        instant = resolve_now(now, _bureau_zone(session))
        try:
            account = (enable_account if enable else disable)(session, name, instant, actor="cli")
        except AccountError as exc:
            fail(f"{name}: {exc.en}")
        typer.echo(f"{account.login} {'enabled' if enable else 'disabled'}")


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
