"""Calendar feeds: valid RFC 5545 in three parsers, stable UIDs, SEQUENCE that follows re-plans, determinism."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import icalendar
import pytest
from calendar_helpers import UTC, apply_bureau, assert_valid_feed, load_example, plan, reassign, seat_holder
from typer.testing import CliRunner

from roster.calendar.export import export_feed
from roster.calendar.feed import Scope, UnknownOwner, Window, load_feed_data, newest_bureau, roster_state
from roster.calendar.naive import naive_feed
from roster.calendar.render import render_feed
from roster.cli import app
from roster.storage import get_engine, open_session
from roster.storage.models.people import Person

NOW = dt.datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # 11:00 in Chuxiong
PLANNED = dt.datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
FIRST = dt.date(2026, 11, 16)


@pytest.fixture
def roster_db(db_url: str) -> str:
    bureau = load_example()
    with open_session(db_url) as s:
        apply_bureau(s, bureau, PLANNED)
        plan(s, bureau, FIRST, 21, PLANNED)
        s.commit()
    return db_url


def export(url: str, scope: Scope, **kwargs: object) -> bytes:
    return export_feed(get_engine(url), scope, NOW, **kwargs).body


def sequences(body: bytes) -> dict[str, int]:
    return {str(e["UID"]): int(e["SEQUENCE"]) for e in icalendar.Calendar.from_ical(body).walk("VEVENT")}


@pytest.mark.parametrize(
    "scope", [Scope("person", "p01"), Scope("all"), Scope("group", "construction"), Scope("role", "leader_on_duty")]
)
def test_feeds_are_valid_in_icalendar_ics_and_vobject(roster_db: str, scope: Scope) -> None:
    events = assert_valid_feed(export(roster_db, scope))
    assert events
    calendar = icalendar.Calendar.from_ical(export(roster_db, scope))
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Asia/Shanghai"]
    first = next(iter(events.values()))
    assert first["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert first["DTSTART"].dt.astimezone(UTC).time() == dt.time(0, 30)  # 08:30 handover in Chuxiong
    assert int(first["SEQUENCE"]) == 1 and first["DTSTAMP"].dt == first["LAST-MODIFIED"].dt == PLANNED


def test_personal_feed_has_that_persons_shifts_with_partners_and_phones(roster_db: str) -> None:
    body = export(roster_db, Scope("person", "p09"))
    events = assert_valid_feed(body)
    with open_session(roster_db) as s:
        mine = [e for e in events.values() if "值班员" in str(e["SUMMARY"])]
        assert len(mine) == len(events) > 0
        uid = next(iter(events)).replace(".person-p09", "")
        leader = s.get(Person, seat_holder(s, uid, "leader_on_duty", 0))
    description = str(next(iter(events.values()))["DESCRIPTION"])
    assert f"带班领导 {leader.name} {leader.phone}" in description
    assert "交接班：08:30" in description and "您的岗位：值班员" in description
    with open_session(roster_db) as s:
        name = s.get(Person, "p09").name
    assert str(icalendar.Calendar.from_ical(body)["X-WR-CALNAME"]) == f"楚雄市住建局值班表 · {name}"


def test_same_roster_gives_byte_identical_feeds(roster_db: str, tmp_path: Path) -> None:
    for scope in (Scope("all"), Scope("person", "p01")):
        assert export(roster_db, scope) == export(roster_db, scope)
    runner = CliRunner()
    outputs = []
    for name in ("a.ics", "b.ics"):
        result = runner.invoke(
            app, ["calendar", "export", "--all", "--out", str(tmp_path / name), "--now", NOW.isoformat()]
        )
        assert result.exit_code == 0, result.output
        outputs.append((tmp_path / name).read_bytes())
    assert outputs[0] == outputs[1] == export(roster_db, Scope("all"))


def test_replan_keeps_uids_and_bumps_sequence_only_for_the_changed_shift(roster_db: str) -> None:
    shift_uid = "20261125-full@dutyflow"
    with open_session(roster_db) as s:
        old_officer = seat_holder(s, shift_uid, "duty_officer", 1)
        leader = seat_holder(s, shift_uid, "leader_on_duty", 0)
    before_all = sequences(export(roster_db, Scope("all")))
    before_old = sequences(export(roster_db, Scope("person", old_officer)))
    before_leader = export(roster_db, Scope("person", leader))
    assert f"20261125-full.person-{old_officer}@dutyflow" in before_old

    replanned = NOW + dt.timedelta(minutes=5)
    with open_session(roster_db) as s:
        reassign(s, shift_uid, "duty_officer", 1, "p44", replanned)
        s.commit()
        newcomer = s.get(Person, "p44")

    after_all = sequences(export(roster_db, Scope("all")))
    assert after_all.keys() == before_all.keys()  # same UIDs: calendar apps update, never duplicate
    changed = {uid for uid in after_all if after_all[uid] != before_all[uid]}
    assert changed == {shift_uid} and after_all[shift_uid] > before_all[shift_uid]

    # The shift left the old officer's feed and appeared in the newcomer's.
    after_old = sequences(export(roster_db, Scope("person", old_officer)))
    assert f"20261125-full.person-{old_officer}@dutyflow" not in after_old
    assert set(after_old) == set(before_old) - {f"20261125-full.person-{old_officer}@dutyflow"}
    assert "20261125-full.person-p44@dutyflow" in sequences(export(roster_db, Scope("person", "p44")))

    # The partner (leader) keeps the same UID with a higher SEQUENCE and the new colleague's phone.
    after_leader = assert_valid_feed(export(roster_db, Scope("person", leader)))
    partner_uid = f"20261125-full.person-{leader}@dutyflow"
    assert int(after_leader[partner_uid]["SEQUENCE"]) == sequences(before_leader)[partner_uid] + 1
    assert after_leader[partner_uid]["LAST-MODIFIED"].dt == replanned
    assert newcomer.phone in str(after_leader[partner_uid]["DESCRIPTION"])


def test_removed_shift_disappears(roster_db: str) -> None:
    from sqlalchemy import select

    from roster.storage.models.shifts import Shift

    before = sequences(export(roster_db, Scope("all")))
    with open_session(roster_db) as s:
        s.delete(s.scalars(select(Shift).where(Shift.uid == "20261126-full@dutyflow")).one())
        s.commit()
    after = sequences(export(roster_db, Scope("all")))
    assert set(before) - set(after) == {"20261126-full@dutyflow"}


def test_valarm_from_the_persons_reminder_minutes(roster_db: str) -> None:
    with open_session(roster_db) as s:
        leader_minutes = s.get(Person, "p01").calendar_reminder_minutes
        s.get(Person, "p09").calendar_reminder_minutes = None
        s.commit()
    assert leader_minutes == 60
    events = assert_valid_feed(export(roster_db, Scope("person", "p01")))
    for event in events.values():
        (alarm,) = event.walk("VALARM")
        assert alarm["ACTION"] == "DISPLAY" and alarm["TRIGGER"].dt == -dt.timedelta(minutes=60)
    assert b"VALARM" not in export(roster_db, Scope("person", "p09"))
    assert b"VALARM" not in export(roster_db, Scope("all"))  # shared calendars do not ring for everyone


def test_english_by_locale_or_flag(roster_db: str) -> None:
    with open_session(roster_db) as s:
        s.get(Person, "p02").locale = "en"
        s.commit()
    english = icalendar.Calendar.from_ical(export(roster_db, Scope("person", "p02")))
    event = english.walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == "On duty: Leader on duty"
    assert "Handover: 08:30" in str(event["DESCRIPTION"]) and "Also on duty:" in str(event["DESCRIPTION"])
    assert str(english["X-WR-CALNAME"]).startswith("Chuxiong Housing Bureau duty roster")
    chinese = icalendar.Calendar.from_ical(export(roster_db, Scope("person", "p02"), lang="zh-CN"))
    assert str(chinese.walk("VEVENT")[0]["SUMMARY"]) == "值班：带班领导"
    all_en = icalendar.Calendar.from_ical(export(roster_db, Scope("all"), lang="en"))
    assert str(all_en.walk("VEVENT")[0]["SUMMARY"]).startswith("Duty: ")


def test_text_is_escaped_and_folded(roster_db: str) -> None:
    tricky = "Zhang; San, \\Jr.\nthe second 张三丰张三丰张三丰张三丰张三丰张三丰张三丰张三丰张三丰张三丰"
    with open_session(roster_db) as s:
        s.get(Person, "p09").name = tricky
        s.commit()
    body = export(roster_db, Scope("all"), start=dt.date(2026, 11, 16), days=3)
    events = assert_valid_feed(body)
    assert any(tricky in str(e["DESCRIPTION"]) for e in events.values())
    assert any(tricky in str(e["SUMMARY"]) for e in events.values())


def test_fast_renderer_matches_icalendar_object_model(roster_db: str) -> None:
    engine = get_engine(roster_db)
    with engine.connect() as conn:
        sha, applied = newest_bureau(conn)
        state = roster_state(conn, Window.starting(FIRST, 21), sha, applied)
        data = load_feed_data(conn, load_example(), state)
    for scope in (Scope("person", "p01"), Scope("all")):
        fast = icalendar.Calendar.from_ical(render_feed(data, scope).body)
        slow = icalendar.Calendar.from_ical(naive_feed(data, scope))
        keys = ("UID", "DTSTAMP", "LAST-MODIFIED", "SEQUENCE", "DTSTART", "DTEND", "SUMMARY", "DESCRIPTION", "STATUS")
        for a, b in zip(fast.walk("VEVENT"), slow.walk("VEVENT"), strict=True):
            for key in keys:
                assert a[key].to_ical() == b[key].to_ical(), key
            assert a["DTSTART"].params["TZID"] == b["DTSTART"].params["TZID"]
            assert [x["TRIGGER"].dt for x in a.walk("VALARM")] == [x["TRIGGER"].dt for x in b.walk("VALARM")]
        for key in ("NAME", "X-WR-CALNAME", "METHOD", "PRODID", "X-PUBLISHED-TTL", "REFRESH-INTERVAL"):
            assert fast[key].to_ical() == slow[key].to_ical(), key


def test_daylight_saving_zone_gets_its_vtimezone(db_url: str) -> None:
    bureau = load_example()
    bureau = bureau.model_copy(update={"bureau": bureau.bureau.model_copy(update={"timezone": "Europe/Berlin"})})
    with open_session(db_url) as s:
        apply_bureau(s, bureau, PLANNED)
        plan(s, bureau, dt.date(2027, 3, 26), 4, PLANNED)  # 2027-03-28: clocks go forward
        s.commit()
    body = export_feed(get_engine(db_url), Scope("all"), NOW, start=dt.date(2027, 3, 26), days=4).body
    events = assert_valid_feed(body)
    calendar = icalendar.Calendar.from_ical(body)
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]
    lengths = {uid[:8]: e["DTEND"].dt.astimezone(UTC) - e["DTSTART"].dt.astimezone(UTC) for uid, e in events.items()}
    assert lengths["20270327"] == dt.timedelta(hours=23)  # its night loses an hour at 02:00 on the 28th
    assert lengths["20270328"] == dt.timedelta(hours=24)


def test_unknown_owner_and_empty_feed(roster_db: str) -> None:
    with pytest.raises(UnknownOwner):
        export(roster_db, Scope("person", "nobody"))
    with pytest.raises(UnknownOwner):
        export(roster_db, Scope("group", "nothing"))
    with open_session(roster_db) as s:
        s.get(Person, "p02").active = False  # removed from the admin file: no feed of their own any more
        s.commit()
    with pytest.raises(UnknownOwner):
        export(roster_db, Scope("person", "p02"))
    assert "马永红" in export(roster_db, Scope("all")).decode()  # still named on the shifts they held
    empty = export(roster_db, Scope("person", "p01"), start=dt.date(2030, 1, 1), days=2)
    assert assert_valid_feed(empty) == {}


def test_cli_export_errors_name_the_argument(roster_db: str, tmp_path: Path) -> None:
    runner = CliRunner()
    out = str(tmp_path / "x.ics")
    cases = [
        (["--out", out], "exactly one of"),
        (["--person", "p01", "--all", "--out", out], "exactly one of"),
        (["--person", "ghost", "--out", out], "--person"),
        (["--all", "--lang", "fr", "--out", out], "--lang"),
        (["--all", "--start", "2026-13-01", "--out", out], "--start"),
        (["--all", "--out", str(tmp_path / "missing" / "x.ics")], "--out"),
        (["--all", "--now", "yesterday-ish", "--out", out], "--now"),
    ]
    for args, needle in cases:
        result = runner.invoke(app, ["calendar", "export", *args])
        assert result.exit_code == 2, (args, result.output)
        assert needle in result.output, (args, result.output)
    assert not Path(out).exists()
    result = runner.invoke(
        app,
        [
            "calendar",
            "export",
            "--person",
            "p01",
            "--start",
            "2026-11-16",
            "--days",
            "21",
            "--lang",
            "en",
            "--out",
            out,
            "--now",
            NOW.isoformat(),
        ],
    )
    assert result.exit_code == 0, result.output
    events = assert_valid_feed(Path(out).read_bytes())
    assert len(events) == 3 and all(str(e["SUMMARY"]) == "On duty: Leader on duty" for e in events.values())


def test_cli_export_to_stdout_and_without_an_applied_file(db_url: str) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["calendar", "export", "--all", "--out", "-", "--now", NOW.isoformat()])
    assert result.exit_code == 2 and "dutyflow apply" in result.output  # nothing applied yet
    bureau = load_example()
    with open_session(db_url) as s:
        apply_bureau(s, bureau, PLANNED)
        plan(s, bureau, FIRST, 3, PLANNED)
        s.commit()
    result = runner.invoke(app, ["calendar", "export", "--all", "--out", "-", "--now", NOW.isoformat()])
    assert result.exit_code == 0, result.output
    assert len(assert_valid_feed(result.stdout_bytes)) == 3
