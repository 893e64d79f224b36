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
