"""A plain-text roster file for benchmark solutions: one line per employee, one field per day.

::

    # dutyflow NRP roster: Instance1 (14 days)
    # penalty 607
    A  -  -  D  D  D  D  -  -  D  D  D  -  -  -
    B  D  D  D  D  D  -  -  D  D  D  -  -  D  D

Fields are separated by whitespace; the first is the employee id, then exactly one field per day of the
horizon: a shift id, ``-`` for a day off, or several shift ids joined by ``+`` (only a broken roster has
them; the evaluator reports it). Lines starting with ``#`` are comments. It reads back to (employee, day,
shift) triples, the evaluator's input.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from nrp.evaluate import Assignment
from nrp.parser import NrpInstance

OFF = "-"


class RosterFormatError(ValueError):
    pass


def format_roster(instance: NrpInstance, assignments: Iterable[Assignment], comments: Iterable[str] = ()) -> str:
    days: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    for employee, day, shift in assignments:
        days[employee][day].append(shift)
    lines = [f"# dutyflow NRP roster: {instance.name} ({instance.horizon} days)", *(f"# {c}" for c in comments)]
    ids = [e.id for e in instance.staff] + sorted(set(days) - {e.id for e in instance.staff})
    width = max(len(i) for i in ids)
    cell = max([len(s.id) for s in instance.shifts] + [1])
    for employee in ids:
        fields = ["+".join(days[employee].get(d, [])) or OFF for d in range(instance.horizon)]
        lines.append(" ".join([employee.ljust(width), *(f.ljust(cell) for f in fields)]).rstrip())
    return "\n".join(lines) + "\n"


def parse_roster(text: str, horizon: int | None = None, source: str = "roster") -> list[Assignment]:
    """Triples from roster text; with ``horizon`` every line must have exactly that many day fields."""
    out: list[Assignment] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        employee, *fields = line.split()
        if employee in seen:
            raise RosterFormatError(f"{source}:{number}: employee {employee!r} repeated (line {seen[employee]})")
        seen[employee] = number
        if horizon is not None and len(fields) != horizon:
            raise RosterFormatError(f"{source}:{number}: {employee} has {len(fields)} day fields, expected {horizon}")
        for day, value in enumerate(fields):
            if value == OFF:
                continue
            shifts = value.split("+")
            if not all(shifts):
                raise RosterFormatError(f"{source}:{number}: day {day} field {value!r} is malformed")
            out.extend((employee, day, s) for s in shifts)
    return out


def write_roster(
    path: str | Path, instance: NrpInstance, assignments: Iterable[Assignment], comments: Iterable[str] = ()
) -> None:
    Path(path).write_text(format_roster(instance, assignments, comments), encoding="utf-8")


def read_roster(path: str | Path, instance: NrpInstance | None = None) -> list[Assignment]:
    return parse_roster(
        Path(path).read_text(encoding="utf-8"), instance.horizon if instance else None, source=str(path)
    )
