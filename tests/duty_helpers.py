"""Fixtures for the duty tests: the seed bureau (with its duty: section) and three 24 h shifts around DAY."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from reports_helpers import add_full_shift, install_bureau, seed_bureau, seed_document
from sqlalchemy.orm import Session

TZ = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2026, 11, 23)
# Who holds the shifts starting on DAY-1, DAY and DAY+1 at 08:30 (leader first).
SHIFTS = {
    DAY - dt.timedelta(days=1): ("p05", ("p20", "p21")),
    DAY: ("p02", ("p22", "p23")),
    DAY + dt.timedelta(days=1): ("p03", ("p24", "p25")),
}


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A bureau-local wall-clock time as an aware UTC instant."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ).astimezone(dt.UTC)


def duty_document(**duty) -> dict:  # noqa: ANN003
    doc = seed_document()
    doc.pop("inspections", None)  # not needed here, and applying 296 sites costs time
    doc["duty"] = {"office": ["p44"], "networks": ["10.20.0.0/24"], **duty}
    return doc


def install(session: Session, document: dict | None = None, shifts: dict | None = None) -> None:
    install_bureau(session, seed_bureau(document or duty_document()), local(DAY - dt.timedelta(days=2), 9))
    for day, (leader, officers) in (shifts or SHIFTS).items():
        add_full_shift(session, day, leader, officers)
