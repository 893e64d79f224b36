"""The feed's head (name, zone, refresh interval, reminder) and its time zones, decided without a database."""

from __future__ import annotations

import datetime as dt

from roster.admin.schema import BureauFile
from roster.calendar.feed import FeedData, FeedPerson, FeedShift, RosterState, Scope, Seat, Window
from roster.calendar.render import Words, feed_head, feed_language, render_feed

UTC = dt.UTC
WINDOW = Window(dt.date(2026, 10, 20), dt.date(2026, 11, 10))


def feed_data(timezone: str = "Asia/Shanghai", shifts: list[FeedShift] | None = None) -> FeedData:
    bureau = BureauFile.model_validate(
        {
            "bureau": {"name": "楚雄局", "timezone": timezone},
            "people": [{"id": "p01", "name": "徐超", "phone": "15082760689", "roles": ["leader_on_duty"]}],
            "groups": [{"id": "water", "name": "水务组"}],
            "calendar": {"refresh_minutes": 90, "name_en": "Chuxiong duty"},
        }
    )
    people = {
        "p01": FeedPerson("p01", "徐超", "15082760689", "en", 30),
        "p02": FeedPerson("p02", "李明", "13812345678", "zh-CN", None),
    }
    state = RosterState(WINDOW, len(shifts or []), None, 0, "sha", dt.datetime(2026, 10, 1, tzinfo=UTC))
    return FeedData(bureau, state, people, {"water": "水务组"}, {"water": frozenset({"p02"})}, shifts or [])


def head_of(data: FeedData, scope: Scope, lang: str | None = None):  # noqa: ANN201
    language = feed_language(data, scope, lang)
    return feed_head(data, scope, language, Words(data, language))


def test_a_personal_feed_speaks_its_owners_language_and_carries_their_reminder() -> None:
    head = head_of(feed_data(), Scope("person", "p01"))
    assert head.language == "en"  # p01's own locale, not the bureau's
    assert head.name == "Chuxiong duty · 徐超"
    assert head.reminder == 30
    assert (head.tzid, head.ttl) == ("Asia/Shanghai", "PT1H30M")


def test_a_group_feed_has_no_reminder_and_the_bureaus_language() -> None:
    head = head_of(feed_data(), Scope("group", "water"))
    assert (head.language, head.name, head.reminder) == ("zh-CN", "楚雄局值班表 · 水务组", None)


def test_a_person_without_a_reminder_gets_none_and_lang_overrides_their_locale() -> None:
    head = head_of(feed_data(), Scope("person", "p02"), lang="en")
    assert (head.language, head.name, head.reminder) == ("en", "Chuxiong duty · 李明", None)


def test_an_empty_window_is_still_a_calendar_with_the_bureaus_zone() -> None:
    body = render_feed(feed_data(), Scope("all")).body.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")
    assert body.count("BEGIN:VTIMEZONE") == 1 and "TZID:Asia/Shanghai" in body
    assert "BEGIN:VEVENT" not in body and "X-PUBLISHED-TTL:PT1H30M" in body


def test_a_shift_at_a_repeated_wall_clock_time_brings_its_fixed_offset_zone() -> None:
    # 25 October 2026, Berlin: 02:00-03:00 occurs twice. A shift starting at 02:30 CET (01:30 UTC) is
    # written in Etc/GMT-1, whose VTIMEZONE the feed must then carry as well.
    start = dt.datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    shift = FeedShift(
        "s1", dt.date(2026, 10, 25), "day", start, start + dt.timedelta(hours=8), 1, start, (Seat("leader", 0, "p01"),)
    )
    body = render_feed(feed_data("Europe/Berlin", [shift]), Scope("all")).body.decode()
    assert body.count("BEGIN:VTIMEZONE") == 2 and "TZID:Etc/GMT-1" in body
    assert "DTSTART;TZID=Etc/GMT-1:20261025T023000" in body
    quiet = render_feed(feed_data("Europe/Berlin"), Scope("all")).body.decode()
    assert quiet.count("BEGIN:VTIMEZONE") == 1
