"""``dutyflow demo``: the seed's scenario in one command — the Chuxiong bureau applied, 8 weeks planned."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from roster.cli._common import NowOption, fail, resolve_now

SEED_FILE = Path("examples") / "chuxiong.yaml"


def _seed_file() -> Path:
    """examples/chuxiong.yaml from the working directory, else from the source checkout."""
    for base in (Path.cwd(), Path(__file__).resolve().parents[2]):
        if (base / SEED_FILE).is_file():
            return base / SEED_FILE
    fail(f"cannot find {SEED_FILE}; pass --file")


def demo(
    file: Annotated[Path | None, typer.Option("--file", help="Admin file (default: examples/chuxiong.yaml).")] = None,
    weeks: Annotated[int, typer.Option("--weeks", min=1, max=104, help="Weeks to plan from today.")] = 8,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Delete the default SQLite database first (never touches PostgreSQL).")
    ] = False,
    time_limit: Annotated[float, typer.Option("--time-limit", min=0.1, help="Solver time limit in seconds.")] = 30.0,
    now: NowOption = None,
) -> None:
    """Load the seed bureau into the database and plan the roster from today for 8 weeks.

    Re-running is safe: applying the same file changes nothing and re-planning keeps every shift.
    """
    from roster.admin.apply import apply_file
    from roster.admin.current import current_bureau
    from roster.admin.loader import AdminFileError
    from roster.cli.plan import _print_report, _progress
    from roster.on_duty import on_duty_at
    from roster.planning.build import PlanningError
    from roster.planning.plan import plan
    from roster.shifts import duty_date_at
    from roster.storage import session_scope

    path = file or _seed_file()
    if fresh:
        _delete_sqlite_database()
    try:
        report = apply_file(path, resolve_now(now, "Asia/Shanghai"))
    except AdminFileError as exc:
        fail(f"{path} is not a valid admin file:\n{exc}")
    typer.echo(f"applied {path}: " + (f"{len(report.changes)} changes" if report.changes else "no changes"))
    with session_scope() as session:
        bureau = current_bureau(session)
        instant = resolve_now(now, bureau.bureau.timezone)
        start = duty_date_at(instant, bureau.shift_pattern, bureau.bureau.timezone)  # covers now
        try:
            with _progress(time_limit, enabled=True) as on_solution:
                days = weeks * 7
                planned = plan(
                    session, bureau, start, days, instant, actor="demo", time_limit_s=time_limit, progress=on_solution
                )
        except PlanningError as exc:
            fail(str(exc))
        _print_report(planned)
        if not planned.ok:
            raise typer.Exit(1)
        duty = on_duty_at(session, instant)
        invite = _admin_invite(session, bureau, instant)
    typer.echo(f"on duty now ({bureau.bureau.name}):")
    for person in duty.people:
        typer.echo(f"  {person.role}: {person.name} {person.phone}")
    typer.echo(f"next: `dutyflow roster show --start {start} --days 7`, then `dutyflow up` to run everything")
    if invite:
        typer.echo(f"web console: open this one-time link to log in as admin {invite[0]} and set a password:")
        typer.echo(f"  {invite[1]}")


def _admin_invite(session, bureau, now) -> tuple[str, str] | None:  # noqa: ANN001
    """A fresh invite for the first admin of the file (a newcomer is in with one click)."""
    from roster.accounts.service import issue_invite
    from roster.cli.users import base_url

    if not bureau.admins:
        return None
    account, token = issue_invite(session, bureau.admins[0], now, actor="demo")
    return account.login, f"{base_url(None)}/invite/{token}"


def _delete_sqlite_database() -> None:
    from roster.config import database_url
    from roster.storage import reset_engines

    url = database_url()
    if not url.startswith("sqlite:///"):
        fail("--fresh only deletes a SQLite database; empty other databases yourself")
    reset_engines()
    for suffix in ("", "-wal", "-shm"):
        Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
