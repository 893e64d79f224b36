"""Three days of clock ticks with a swap, a leave and a publish: each person gets exactly the reminders and
change notices they should, in their language, and a missed or repeated tick changes nothing."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo

import pytest
from notices_helpers import DUTY_PHONE, apply, duties, holders, notice_bureau, outbox
from typer.testing import CliRunner

from roster.cli import app
from roster.notices.changes import notify_shift_changes
from roster.notices.jobs import send_reminders
from roster.planning.plan import plan
from roster.storage import open_session, session_scope

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
START = dt.date(2026, 12, 1)


def local(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """An instant given as Chuxiong wall-clock time on 2026-11-<day> (30) or 2026-12-<day>."""
    month = 11 if day == 30 else 12
    return dt.datetime(2026, month, day, hour, minute, tzinfo=TZ).astimezone(dt.UTC)


def cli(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def windows(uid: str, starts_at: dt.datetime) -> list[tuple[str, dt.datetime, dt.datetime]]:
    """The reminder windows the admin file asks for, spelled out: 16:00 the day before, 60 min before."""
    start = starts_at.astimezone(TZ)
    day_before = dt.datetime.combine(start.date() - dt.timedelta(days=1), dt.time(16, 0), TZ)
    handover = start - dt.timedelta(minutes=60)
    return [("day_before", day_before, handover), ("before_handover", handover, start)]


@pytest.fixture
def planned(db_url: str) -> str:
    bureau = notice_bureau()
    with open_session(db_url) as s:
        apply(s, bureau, local(30, 12))
        report = plan(s, bureau, START, 6, local(30, 12), time_limit_s=5)
        assert report.ok
        s.commit()
    return db_url


def _swap(url: str, now: dt.datetime) -> tuple[str, str]:
    """Give the first reachable officer's 12-03 seat to a reachable officer not on that shift (CLI)."""
    with open_session(url) as s:
        on = holders(s)["20261203-full@dutyflow"]["people"]
    giver = sorted(p for p in on if p.startswith("o") and p != "o7")[0]
    taker = sorted(p for p in (f"o{i}" for i in range(1, 7)) if p not in on)[0]
    cli("swap", "--shift", "2026-12-03", "--person", giver, "--to", taker, "--by", "值班室", "--reason", "家中有事",
        "--now", now.isoformat())  # fmt: skip
    return giver, taker


def _leave_and_replan(url: str, now: dt.datetime) -> str:
    """An officer on the 12-04 duty takes leave 12-04..12-06 (admin file), then the CLI re-plans those days."""
    with open_session(url) as s:
        on = holders(s)["20261204-full@dutyflow"]["people"]
    absent = sorted(p for p in on if p.startswith("o") and p != "o7")[0]
    with open_session(url) as s:
        apply(s, notice_bureau(leave=[{"person": absent, "from": "2026-12-04", "to": "2026-12-06"}]), now)
    cli("plan", "--start", "2026-12-04", "--days", "3", "--time-limit", "5", "--now", now.isoformat())
    return absent


def _publish(url: str, now: dt.datetime) -> None:
    """The web console's publish: a draft of the next unplanned days, computed and published for real
    (roster/planning/drafts.py announces its moves through notify_shift_changes)."""
    from roster.planning.drafts import compute_draft, create_draft, publish

    with session_scope(url) as s:
        draft_id = create_draft(s, dt.date(2026, 12, 7), 2, now, "p-admin", time_limit_s=5).id
    compute_draft(lambda: open_session(url), draft_id, now)
    with session_scope(url) as s:
        draft = publish(s, draft_id, now, "p-admin")
        again = notify_shift_changes(s, draft.changes, "publish", now)  # a retried announcement: nothing twice
        assert again["enqueued"] == 0 and again["notified"]


def test_three_day_replay(planned: str) -> None:
    url = planned
    events = {
        local(1, 10): ("swap", _swap),
        local(2, 9): ("plan", _leave_and_replan),
        local(3, 11): ("publish", _publish),
    }
    ticks = [local(30, 20) + dt.timedelta(minutes=30 * i) for i in range(145)]  # to 12-03 20:00
    ticks = [t for t in ticks if not local(1, 15) <= t < local(1, 19)]  # a scheduler outage: missed ticks
    expected_reminders: set[tuple[str, str, str]] = set()
    expected_notices: list[tuple[str, str]] = []
    results = {}
    for t in ticks:
        for at, (source, action) in list(events.items()):
            if at <= t:
                with open_session(url) as s:
                    before = duties(s)
                results[source] = action(url, at)
                with open_session(url) as s:
                    after = duties(s)
                moved = {p for p in set(before) | set(after) if before.get(p, set()) != after.get(p, set())}
                assert moved, f"{source} moved nobody"
                expected_notices += [(p, f"change.{source}") for p in moved if p != "o7"]
                del events[at]
        with open_session(url) as s:
            for uid, shift in holders(s).items():
                for kind, start, end in windows(uid, shift["starts_at"]):
                    if start <= t < end:
                        expected_reminders |= {(p, kind, uid) for p in shift["people"] if p != "o7"}
        runs = 2 if local(2, 0) <= t < local(3, 0) else 1  # a repeated tick sends nothing twice
        for _ in range(runs):
            send_reminders(t, url)
    assert not events

    with open_session(url) as s:
        reminders = outbox(s, "reminder")
        notices = outbox(s, "change.")
        got = [(m.person_id, m.payload["kind"], m.payload["shift"]) for m in reminders]
        assert len(got) == len(set(got)), "a reminder was queued twice"
        assert set(got) == expected_reminders
        assert sorted((m.person_id, m.source) for m in notices) == sorted(expected_notices)

        giver, taker = results["swap"]
        mine = {(m.person_id, m.payload["shift"]) for m in reminders if m.payload["kind"] == "day_before"}
        assert (taker, "20261203-full@dutyflow") in mine and (giver, "20261203-full@dutyflow") not in mine
        # The 16:00 reminder for 12-02 fell into the outage: it went out at the first tick after it.
        late = [
            m for m in reminders if m.payload == m.payload | {"kind": "day_before", "shift": "20261202-full@dutyflow"}
        ]
        assert late and {m.created_at for m in late} == {local(1, 19)}
        # 12-01's reminder was due before the replay began (16:00 on 11-30): caught up at the first tick.
        first = [
            m for m in reminders if m.payload["shift"] == "20261201-full@dutyflow" and m.payload["kind"] == "day_before"
        ]
        assert first and {m.created_at for m in first} == {local(30, 20)}

        zh = next(m for m in reminders if m.locale == "zh-CN" and m.payload["kind"] == "day_before")
        assert zh.body.startswith("明天 08:30 起您值班（带班领导：") and f"值班电话：{DUTY_PHONE}）" in zh.body
        assert zh.subject == "【值班提醒】明天 08:30 起您值班"
        en = [m for m in reminders + notices if m.person_id == "l3"]
        assert en and all(m.locale == "en" and "值班" not in m.body for m in en)
        told = next(m for m in notices if m.person_id == giver and m.source == "change.swap")
        assert "原：12月3日（周四）08:30 至 12月4日（周五）08:30 值班员" in told.body
        assert "现：无（已调出）" in told.body and "家中有事" in told.body
        got_it = next(m for m in notices if m.person_id == taker and m.source == "change.swap")
        assert "现：12月3日（周四）08:30 至 12月4日（周五）08:30 值班员" in got_it.body

    listed = json.loads(cli("notifications", "list", "--source", "change.", "--json", "--limit", "500"))
    assert sorted((r["person_id"], r["source"]) for r in listed) == sorted(expected_notices)
    assert "reminder" in cli("notifications", "list", "--limit", "3")
