"""Published roster facts for pages: days with their shifts, people and gaps; a month grid; local times.

One query per page for seats (joined with names and phones) and one for leave; gaps are computed from the
shift pattern and the requirements, so a day with no shift at all shows as a gap too.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from roster.admin.schema import LEADER_ON_DUTY, BureauFile, Holidays, ShiftPattern
from roster.holidays import DayKind, HolidayCalendar, HolidayDataMissing
from roster.shifts import generate_slots
from roster.storage.models.people import Leave, Person
from roster.storage.models.shifts import Shift, ShiftAssignment

WEEKDAYS_ZH = "一二三四五六日"
WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
HOLIDAY_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
}


@dataclass(frozen=True)
class Holder:
    person_id: str
    name: str
    phone: str
    role: str


@dataclass
class ShiftView:
    uid: str
    slot: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    holders: list[Holder] = field(default_factory=list)

    @property
    def leader(self) -> Holder | None:
        return next((h for h in self.holders if h.role == LEADER_ON_DUTY), None)

    @property
    def officers(self) -> list[Holder]:
        return [h for h in self.holders if h.role != LEADER_ON_DUTY]


@dataclass
class DayView:
    date: dt.date
    kind: str  # DayKind value, or "" when the year has no holiday data
    holiday_name: str
    shifts: list[ShiftView] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)  # "leader_on_duty 0/1", "no shift"

    def weekday(self, lang: str) -> str:
        return WEEKDAYS_EN[self.date.weekday()] if lang == "en" else "周" + WEEKDAYS_ZH[self.date.weekday()]


def local(instant: dt.datetime | None, tz: str) -> dt.datetime | None:
    return instant.astimezone(zoneinfo.ZoneInfo(tz)) if instant is not None else None


@lru_cache(maxsize=64)
def _slots(first: dt.date, count: int, pattern_json: str, tz: str) -> tuple:
    """The shift pattern's slots for a range; cached because pendulum reads the zone file on every call."""
    return tuple(generate_slots(first, count, ShiftPattern.model_validate_json(pattern_json), tz))


@lru_cache(maxsize=4096)
def _kind_cached(holidays_json: str, day: dt.date) -> tuple[str, str]:
    return day_kind(_calendar(holidays_json), day)


@lru_cache(maxsize=8)
def _calendar(holidays_json: str) -> HolidayCalendar:
    return HolidayCalendar.from_section(Holidays.model_validate_json(holidays_json))


def day_kind(calendar: HolidayCalendar, day: dt.date) -> tuple[str, str]:
    try:
        kind = calendar.kind(day)
    except HolidayDataMissing:
        return "", ""
    name = calendar.holiday_name(day) or "" if kind in (DayKind.HOLIDAY, DayKind.ADJUSTED_WORKDAY) else ""
    return kind.value, HOLIDAY_ZH.get(name, name)


# Built once (Core, bound parameters): building an ORM select per request and loading its rows through the
# ORM cost more than running the query.
_S, _A, _P = Shift.__table__.c, ShiftAssignment.__table__.c, Person.__table__.c
_SEATS = (
    select(_S.id, _S.uid, _S.duty_date, _S.slot, _S.starts_at, _S.ends_at, _A.role, _A.person_id, _P.name, _P.phone)
    .select_from(
        Shift.__table__.outerjoin(ShiftAssignment.__table__, _A.shift_id == _S.id).outerjoin(
            Person.__table__, _P.id == _A.person_id
        )
    )
    .where(_S.duty_date >= bindparam("first"), _S.duty_date <= bindparam("last"))
    .order_by(_S.starts_at, _A.role != LEADER_ON_DUTY, _A.role, _A.seat)
)


def days_between(session: Session, bureau: BureauFile, first: dt.date, last: dt.date) -> list[DayView]:
    holidays_json = bureau.holidays.model_dump_json()
    days = {}
    for i in range((last - first).days + 1):
        d = first + dt.timedelta(days=i)
        kind, name = _kind_cached(holidays_json, d)
        days[d] = DayView(d, kind, name)
    shifts: dict[int, ShiftView] = {}
    rows = session.connection().execute(_SEATS, {"first": first, "last": last}).all()
    for sid, uid, day, slot, starts, ends, role, pid, name, phone in rows:
        view = shifts.get(sid)
        if view is None:
            view = shifts[sid] = ShiftView(uid, slot, starts, ends)
            days[day].shifts.append(view)
        if pid is not None:
            view.holders.append(Holder(pid, name or pid, phone or "", role))
    _mark_gaps(bureau, days, first, last)
    return list(days.values())


def _mark_gaps(bureau: BureauFile, days: dict[dt.date, DayView], first: dt.date, last: dt.date) -> None:
    count = (last - first).days + 1
    for slot in _slots(first, count, bureau.shift_pattern.model_dump_json(), bureau.bureau.timezone):
        day = days[slot.duty_date]
        view = next((s for s in day.shifts if s.slot == slot.slot), None)
        if view is None:
            day.gaps.append("no_shift")
            continue
        for role, need in bureau.requirements.items():
            have = sum(1 for h in view.holders if h.role == role)
            if have < need:
                day.gaps.append(f"{role} {have}/{need}")


def leave_days(session: Session, first: dt.date, last: dt.date) -> dict[str, set[dt.date]]:
    out: dict[str, set[dt.date]] = defaultdict(set)
    for lv in session.scalars(select(Leave).where(Leave.first_day <= last, Leave.last_day >= first)):
        d = max(lv.first_day, first)
        while d <= min(lv.last_day, last):
            out[lv.person_id].add(d)
            d += dt.timedelta(days=1)
    return out


def month_bounds(month: str | None, today: dt.date) -> tuple[dt.date, dt.date]:
    """``YYYY-MM`` (default: this month) → first and last day; ValueError names the problem."""
    if month:
        try:
            first = dt.date.fromisoformat(f"{month}-01")
        except ValueError:
            raise ValueError(month) from None
    else:
        first = today.replace(day=1)
    last = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    return first, last


def role_name(bureau: BureauFile, role: str, lang: str) -> str:
    found = next((r for r in bureau.roles if r.id == role), None)
    if found is None:
        return role
    return (found.name_en or found.name) if lang == "en" else found.name
