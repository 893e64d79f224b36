"""``dutyflow backup --out FILE`` and ``dutyflow restore FILE``: the whole state, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from roster.cli._common import JsonOption, fail, print_json


def backup(
    out: Annotated[Path, typer.Option("--out", help="The backup file to write (0600).")],
    logical: Annotated[
        bool,
        typer.Option("--logical", help="On SQLite too, write the portable JSON-lines dump (to move to PostgreSQL)."),
    ] = False,
    json: JsonOption = False,
) -> None:
    """A consistent snapshot while everything keeps running (SQLite online backup; PostgreSQL logical dump)."""
    from roster.backup import BackupError
    from roster.backup import backup as take_backup
    from roster.config import database_url

    if out.exists() and out.is_dir():
        fail(f"--out: {out} is a directory; name the backup file")
    if not out.parent.is_dir():
        fail(f"--out: no such directory {out.parent}")
    try:
        summary = take_backup(database_url(), out, logical=logical)
    except BackupError as exc:
        fail(str(exc))
    _report(summary.as_dict(), json, "backup written")


def restore(
    file: Annotated[Path, typer.Argument(help="A file written by `dutyflow backup`.")],
    json: JsonOption = False,
) -> None:
    """Fill an empty database (DUTYFLOW_DATABASE_URL) from a backup; refuses a database that holds data."""
    from roster.backup import BackupError
    from roster.backup import restore as restore_backup
    from roster.config import database_url

    if not file.is_file():
        fail(f"FILE: no such file {file}")
    try:
        summary = restore_backup(database_url(), file)
    except BackupError as exc:
        fail(str(exc))
    _report(summary.as_dict(), json, "restored")


def _report(summary: dict, json: bool, verb: str) -> None:
    if json:
        print_json(summary)
        return
    rows = sum(summary["tables"].values())
    typer.echo(
        f"{verb}: {summary['path']} ({summary['kind']}, {len(summary['tables'])} tables, {rows} rows, "
        f"{summary['bytes']} bytes)"
    )


def register(app: typer.Typer) -> None:
    app.command("backup")(backup)
    app.command("restore")(restore)
