"""What kind of day a date is: workday, weekend, public holiday, or adjusted workday (调休).

Public holidays and adjusted workdays come from ``chinese_calendar`` for the years it covers; the admin
file's ``holidays`` section adds or overrides days. A date outside the covered years is an error, never a
guess: the State Council publishes each year's arrangement only in the November before.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from functools import cache


class DayKind(StrEnum):
    WORKDAY = "workday"
    WEEKEND = "weekend"
    HOLIDAY = "holiday"
    ADJUSTED_WORKDAY = "adjusted_workday"  # a weekend day worked to bridge a holiday


class HolidayDataMissing(LookupError):
    """No holiday data for a year: the admin file must supply it (holidays.covered_years)."""


@dataclass(frozen=True)
class HolidayCalendar:
    """Built once from the admin file's ``holidays`` section (roster.admin.schema.Holidays)."""

    use_chinese_calendar: bool
    extra_holidays: dict[dt.date, str]
    extra_workdays: dict[dt.date, str]
    covered_years: frozenset[int]

    @classmethod
    def from_section(cls, section) -> HolidayCalendar:  # noqa: ANN001
        return cls(
            use_chinese_calendar=section.source == "chinese_calendar",
            extra_holidays={d.date: d.name for d in section.holidays},
            extra_workdays={d.date: d.name for d in section.workdays},
            covered_years=frozenset(section.covered_years),
        )

    def covers(self, year: int) -> bool:
        if year in self.covered_years:
            return True
        return self.use_chinese_calendar and year in _chinese_calendar_years()

    def kind(self, day: dt.date) -> DayKind:
        if day in self.extra_holidays:
            return DayKind.HOLIDAY
        weekend = day.weekday() >= 5
        if day in self.extra_workdays:
            return DayKind.ADJUSTED_WORKDAY if weekend else DayKind.WORKDAY
        if not self.covers(day.year):
            raise self._missing(day.year)
        if self.use_chinese_calendar and day.year in _chinese_calendar_years():
            import chinese_calendar

            if chinese_calendar.is_holiday(day) and not weekend:
                return DayKind.HOLIDAY
            if chinese_calendar.is_holiday(day) and chinese_calendar.get_holiday_detail(day)[1]:
                return DayKind.HOLIDAY  # a named holiday falling on a weekend is still a holiday
            if weekend and chinese_calendar.is_workday(day):
                return DayKind.ADJUSTED_WORKDAY
        return DayKind.WEEKEND if weekend else DayKind.WORKDAY

    def _missing(self, year: int) -> HolidayDataMissing:
        years = _chinese_calendar_years()
        known = (
            f"chinese_calendar covers {years[0]}-{years[-1]}"
            if self.use_chinese_calendar
            else "holidays.source is none, so only the years in holidays.covered_years are known"
        )
        return HolidayDataMissing(
            f"no holiday data for {year}: {known}; add {year}'s public holidays and adjusted workdays under "
            f"holidays: in the admin file and list {year} in holidays.covered_years"
        )

    def holiday_name(self, day: dt.date) -> str | None:
        if day in self.extra_holidays:
            return self.extra_holidays[day] or "holiday"
        if day in self.extra_workdays:
            return None  # the admin made it a working day: chinese_calendar's name no longer applies
        if self.use_chinese_calendar and day.year in _chinese_calendar_years():
            import chinese_calendar

            is_holiday, name = chinese_calendar.get_holiday_detail(day)
            return name if is_holiday and name else None
        return None

    def check_range(self, start: dt.date, days: int) -> None:
        """Raise HolidayDataMissing if any year in [start, start+days) is not covered."""
        last = start + dt.timedelta(days=days - 1)
        for year in range(start.year, last.year + 1):
            # Raise directly: kind() would answer for a day the admin listed even in an uncovered year.
            if not self.covers(year):
                raise self._missing(year)


@cache
def _chinese_calendar_years() -> range:
    import chinese_calendar

    years = sorted({d.year for d in chinese_calendar.holidays})
    return range(years[0], years[-1] + 1)
