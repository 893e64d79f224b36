"""``dutyflow validate FILE`` and ``dutyflow apply FILE``: the admin file, checked and applied."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from roster.cli._common import JsonOption, NowOption, print_json

FileArgument = Annotated[Path, typer.Argument(help="The admin file (YAML), e.g. examples/chuxiong.yaml.")]


def validate(file: FileArgument, json_output: JsonOption = False) -> None:
    """Check the admin file without touching the database; list every error with its line."""
    from roster.admin.loader import AdminFileError, load_bureau

    try:
        bureau = load_bureau(file)
    except AdminFileError as exc:
        _print_errors(exc, json_output)
        raise typer.Exit(1) from None
    from roster.admin.apply import normalized_sha256

    counts = {
        "people": len(bureau.people),
        "groups": len(bureau.groups),
        "roles": len(bureau.roles),
        "leave": len(bureau.leave),
    }
    if json_output:
        print_json({"ok": True, "file": str(file), "sha256": normalized_sha256(bureau), **counts})
        return
    typer.echo(
        f"ok: {counts['people']} people, {counts['groups']} groups, {counts['roles']} roles, "
        f"{counts['leave']} leave spans ({bureau.bureau.name}, {bureau.bureau.timezone})"
    )


def apply(
    file: FileArgument,
    now: NowOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would change; write nothing.")] = False,
    json_output: JsonOption = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="List every change, however many.")] = False,
) -> None:
    """Apply the admin file to the database in one transaction and report exactly what changed."""
    from roster.admin.apply import apply_validated
    from roster.admin.loader import AdminFileError, load_bureau
    from roster.cli._common import resolve_now

    try:
        bureau = load_bureau(file)
    except AdminFileError as exc:
        _print_errors(exc, json_output)
        raise typer.Exit(1) from None
    instant = resolve_now(now, bureau.bureau.timezone)  # a --now without offset is bureau-local time
    report = apply_validated(bureau, instant, dry_run=dry_run)
    if json_output:
        print_json(report.as_dict())
        return
    from rich.console import Console

    console = Console(highlight=False, soft_wrap=True)
    if not report.changes:
        for warning in report.warnings:
            console.print(f"[bold yellow]warning:[/bold yellow] {_escape(warning)}")
        console.print(f"no changes ({report.people} people, {report.groups} groups; sha256 {report.sha256[:12]})")
        return
    if verbose or len(report.changes) <= MAX_LISTED:
        for line in report.changes:
            console.print(_styled(line))
    else:
        # A first apply of the seed is hundreds of lines (every person, membership, site): per kind, the
        # first few and a count. The audit log and --json keep every line.
        by_kind: dict[str, list[str]] = {}
        for line in report.changes:
            by_kind.setdefault(_kind_of(line), []).append(line)
        for kind, lines in by_kind.items():
            console.print(f"[bold]{kind}[/bold]: {len(lines)} change(s)")
            for line in lines[:SHOWN_PER_KIND]:
                console.print("  " + _styled(line))
            if len(lines) > SHOWN_PER_KIND:
                console.print(f"  ... and {len(lines) - SHOWN_PER_KIND} more")
        console.print("(--verbose lists every change; --json and the audit log keep them all)")
    for warning in report.warnings:
        console.print(f"[bold yellow]warning:[/bold yellow] {_escape(warning)}")
    prefix = "dry run, nothing written: " if report.dry_run else ""
    console.print(
        f"{prefix}{report.summary()} ({report.people} people, {report.groups} groups; sha256 {report.sha256[:12]})"
    )


MAX_LISTED = 40
SHOWN_PER_KIND = 3


def _styled(line: str) -> str:
    added = " added" in line or " joined " in line or "re-activated" in line or "created" in line
    style = "green" if added else "red" if " removed" in line or " left " in line else "yellow"
    marker = "+" if style == "green" else "-" if style == "red" else "~"
    return f"[{style}]{marker}[/{style}] {_escape(line)}"


def _kind_of(line: str) -> str:
    head = line.split(":", 1)[0]
    if head in ("calendar", "inspections", "reports"):
        return head
    if line.startswith("person ") and (" joined group " in line or " left group " in line):
        return "memberships"
    for prefix, kind in (("person ", "people"), ("group ", "groups"), ("leave", "leave")):
        if line.startswith(prefix):
            return kind
    return "settings"


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _print_errors(exc, json_output: bool) -> None:  # noqa: ANN001
    if json_output:
        print_json(
            {
                "ok": False,
                "file": exc.source,
                "errors": [{"location": i.location, "line": i.line, "message": i.message} for i in exc.issues],
            }
        )
        return
    typer.echo(f"{exc.source}: {len(exc.issues)} error(s); nothing was applied", err=True)
    for issue in exc.issues:
        typer.echo(f"  {issue}", err=True)


def register(app: typer.Typer) -> None:
    app.command("validate")(validate)
    app.command("apply")(apply)
