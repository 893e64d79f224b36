"""Fixtures for the incidents tests: the seed bureau (with its incidents section) and 24 h shifts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from tests.reports_helpers import add_full_shift, install_bureau, seed_bureau

UTC = dt.UTC
LEADERS = ("p03", "p04", "p05", "p06")
OFFICERS = (("p10", "p11"), ("p12", "p13"), ("p14", "p15"), ("p16", "p17"))


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def install(session: Session, first_day: dt.date, days: int = 4, document: dict | None = None) -> None:
    """The seed bureau applied, and ``days`` full shifts from ``first_day`` (08:30 Shanghai handovers) with
    leaders p03, p04, p05, p06 in turn and two officers each."""
    install_bureau(
        session, seed_bureau(document), utc(first_day.year, first_day.month, first_day.day) - dt.timedelta(days=1)
    )
    for i in range(days):
        day = first_day + dt.timedelta(days=i)
        add_full_shift(session, day, LEADERS[i % 4], OFFICERS[i % 4])


def installed_template(sqlite_template, directory, first_day: dt.date) -> str:  # noqa: ANN001
    """A SQLite file with the bureau and shifts installed once, to be copied by each test."""
    import shutil

    from roster.storage import open_session, reset_engines

    path = directory / "incidents-template.db"
    shutil.copy(sqlite_template, path)
    session = open_session(f"sqlite:///{path}")
    install(session, first_day)
    session.close()
    reset_engines()
    return str(path)
