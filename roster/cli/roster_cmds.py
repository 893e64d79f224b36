"""``dutyflow roster show``, ``dutyflow coverage`` and ``dutyflow fairness``: read the stored roster."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from roster.cli._common import JsonOption, fail, print_json, resolve_date

roster_app = typer.Typer(help="The stored duty roster.", no_args_is_help=True)

StartOption = Annotated[str, typer.Option("--start", help="First local date (YYYY-MM-DD).")]
DaysOption = Annotated[int, typer.Option("--days", min=1, max=800, help="Number of days.")]
WEEKDAYS_ZH = "一二三四五六日"


def _bureau(session):  # noqa: ANN001, ANN202
    from roster.admin.current import NoBureauApplied, current_bureau

    try:
        return current_bureau(session)
    except NoBureauApplied as exc:
        fail(str(exc))


def roster_rows(session, bureau, start, days) -> list[dict[str, Any]]:  # noqa: ANN001
    """One row per planned slot: date, weekday, day kind, leader on duty, officers (with phones)."""
    import datetime as dt

    from sqlalchemy import select

    from roster.holidays import HolidayCalendar, HolidayDataMissing
    from roster.on_duty import LEADER_ON_DUTY
    from roster.planning.stored import seats_between
    from roster.shifts import generate_slots
    from roster.storage.models.people import Person

    calendar = HolidayCalendar.from_section(bureau.holidays)
    phones = dict(session.execute(select(Person.id, Person.phone)).all())
    names = dict(session.execute(select(Person.id, Person.name)).all())
    by_shift: dict[tuple, list] = {}
    for seat in seats_between(session, start, start + dt.timedelta(days=days - 1)):
        by_shift.setdefault((seat.duty_date, seat.slot), []).append(seat)
    rows = []
    for slot in generate_slots(start, days, bureau.shift_pattern, bureau.bureau.timezone):
        try:
            kind = calendar.kind(slot.duty_date).value
            holiday = calendar.holiday_name(slot.duty_date)
        except HolidayDataMissing:
            kind, holiday = "unknown", None
        seats = by_shift.get((slot.duty_date, slot.slot), [])

        def person(pid: str) -> dict[str, str]:
            return {"id": pid, "name": names.get(pid, pid), "phone": phones.get(pid, "")}

        rows.append(
            {
                "date": slot.duty_date.isoformat(),
                "weekday": slot.duty_date.isoweekday(),
                "slot": slot.slot,
                "kind": kind,
                "holiday": holiday,
                "starts_at": slot.starts_at.isoformat(),
                "ends_at": slot.ends_at.isoformat(),
                "leader_on_duty": [person(s.person) for s in seats if s.role == LEADER_ON_DUTY],
                "officers": [person(s.person) for s in seats if s.role != LEADER_ON_DUTY],
            }
        )
    return rows


@roster_app.command("show")
def show(start: StartOption, days: DaysOption, as_json: JsonOption = False) -> None:
    """The roster as a table: date, weekday, holiday mark, leader on duty, officers with phones."""
    from rich.console import Console
    from rich.table import Table

    from roster.storage import open_session

    first = resolve_date(start, "--start")
    with open_session() as session:
        rows = roster_rows(session, _bureau(session), first, days)
    if as_json:
        print_json(rows)
        return
    table = Table(show_lines=False)
    for column in ("date", "周", "", "leader on duty / 带班领导", "officers / 值班员"):
        table.add_column(column)
    for row in rows:
        mark = {"holiday": f"休 {row['holiday'] or ''}".strip(), "weekend": "末", "adjusted_workday": "班"}.get(
            row["kind"], ""
        )
        date = row["date"] if row["slot"] == "full" else f"{row['date']} {row['slot']}"
        fmt = lambda ps: ", ".join(f"{p['name']} {p['phone']}" for p in ps) or "—"  # noqa: E731
        table.add_row(date, WEEKDAYS_ZH[row["weekday"] - 1], mark, fmt(row["leader_on_duty"]), fmt(row["officers"]))
    Console(width=160).print(table)


def coverage_command(start: StartOption, days: DaysOption, as_json: JsonOption = False) -> None:
    """Gaps and rule violations in the stored roster; exit status 1 if there are any."""
    from dataclasses import asdict

    from roster.planning.check import coverage
    from roster.storage import open_session

    first = resolve_date(start, "--start")
    with open_session() as session:
        problems = coverage(session, _bureau(session), first, days)
    if as_json:
        print_json({"ok": not problems, "problems": [asdict(v) for v in problems]})
    elif not problems:
        typer.echo(f"{first} +{days} days: every shift covered, no rule broken")
    else:
        for v in problems:
            typer.echo(f"{v.rule:13} {v.message}")
    if problems:
        raise typer.Exit(1)


def fairness_command(as_json: JsonOption = False) -> None:
    """Per-person counts (opening ledger + every stored shift) by category, and the spread per role."""
    from rich.console import Console
    from rich.table import Table

    from roster.planning.fairness import fairness_table
    from roster.storage import open_session

    with open_session() as session:
        data = fairness_table(session, _bureau(session))
    if as_json:
        print_json(data)
        return
    table = Table()
    for column in ("person", "role", "duties", "nights", "weekends", "holidays"):
        table.add_column(column)
    for row in data["people"]:
        table.add_row(row["id"], row["role"], *(str(row[c]) for c in ("duties", "nights", "weekends", "holidays")))
    Console(width=120).print(table)
    for role, spreads in data["spread"].items():
        typer.echo(f"spread {role}: " + ", ".join(f"{c} {v}" for c, v in spreads.items()))


def register(app: typer.Typer) -> None:
    app.add_typer(roster_app, name="roster")
    app.command("coverage")(coverage_command)
    app.command("fairness")(fairness_command)
