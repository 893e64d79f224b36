"""Helpers for the admin tests: the seed file, a full dump of every table, and shifts without the solver."""

from __future__ import annotations

import copy
import datetime as dt
import functools
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from roster.storage import Base, open_session

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "chuxiong.yaml"
SEED_TEXT = SEED.read_text(encoding="utf-8")
NOW = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)


def seed_data() -> dict[str, Any]:
    """The seed file as plain data (YAML 1.1, as ``yaml.safe_load``), a fresh copy each call: tests edit it."""
    return copy.deepcopy(_seed_data())


@functools.cache
def _seed_data() -> dict[str, Any]:  # parsed once per test process: pure-Python PyYAML took 0.5 s a time
    return yaml.load(SEED_TEXT, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, ordered by primary key: 'unchanged' means equal dumps."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with open_session(url) as session:
        for table in Base.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            rows = session.execute(select(table).order_by(*order)).all()
            out[table.name] = [tuple(row) for row in rows]
    return out


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line of the ``occurrence``-th line containing ``needle``."""
    seen = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(f"{needle!r} not found")


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) >= 1, old
    return text.replace(old, new, 1)


def add_shift(session, day: dt.date, starts_at: dt.datetime, hours: float, people: dict[str, list[str]], slot="full"):  # noqa: ANN001, ANN201
    from roster.storage.models.shifts import Shift, ShiftAssignment

    shift = Shift(
        uid=f"{day:%Y%m%d}-{slot}@dutyflow",
        duty_date=day,
        slot=slot,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=hours),
        changed_at=starts_at,
    )
    for role, ids in people.items():
        for seat, person_id in enumerate(ids):
            shift.assignments.append(ShiftAssignment(role=role, seat=seat, person_id=person_id))
    session.add(shift)
    session.flush()
    return shift
