"""``dutyflow plan`` and ``dutyflow swap``: plan a horizon with CP-SAT; swap or reassign a stored seat."""

from __future__ import annotations

from typing import Annotated

import typer

from roster.cli._common import JsonOption, NowOption, fail, print_json, resolve_date, resolve_now


def plan_command(
    start: Annotated[str, typer.Option("--start", help="First local date to plan (YYYY-MM-DD).")],
    days: Annotated[int, typer.Option("--days", min=1, max=800, help="Number of days to plan.")],
    time_limit: Annotated[float, typer.Option("--time-limit", min=0.1, help="Solver time limit in seconds.")] = 30.0,
    by: Annotated[str, typer.Option("--by", help="Who plans (recorded in the audit log).")] = "cli",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would change; write nothing.")] = False,
    now: NowOption = None,
    as_json: JsonOption = False,
) -> None:
    """Plan (or re-plan, changing as little as possible) the duty roster for DAYS days from START."""
    from roster.admin.current import NoBureauApplied, current_bureau
    from roster.planning.build import PlanningError
    from roster.planning.plan import plan
    from roster.storage import open_session

    first = resolve_date(start, "--start")
    with open_session() as session:
        try:
            bureau = current_bureau(session)
            instant = resolve_now(now, bureau.bureau.timezone)
            with _progress(time_limit, enabled=not as_json) as on_solution:
                report = plan(
                    session, bureau, first, days, instant, actor=by, time_limit_s=time_limit, progress=on_solution
                )
        except (NoBureauApplied, PlanningError) as exc:
            session.rollback()
            fail(str(exc))
        except BaseException:
            session.rollback()
            raise
        if dry_run:
            session.rollback()
        else:
            if report.ok:  # in the plan's transaction: the notices commit with the re-plan or not at all
                from roster.notices.changes import notify_shift_changes

                notify_shift_changes(session, report, "plan", instant)
            session.commit()
    if as_json:
        print_json({**report.to_dict(), "dry_run": dry_run})
    else:
        if dry_run:
            typer.echo("dry run: nothing written")
        _print_report(report)
    if not report.ok:
        raise typer.Exit(1)


class _progress:  # noqa: N801 - used as a context manager factory
    """A rich progress bar over the time limit, advanced by a timer; reports the best objective so far."""

    def __init__(self, time_limit: float, enabled: bool) -> None:
        self.time_limit, self.enabled = time_limit, enabled

    def __enter__(self):  # noqa: ANN204
        if not self.enabled:
            return None
        import threading
        import time

        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self._progress = Progress(
            TextColumn("planning"), BarColumn(), TimeElapsedColumn(), TextColumn("{task.fields[best]}"),
            console=Console(stderr=True), transient=True,
        )  # fmt: skip
        self._task = self._progress.add_task("plan", total=self.time_limit, best="")
        self._started, self._stop = time.perf_counter(), threading.Event()
        self._progress.start()

        def tick() -> None:
            while not self._stop.wait(0.2):
                self._progress.update(self._task, completed=min(self.time_limit, time.perf_counter() - self._started))

        self._thread = threading.Thread(target=tick, daemon=True)
        self._thread.start()
        return lambda info: self._progress.update(self._task, best=f"best {info['objective']:g}")

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self._stop.set()
            self._thread.join()
            self._progress.stop()


def _print_report(report) -> None:  # noqa: ANN001
    if not report.ok:
        typer.echo(f"no roster for {report.start} +{report.days} days ({report.status}):")
        for line in report.explanations:
            typer.echo(f"  - {line}")
        return
    typer.echo(
        f"planned {report.start} +{report.days} days: {report.status}, objective {report.objective}, "
        f"{report.wall_seconds:.1f} s; {report.created} new shifts, {len(report.changes)} changed, "
        f"{report.unchanged} unchanged"
    )
    for key, value in report.breakdown.items():
        typer.echo(f"  {key}: {value}")
    for uid in report.removed:
        typer.echo(f"  removed {uid} (no longer in the shift pattern)")
    for change in report.changes:
        label = "" if change.slot == "full" else f" {change.slot}"
        if change.times_changed:
            typer.echo(f"  {change.duty_date}{label}: times changed")
        for seat in change.seats:
            typer.echo(
                f"  {change.duty_date}{label} {seat.role}: {', '.join(seat.old) or '-'} -> {', '.join(seat.new) or '-'}"
            )


def swap_command(
    shift: Annotated[str, typer.Option("--shift", help="Local date of the shift the person holds (YYYY-MM-DD).")],
    person: Annotated[str, typer.Option("--person", help="Who gives up the seat.")],
    by: Annotated[str, typer.Option("--by", help="Who makes the change (audit log).")],
    reason: Annotated[str, typer.Option("--reason", help="Why (audit log).")],
    with_person: Annotated[
        str | None, typer.Option("--with-person", help="Exchange with this person (needs --with-shift).")
    ] = None,
    with_shift: Annotated[
        str | None, typer.Option("--with-shift", help="Local date of the other person's shift for an exchange.")
    ] = None,
    to: Annotated[str | None, typer.Option("--to", help="Reassign the seat to this person.")] = None,
    slot: Annotated[str | None, typer.Option("--slot", help="day or night (day_night pattern only).")] = None,
    now: NowOption = None,
    as_json: JsonOption = False,
) -> None:
    """Exchange two people's duties (--with-person B --with-shift DATE) or give a seat to someone (--to B)."""
    from roster.admin.current import NoBureauApplied, current_bureau
    from roster.notices.changes import notify_shift_changes
    from roster.planning.swap import SwapRefused, swap
    from roster.storage import session_scope

    if (with_person is None) == (to is None):
        fail("give exactly one of --with-person (exchange) or --to (reassign)")
    if with_person is not None and with_shift is None:
        fail("--with-shift: the date of the shift --with-person holds is required for an exchange")
    if to is not None and with_shift is not None:
        fail("--with-shift only applies to an exchange (--with-person)")
    day = resolve_date(shift, "--shift")
    other_day = resolve_date(with_shift, "--with-shift") if with_shift else None
    try:
        with session_scope() as session:
            bureau = current_bureau(session)
            instant = resolve_now(now, bureau.bureau.timezone)
            name = slot or ("full" if bureau.shift_pattern.kind == "full" else None)
            if name is None:
                fail("--slot: day or night is required with a day_night shift pattern")
            uid_a = f"{day:%Y%m%d}-{name}@dutyflow"
            uid_b = f"{other_day:%Y%m%d}-{name}@dutyflow" if other_day else None
            result = swap(session, uid_a, person, with_person or to, uid_b, now=instant, actor=by, reason=reason)
            notify_shift_changes(session, result, "swap", instant, reason=reason)
    except SwapRefused as exc:
        if as_json:
            print_json({"ok": False, "rule": exc.rule, "error": str(exc)})
            raise typer.Exit(1) from None
        fail(f"refused ({exc.rule}): {exc}", code=1)
    except NoBureauApplied as exc:
        fail(str(exc))
    if as_json:
        print_json({"ok": True, **result.to_dict()})
        return
    for move in result.moves:
        typer.echo(f"{move['date']} {move['role']}: {move['old']} -> {move['new']}")


def register(app: typer.Typer) -> None:
    app.command("plan")(plan_command)
    app.command("swap")(swap_command)
