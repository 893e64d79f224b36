"""``dutyflow now``: who is on duty at this instant (leader on duty and officers), with phones.

The work is in ``roster.cli._now`` (plain reads, no Typer); this is the Typer command for ``--help`` and
the values it words errors for. ``roster.cli.main`` usually answers without importing this module.
"""

from __future__ import annotations

import typer

from roster.cli._common import JsonOption, NowOption, resolve_now
from roster.cli._now import iso_instant, now_utc, run_now


def now(now: NowOption = None, json_output: JsonOption = False) -> None:
    """Show the leader on duty and the duty officers at this instant (or at --now)."""

    def instant_of(tz: str):  # noqa: ANN202 - an aware UTC datetime
        if now is None:
            return now_utc()
        return iso_instant(now, tz) or resolve_now(now, tz)  # pendulum reads the rest, or words the error

    code = run_now(instant_of, json_output)
    if code:
        raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command("now")(now)
