"""Feeds as calendar clients read them: a daylight-saving zone across both 2026 changes in ical.js
(Thunderbird), icalendar, vobject, recurring-ical-events and ics; an empty window; re-imported exports."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from pathlib import Path

import icalendar
import pytest
import recurring_ical_events
import vobject
from calendar_helpers import UTC, apply_bureau, assert_valid_feed, load_example, parse_with_ics, plan, reassign
from icaljs_helpers import icaljs
from typer.testing import CliRunner

from roster.calendar.export import export_feed
from roster.calendar.feed import Scope
from roster.calendar.ical import vtimezone_lines, zone_transitions
from roster.cli import app
from roster.storage import get_engine, open_session
from roster.storage.models.shifts import Shift

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
PLANNED = dt.datetime(2026, 3, 1, tzinfo=UTC)
NOW = dt.datetime(2026, 3, 10, tzinfo=UTC)
FIRST, DAYS = dt.date(2026, 3, 26), 216  # 2026-03-26 .. 2026-10-27: both changes, and the summer between


@pytest.fixture(scope="module")
def berlin_feeds(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, tuple[dt.datetime, dt.datetime]], dict]:
    """A Berlin bureau whose duty changes hands at 02:30: skipped on 03-29, twice on 10-25. Returns the stored
    instants by shift uid and the rendered feeds (everyone, one person)."""
    from roster.storage import reset_engines

    url = f"sqlite:///{tmp_path_factory.mktemp('berlin') / 'berlin.db'}"
    bureau = load_example()
    bureau = bureau.model_copy(
        update={
            "bureau": bureau.bureau.model_copy(update={"timezone": "Europe/Berlin"}),
            "shift_pattern": bureau.shift_pattern.model_copy(update={"handover": dt.time(2, 30)}),
        }
    )
    with open_session(url) as s:
        apply_bureau(s, bureau, PLANNED)
        plan(s, bureau, FIRST, DAYS, PLANNED)
        s.commit()
        stored = {sh.uid: (sh.starts_at, sh.ends_at) for sh in s.query(Shift)}
    feeds = {
        scope.key: export_feed(get_engine(url), scope, NOW, start=FIRST, days=DAYS).body
        for scope in (Scope("all"), Scope("person", "p09"))
    }
    reset_engines()
    return stored, feeds


def _shift_uid(event_uid: str) -> str:
    local, _, domain = event_uid.partition("@")
    return f"{local.split('.')[0]}@{domain}"


def _ms(instant: dt.datetime) -> int:
    return round(instant.timestamp() * 1000)


def test_berlin_feeds_give_the_stored_instants_in_every_parser(berlin_feeds) -> None:  # noqa: ANN001
    stored, feeds = berlin_feeds
    # The database holds the second 02:30 of 10-25 (01:30 UTC, after the clocks went back) and 03:30 for the
    # 02:30 that 03-29 skips: the feeds must say so to every parser.
    assert stored["20261025-full@dutyflow"][0] == dt.datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert stored["20261024-full@dutyflow"][1] == dt.datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert stored["20260329-full@dutyflow"][0] == dt.datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert stored["20260701-full@dutyflow"][0] == dt.datetime(2026, 7, 1, 0, 30, tzinfo=UTC)
    for key, body in feeds.items():
        events = assert_valid_feed(body)  # icalendar, vobject, ics and ical.js agree on every DTSTART
        expected = {uid: stored[_shift_uid(uid)] for uid in events}
        assert len(expected) > (200 if key == "all" else 10)
        text = body.decode()

        readers: dict[str, dict[str, tuple[int, int]]] = {
            "icalendar": {u: (_ms(e["DTSTART"].dt), _ms(e["DTEND"].dt)) for u, e in events.items()},
            "ical.js": {e["uid"]: (e["start"], e["end"]) for e in icaljs().parse(text)["events"]},
            "vobject": {
                str(e.uid.value): (_ms(e.dtstart.value), _ms(e.dtend.value)) for e in vobject.readOne(text).vevent_list
            },
            "recurring-ical-events": {
                str(e["UID"]): (_ms(e["DTSTART"].dt), _ms(e["DTEND"].dt))
                for e in recurring_ical_events.of(icalendar.Calendar.from_ical(text)).between(
                    dt.datetime(2026, 3, 1, tzinfo=UTC), dt.datetime(2026, 11, 30, tzinfo=UTC)
                )
            },
            "ics": {e.uid: (_ms(e.begin.datetime), _ms(e.end.datetime)) for e in parse_with_ics(text).events},
        }
        want = {u: (_ms(a), _ms(b)) for u, (a, b) in expected.items()}
        for parser, got in readers.items():
            wrong = {u: (got.get(u), want[u]) for u in want if got.get(u) != want[u]}
            assert not wrong, f"{parser} ({key}) reads other instants: {dict(list(wrong.items())[:3])}"


def test_the_ambiguous_handover_is_written_in_utc(berlin_feeds) -> None:  # noqa: ANN001
    _, feeds = berlin_feeds
    text = feeds["all"].decode()
    # 02:30 CET, the second one, in the fixed-offset zone of UTC+1 (with its VTIMEZONE)
    assert "DTSTART;TZID=Etc/GMT-1:20261025T023000" in text and "DTEND;TZID=Etc/GMT-1:20261025T023000" in text
    assert "TZID:Etc/GMT-1" in text
    assert "DTSTART;TZID=Europe/Berlin:20260701T023000" in text  # unambiguous times keep the zone


def test_vtimezone_has_one_rdate_per_line_and_local_time_before_each_change() -> None:
    lines = vtimezone_lines("Europe/Berlin", 2026, 2027)
    assert all("," not in line for line in lines if line.startswith("RDATE"))
    onsets, offset_from, local = set(), None, []
    for line in lines:  # read by hand: the form on the wire is what is under test
        name, _, value = line.partition(":")
        if name in ("DTSTART", "RDATE"):
            local.append(dt.datetime.strptime(value, "%Y%m%dT%H%M%S"))
        elif name == "TZOFFSETFROM":
            sign = -1 if value[0] == "-" else 1
            offset_from = sign * dt.timedelta(hours=int(value[1:3]), minutes=int(value[3:5]))
        elif name.startswith("END") and value in ("STANDARD", "DAYLIGHT"):
            onsets |= {(t - offset_from).replace(tzinfo=UTC) for t in local}
            local = []
    real = zone_transitions(BERLIN, dt.datetime(2026, 1, 1, tzinfo=UTC), dt.datetime(2028, 1, 1, tzinfo=UTC))
    assert [t.isoformat() for t in real] == [
        "2026-03-29T01:00:00+00:00", "2026-10-25T01:00:00+00:00",
        "2027-03-28T01:00:00+00:00", "2027-10-31T01:00:00+00:00",
    ]  # fmt: skip
    assert set(real) <= onsets  # each onset, read as local time before the change, is the real instant


def test_an_empty_window_is_still_a_valid_calendar(berlin_feeds, db_url: str) -> None:  # noqa: ANN001
    bureau = load_example()
    with open_session(db_url) as s:
        apply_bureau(s, bureau, PLANNED)
        s.commit()
    body = export_feed(get_engine(db_url), Scope("all"), NOW, start=dt.date(2030, 1, 1), days=3).body
    assert assert_valid_feed(body) == {}
    assert icaljs().parse(body)["components"] == ["vtimezone"]
    assert vobject.readOne(body.decode(), validate=True).vtimezone.tzid.value == "Asia/Shanghai"


def test_reexported_file_cancels_shifts_moved_away(db_url: str, tmp_path: Path) -> None:
    bureau = load_example()
    with open_session(db_url) as s:
        apply_bureau(s, bureau, PLANNED)
        plan(s, bureau, dt.date(2026, 3, 5), 20, PLANNED)
        s.commit()

    def export(name: str, now: dt.datetime) -> dict[str, dict]:
        path = tmp_path / name
        args = ["calendar", "export", "--person", "p09", "--out", str(path), "--now", now.isoformat()]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        assert_valid_feed(path.read_bytes())
        return {e["uid"]: e for e in icaljs().parse(path.read_text(encoding="utf-8"))["events"]}

    first = export("a.ics", NOW)
    uid = min(first)  # p09's first duty in the window
    shift_uid = _shift_uid(uid)
    assert first[uid]["status"] == "CONFIRMED"
    with open_session(db_url) as s:
        shift = s.query(Shift).filter_by(uid=shift_uid).one()
        seat = next(a for a in shift.assignments if a.person_id == "p09")
        reassign(s, shift_uid, seat.role, seat.seat, "p44", NOW)
        s.commit()
    second = export("b.ics", NOW + dt.timedelta(hours=1))
    assert second[uid]["status"] == "CANCELLED" and second[uid]["sequence"] > first[uid]["sequence"]
    assert second[uid]["start"] == first[uid]["start"]  # the same event, now cancelled
    assert {u: e["status"] for u, e in second.items() if u != uid} == {u: "CONFIRMED" for u in first if u != uid}
    third = export("c.ics", NOW + dt.timedelta(hours=2))  # still gone: still cancelled, same SEQUENCE
    assert third[uid]["status"] == "CANCELLED" and third[uid]["sequence"] == second[uid]["sequence"]
    with open_session(db_url) as s:
        reassign(s, shift_uid, seat.role, seat.seat, "p09", NOW)
        s.commit()
    back = export("d.ics", NOW + dt.timedelta(hours=3))  # given back: live again, outranking the cancellation
    assert back[uid]["status"] == "CONFIRMED" and back[uid]["sequence"] > third[uid]["sequence"]
    # Subscribed feeds never carry cancellations: an event simply disappears from them.
    assert b"CANCELLED" not in export_feed(get_engine(db_url), Scope("person", "p09"), NOW).body
