"""Reminder windows and change detection as pure decisions; the CLI and admin-file edges of both."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from notices_helpers import notice_bureau, outbox, two_duties
from pydantic import ValidationError
from typer.testing import CliRunner

from roster.cli import app
from roster.notices.changes import SeatMove, moved_people, notify_shift_changes
from roster.notices.facts import ShiftFacts
from roster.notices.reminders import due_reminders, reminder_windows
from roster.notices.schema import RemindersSection
from roster.storage import open_session

UTC = dt.UTC


def shift(uid: str, day: dt.date, start: dt.datetime, seats: tuple[tuple[str, str], ...] = (), rev: int = 1):
    return ShiftFacts(uid, day, start, start + dt.timedelta(hours=24), rev, seats)


def test_windows_follow_the_admin_file_and_end_where_the_next_begins() -> None:
    s = shift("a", dt.date(2026, 12, 3), dt.datetime(2026, 12, 3, 0, 30, tzinfo=UTC), (("duty_officer", "o1"),))
    section = RemindersSection(day_before_at="16:00", minutes_before=45)
    assert reminder_windows(s, section, "Asia/Shanghai") == [
        ("day_before", dt.datetime(2026, 12, 2, 8, 0, tzinfo=UTC), dt.datetime(2026, 12, 2, 23, 45, tzinfo=UTC)),
        ("before_handover", dt.datetime(2026, 12, 2, 23, 45, tzinfo=UTC), s.starts_at),
    ]
    assert [k for k, *_ in reminder_windows(s, RemindersSection(minutes_before=None), "Asia/Shanghai")] == [
        "day_before"
    ]
    # Berlin: 16:00 local the day before the spring change is 15:00 UTC (CET), not 14:00.
    berlin = shift("b", dt.date(2026, 3, 30), dt.datetime(2026, 3, 30, 6, 30, tzinfo=UTC))
    assert reminder_windows(berlin, section, "Europe/Berlin")[0][1] == dt.datetime(2026, 3, 29, 14, 0, tzinfo=UTC)
    due = due_reminders([s], section, "Asia/Shanghai", dt.datetime(2026, 12, 2, 8, 0, tzinfo=UTC))
    assert [(d.kind, d.person_id) for d in due] == [("day_before", "o1")]
    assert due_reminders([s], section, "Asia/Shanghai", s.starts_at) == []  # never once the shift began


def test_only_people_whose_duties_moved_are_told() -> None:
    after = {"x": shift("x", dt.date(2026, 12, 3), dt.datetime(2026, 12, 3, tzinfo=UTC),
                        (("leader_on_duty", "l1"), ("duty_officer", "o2"), ("duty_officer", "o3")), rev=2)}  # fmt: skip
    moved = moved_people([SeatMove("x", "duty_officer", "o1", "o2")], after)
    assert set(moved) == {"o1", "o2"}  # l1 and o3 keep their duty though a partner changed
    assert moved["o1"].before == {("x", "duty_officer")} and moved["o1"].after == set()
    # A seat given away and taken back within one change is no move at all.
    there_and_back = [SeatMove("x", "duty_officer", "o3", "o9"), SeatMove("x", "duty_officer", "o9", "o3")]
    assert moved_people(there_and_back, after) == {}
    retimed = moved_people([SeatMove("x", "*", None, None, times_changed=True)], after)
    assert set(retimed) == {"l1", "o2", "o3"}


def test_reminder_section_errors_name_the_field() -> None:
    for bad, field in (({"day_before_at": "25:00"}, "day_before_at"), ({"minutes_before": 0}, "minutes_before"),
                       ({"duty_phone": "12345"}, "duty_phone"), ({"at": "16:00"}, "at")):  # fmt: skip
        with pytest.raises(ValidationError) as info:
            notice_bureau(**bad)
        assert ("reminders", field) == info.value.errors()[0]["loc"][:2]


@pytest.fixture
def small_roster(any_db_url: str) -> str:
    return two_duties(any_db_url)


def test_remind_cli_twice_sends_nothing_twice(small_roster: str) -> None:
    runner = CliRunner()
    args = ["notifications", "remind", "--now", "2026-11-30T17:00+08:00", "--json"]
    first = json.loads(runner.invoke(app, args).output)
    assert first["due"] == 3 and first["enqueued"] == 3  # the 12-01 duty: l1, o1, o2
    second = json.loads(runner.invoke(app, args).output)
    assert second["enqueued"] == 0 and second["already_sent"] == 3
    text = runner.invoke(app, ["notifications", "remind", "--now", "2026-12-01T07:45+08:00"]).output
    assert "queued 3" in text
    bad = runner.invoke(app, ["notifications", "remind", "--now", "tomorrow"])
    assert bad.exit_code != 0 and "--now" in bad.output
    with open_session(small_roster) as s:
        assert sorted(m.person_id for m in outbox(s)) == ["l1", "l1", "o1", "o1", "o2", "o2"]


def test_cli_swap_tells_both_people_and_a_bad_source_is_refused(small_roster: str) -> None:
    result = CliRunner().invoke(app, ["swap", "--shift", "2026-12-01", "--person", "o1", "--with-person", "o3",
                                      "--with-shift", "2026-12-02", "--by", "值班室", "--reason", "调班",
                                      "--now", "2026-11-30T10:00+08:00"])  # fmt: skip
    assert result.exit_code == 0, result.output
    with open_session(small_roster) as s:
        told = {m.person_id: m for m in outbox(s, "change.")}
        assert set(told) == {"o1", "o3"}  # partners l1, o2, l2, o4 keep their duties: not told
        assert "原：12月1日（周二）08:30" in told["o1"].body and "现：12月2日（周三）08:30" in told["o1"].body
        with pytest.raises(ValueError, match="source"):
            notify_shift_changes(s, [SeatMove("x", "r", "a", "b")], "", dt.datetime.now(UTC))
        assert len(outbox(s)) == 2
