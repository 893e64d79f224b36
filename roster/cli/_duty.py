"""What the ``dutyflow duty`` commands share (``duty.py``, and ``duty_log.py`` for the log and handover).

Imports stay inside the functions: the command modules are imported whenever the CLI is built.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Annotated

import typer

from roster.cli._common import fail

ByOption = Annotated[str | None, typer.Option("--by", help="Person id acting.")]


def bureau_tz() -> str:
    """The time zone of the admin file in force (the default zone before any is applied)."""
    from roster.admin.current import NoBureauApplied, current_bureau
    from roster.config import DEFAULT_TIMEZONE
    from roster.storage import open_session

    try:
        with open_session() as session:
            return current_bureau(session).bureau.timezone
    except NoBureauApplied:
        return DEFAULT_TIMEZONE


@contextlib.contextmanager
def duty_errors() -> Iterator[None]:
    """A ``DutyError`` inside ends the command with its message (exit 2), having changed nothing."""
    from roster.duty.facts import DutyError

    try:
        yield
    except DutyError as exc:
        fail(str(exc))


def settings_in(session):  # noqa: ANN001, ANN202
    """The duty section in force (``roster.duty.facts.duty_settings``)."""
    from roster.duty.facts import duty_settings

    return duty_settings(session)
