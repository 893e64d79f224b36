"""Day kinds from chinese_calendar, overrides from the admin file, and a clear error past the data."""

from __future__ import annotations

import datetime as dt

import pytest

from roster.admin.schema import Holidays
from roster.holidays import DayKind, HolidayCalendar, HolidayDataMissing


def calendar(**section: object) -> HolidayCalendar:
    return HolidayCalendar.from_section(Holidays.model_validate(section))


def test_national_day_and_adjusted_workday() -> None:
    cal = calendar()
    assert cal.kind(dt.date(2026, 10, 1)) is DayKind.HOLIDAY
    assert cal.kind(dt.date(2026, 11, 23)) is DayKind.WORKDAY
    assert cal.kind(dt.date(2026, 11, 22)) is DayKind.WEEKEND
    assert cal.kind(dt.date(2026, 2, 14)) is DayKind.ADJUSTED_WORKDAY  # Saturday worked for Spring Festival


def test_2027_without_admin_data_is_a_clear_error() -> None:
    with pytest.raises(HolidayDataMissing, match="2027.*covered_years"):
        calendar().kind(dt.date(2027, 3, 1))
    with pytest.raises(HolidayDataMissing):
        calendar().check_range(dt.date(2026, 12, 20), 30)


def test_admin_supplied_year_and_overrides() -> None:
    cal = calendar(covered_years=[2027], holidays=[{"date": "2027-01-01", "name": "元旦"}], workdays=[])
    assert cal.kind(dt.date(2027, 1, 1)) is DayKind.HOLIDAY
    assert cal.kind(dt.date(2027, 1, 4)) is DayKind.WORKDAY
    cal = calendar(workdays=[{"date": "2026-10-03", "name": "应急值守"}])
    assert cal.kind(dt.date(2026, 10, 3)) is DayKind.ADJUSTED_WORKDAY
