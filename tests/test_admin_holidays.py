"""chinese_calendar (what dutyflow uses) cross-checked against the independent ``holidays`` package.

Known systematic difference: ``holidays.China`` lists the statutory days and the weekdays given off in lieu
(``Day off (substituted from ...)``), but not the Saturdays and Sundays that fall inside a holiday block.
dutyflow counts those weekend days as holidays too (a duty on the 3rd day of the Golden Week is a holiday
duty for fairness), so ours = theirs + weekend days inside named holiday blocks, and nothing else.
"""

from __future__ import annotations

import datetime as dt

import holidays as holidays_pkg
import pytest

from roster.admin.schema import Holidays
from roster.holidays import DayKind, HolidayCalendar, HolidayDataMissing


def calendar(**section: object) -> HolidayCalendar:
    return HolidayCalendar.from_section(Holidays.model_validate(section))


def days_of(year: int) -> list[dt.date]:
    first = dt.date(year, 1, 1)
    return [first + dt.timedelta(days=n) for n in range((dt.date(year + 1, 1, 1) - first).days)]


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_public_holidays_agree_with_the_holidays_package(year: int) -> None:
    cal = calendar()
    ours = {d for d in days_of(year) if cal.kind(d) is DayKind.HOLIDAY}
    theirs = set(holidays_pkg.China(years=year, categories=("public",)))
    assert theirs <= ours, sorted(theirs - ours)
    extra = ours - theirs
    assert extra, "expected weekend days inside holiday blocks"
    assert all(d.weekday() >= 5 for d in extra), sorted(d for d in extra if d.weekday() < 5)
    assert all(cal.holiday_name(d) for d in extra)  # each belongs to a named holiday block
    # Every weekday holiday of ours is also one of theirs (statutory or in lieu).
    assert {d for d in ours if d.weekday() < 5} <= theirs


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_adjusted_workdays_agree_with_the_holidays_package(year: int) -> None:
    cal = calendar()
    ours = {d for d in days_of(year) if cal.kind(d) is DayKind.ADJUSTED_WORKDAY}
    theirs = {d for d in holidays_pkg.China(years=year).weekend_workdays if d.year == year}
    assert ours == theirs
    assert ours  # every one of these years has 调休 Saturdays or Sundays


def test_known_days() -> None:
    cal = calendar()
    assert cal.kind(dt.date(2025, 1, 28)) is DayKind.HOLIDAY  # Spring Festival's eve, statutory since 2025
    assert cal.kind(dt.date(2024, 10, 5)) is DayKind.HOLIDAY  # Saturday inside National Day week
    assert cal.holiday_name(dt.date(2024, 10, 5)) == "National Day"
    assert cal.kind(dt.date(2024, 9, 29)) is DayKind.ADJUSTED_WORKDAY  # Sunday worked for National Day
    assert cal.kind(dt.date(2025, 11, 22)) is DayKind.WEEKEND
    assert cal.holiday_name(dt.date(2025, 11, 22)) is None


def test_admin_overrides_beat_chinese_calendar() -> None:
    cal = calendar(
        holidays=[{"date": "2026-11-27", "name": "州庆"}],  # a local holiday (a Friday)
        workdays=[{"date": "2026-10-02", "name": "应急值守"}, {"date": "2026-11-28"}],
    )
    assert cal.kind(dt.date(2026, 11, 27)) is DayKind.HOLIDAY
    assert cal.holiday_name(dt.date(2026, 11, 27)) == "州庆"
    assert cal.kind(dt.date(2026, 10, 2)) is DayKind.WORKDAY  # a Friday of Golden Week made a workday
    assert cal.holiday_name(dt.date(2026, 10, 2)) is None  # ... so it no longer carries the holiday's name
    assert cal.kind(dt.date(2026, 11, 28)) is DayKind.ADJUSTED_WORKDAY  # a Saturday worked


def test_2027_needs_covered_years_and_then_uses_the_admin_days() -> None:
    with pytest.raises(HolidayDataMissing, match=r"no holiday data for 2027: chinese_calendar covers \d{4}-2026"):
        calendar().kind(dt.date(2027, 5, 3))
    cal = calendar(
        covered_years=[2027],
        holidays=[{"date": "2027-01-01", "name": "元旦"}, {"date": "2027-02-08", "name": "春节"}],
        workdays=[{"date": "2027-02-06", "name": "春节调休"}],
    )
    assert cal.covers(2027)
    assert cal.kind(dt.date(2027, 1, 1)) is DayKind.HOLIDAY
    assert cal.kind(dt.date(2027, 2, 6)) is DayKind.ADJUSTED_WORKDAY  # a Saturday
    assert cal.kind(dt.date(2027, 2, 7)) is DayKind.WEEKEND
    assert cal.kind(dt.date(2027, 3, 1)) is DayKind.WORKDAY
    cal.check_range(dt.date(2026, 12, 1), 90)  # covered now: no error


def test_check_range_raises_even_when_the_first_day_of_the_year_is_listed() -> None:
    # Listing 2027-01-01 is not the same as supplying 2027: planning into it must still be refused.
    cal = calendar(holidays=[{"date": "2027-01-01", "name": "元旦"}])
    with pytest.raises(HolidayDataMissing, match="list 2027 in holidays.covered_years"):
        cal.check_range(dt.date(2026, 12, 20), 30)
    with pytest.raises(HolidayDataMissing, match="2028"):
        calendar(covered_years=[2027]).check_range(dt.date(2027, 12, 1), 60)


def test_source_none_explains_itself() -> None:
    cal = calendar(source="none", covered_years=[2026])
    assert cal.kind(dt.date(2026, 10, 1)) is DayKind.WORKDAY  # no chinese_calendar: only the admin's days
    with pytest.raises(HolidayDataMissing, match="holidays.source is none"):
        cal.kind(dt.date(2025, 10, 1))
