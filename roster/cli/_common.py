"""Options and helpers every command shares: --now, --json, clean errors with a non-zero exit."""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Annotated, Any, NoReturn

import typer

NowOption = Annotated[
    str | None, typer.Option("--now", help="Pretend it is this instant (ISO 8601); default: the real time.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def resolve_now(now: str | None, tz: str):  # noqa: ANN201
    """The --now option as a UTC pendulum instant (the real clock when absent)."""
    from roster.timeutil import TimeInputError, parse_instant, utc_now

    if now is None:
        return utc_now()
    try:
        return parse_instant(now, tz=tz, argument="--now")
    except TimeInputError as exc:
        fail(str(exc))


def bureau_timezone(*, required: bool = False) -> str:
    """The applied bureau's zone: how a --now without offset and the default dates are read. Before any
    admin file is applied: the default zone, or (``required``: the command needs a bureau anyway) an error."""
    from roster.admin.current import NoBureauApplied, current_bureau
    from roster.config import DEFAULT_TIMEZONE
    from roster.storage import open_session

    with open_session() as session:
        try:
            return current_bureau(session).bureau.timezone
        except NoBureauApplied as exc:
            if required:
                fail(str(exc))
            return DEFAULT_TIMEZONE


def resolve_date(value: str, argument: str) -> dt.date:
    from roster.timeutil import TimeInputError, parse_date

    try:
        return parse_date(value, argument=argument)
    except TimeInputError as exc:
        fail(str(exc))


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def database_failure(exc: BaseException) -> str | None:
    """One line for a database that cannot be reached or opened (None for any other error). The URL is shown
    with its password hidden."""
    kinds: list[type] = []
    for module, names in (
        ("sqlalchemy.exc", ("OperationalError", "InterfaceError")),
        ("sqlite3", ("OperationalError",)),  # the plain DB-API fast path of `dutyflow now`
        ("psycopg", ("OperationalError", "InterfaceError")),
    ):
        loaded = sys.modules.get(module)
        kinds += [getattr(loaded, name) for name in names if loaded is not None and hasattr(loaded, name)]
    if not isinstance(exc, tuple(kinds)):
        return None
    from roster.config import database_url

    return f"数据库无法访问 / cannot reach the database {safe_url(database_url())}: {short_reason(exc)}"


def safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL: show only its scheme
        return url.split(":", 1)[0] + "://…"


def short_reason(exc: BaseException) -> str:
    reason = str(getattr(exc, "orig", None) or exc).strip()
    return (reason.splitlines() or [type(exc).__name__])[0][:300]
