"""Fixtures for the incidents tests: the seed bureau (with its incidents section) and 24 h shifts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from tests.reports_helpers import add_full_shift, install_bureau, seed_bureau

UTC = dt.UTC
DAY = dt.date(2026, 11, 29)  # shifts 29 Nov (p03), 30 Nov (p04), 1 Dec (p05), 2 Dec (p06), from 08:30 local
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
