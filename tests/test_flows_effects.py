"""Each flow whose job exists, on the real Prefect engine: its effect in the database, and that two runs at
once (a slow run overlapping the next tick, or two workers) leave no duplicate effects."""

from __future__ import annotations

import datetime as dt
import shutil
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from roster.storage import open_session, reset_engines
from roster.storage.models.outbox import OutboxMessage

pytest_plugins = ["tests.conftest_prefect"]
pytestmark = [
    pytest.mark.prefect,
    pytest.mark.xdist_group("prefect-harness"),
    pytest.mark.usefixtures("prefect_harness"),
]

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2026, 11, 23)


def local(hh: int, mm: int = 0, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hh, mm, tzinfo=SHANGHAI).astimezone(dt.UTC)


def run_twice_at_once(flow: Callable[..., dict], **parameters: object) -> list[dict]:
    """Start two runs of ``flow`` together (a barrier makes them really overlap) and return both results."""
    barrier = threading.Barrier(2)
    results: list[dict] = []
    errors: list[BaseException] = []

    def run() -> None:
        barrier.wait()
        try:
            results.append(flow(**parameters))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert not errors, errors
    assert len(results) == 2
    return results


def _outbox(url: str) -> list[tuple]:
    with open_session(url) as s:
        return [
            (m.dedup_key, m.person_id or m.address, m.payload.get("unit"), m.payload.get("step"))
            for m in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        ]


# --- deliver-notifications ---------------------------------------------------------------------------------


def test_deliver_notifications_sends_each_due_message_exactly_once(any_db_url: str) -> None:
    from flows.deliver_notifications import deliver_notifications
    from notifications.outbox import enqueue
    from tests.notifications_helpers import webhook_server

    now = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)
    with webhook_server() as peer:
        keys = [f"flows-test|site-{i:03d}|webhook" for i in range(20)]
        with open_session(any_db_url) as s:
            for key in keys:
                enqueue(
                    s,
                    key=key,
                    source="inspection",
                    channel="webhook",
                    address=peer.url(),
                    subject="巡查任务",
                    body=f"今日巡查：{key}",
                    now=now,
                )
            s.commit()

        results = run_twice_at_once(deliver_notifications, now=now, database_url=any_db_url)

        assert sorted(peer.delivered_keys()) == sorted(keys)  # every message once, none twice, none skipped
        assert sum(r["sent"] for r in results) == len(keys)
    with open_session(any_db_url) as s:
        statuses = Counter(s.scalars(select(OutboxMessage.status)))
    assert statuses == {"sent": len(keys)}


# --- check-reports -------------------------------------------------------------------------------------------


def _reports_bureau(url: str) -> None:
    from tests.reports_helpers import add_full_shift, install_bureau, replay_document, seed_bureau

    with open_session(url) as s:
        install_bureau(s, seed_bureau(replay_document()), local(0))
        add_full_shift(s, DAY - dt.timedelta(days=1), "p05")
        add_full_shift(s, DAY, "p02")
        s.commit()


def test_check_reports_escalates_like_the_job_and_never_twice(
    any_db_url: str, sqlite_template: Path, tmp_path: Path
) -> None:
    from flows.check_reports import check_reports
    from roster.reports.jobs import check_reports as check_reports_job
    from roster.storage.models.reports import EscalationEvent

    # The reference: the job called directly, once, on an identical database of its own.
    reference_path = tmp_path / "reference.db"
    shutil.copy(sqlite_template, reference_path)
    reference = f"sqlite:///{reference_path}"
    for url in (reference, any_db_url):
        _reports_bureau(url)
    at = local(9, 5)
    check_reports_job(at, database_url=reference)

    run_twice_at_once(check_reports, now=at, database_url=any_db_url)

    expected, got = _outbox(reference), _outbox(any_db_url)
    assert expected, "the scenario must escalate something by 09:05"
    assert sorted(got) == sorted(expected)
    with open_session(any_db_url) as s:
        keys = list(s.scalars(select(EscalationEvent.event_key)))
    assert len(keys) == len(set(keys))
    # A third tick at the same instant (a retried or replayed run) adds nothing.
    assert check_reports(now=at, database_url=any_db_url) is not None
    assert sorted(_outbox(any_db_url)) == sorted(expected)
    reset_engines()


def test_flows_run_cli_replays_an_instant(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from roster.cli import app

    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))  # the command must not touch ~/.prefect
    _reports_bureau(db_url)
    result = CliRunner().invoke(app, ["flows", "run", "check-reports", "--now", "2026-11-23T06:00:00+08:00"])
    assert result.exit_code == 0, result.output
    units = {unit for _, _, unit, _ in _outbox(db_url)}
    assert "c-night" in units  # the unit whose 06:00 step was due at the replayed instant
    assert all(created.astimezone(SHANGHAI).hour == 6 for created in _created_at(db_url))


def _created_at(url: str) -> list[dt.datetime]:
    with open_session(url) as s:
        return list(s.scalars(select(OutboxMessage.created_at)))


# --- refresh-feeds -------------------------------------------------------------------------------------------


def test_refresh_feeds_renders_each_subscribed_feed_once(any_db_url: str) -> None:
    from flows.refresh_feeds import refresh_feeds
    from roster.calendar.feed import Scope
    from roster.calendar.tokens import issue
    from roster.storage.models.calendar import CalendarFeedCache
    from tests.calendar_helpers import apply_bureau, load_example, plan

    now = local(10)
    with open_session(any_db_url) as s:
        bureau = load_example()
        apply_bureau(s, bureau, now)
        plan(s, bureau, DAY, 14, now)
        for scope in (Scope("person", "p01"), Scope("group", "construction"), Scope("all")):
            issue(s, scope, now)
        s.commit()

    results = run_twice_at_once(refresh_feeds, now=now, database_url=any_db_url)

    assert sum(r["rendered"] + r["unchanged"] for r in results) == 6  # 3 owners, seen by both runs
    with open_session(any_db_url) as s:
        owners = list(s.scalars(select(CalendarFeedCache.owner)))
        assert len(owners) == len(set(owners)) == 3
    # Nothing changed since: the next (hourly) run renders nothing.
    again = refresh_feeds(now=now + dt.timedelta(hours=1), database_url=any_db_url)
    assert again["rendered"] == 0 and again["unchanged"] == 3
    with open_session(any_db_url) as s:
        assert s.scalar(select(func.count()).select_from(CalendarFeedCache)) == 3


# --- plan-roster (-> refresh-feeds), assign-inspections, daily-report on the seed bureau --------------------

SEED_FILE = Path(__file__).resolve().parent.parent / "examples" / "chuxiong.yaml"
MONDAY_MORNING = local(9)  # 2026-11-23 is a Monday: the plan-roster tick


@pytest.fixture
def seeded(any_db_url: str) -> str:
    """The seed bureau applied by the real admin apply."""
    from roster.admin.apply import apply_file

    apply_file(SEED_FILE, local(0), any_db_url)
    return any_db_url


def test_plan_roster_plans_once_and_republishes_feeds_only_when_it_changed_something(seeded: str) -> None:
    from flows.plan_roster import plan_roster
    from roster.calendar.feed import Scope
    from roster.calendar.tokens import issue
    from roster.storage.models.calendar import CalendarFeedCache
    from roster.storage.models.shifts import Shift, ShiftAssignment

    with open_session(seeded) as s:
        issue(s, Scope("all"), local(0))
        s.commit()

    results = run_twice_at_once(plan_roster, now=MONDAY_MORNING, days=7, database_url=seeded)

    with open_session(seeded) as s:
        shifts = s.scalar(select(func.count()).select_from(Shift))
        seats = list(s.execute(select(ShiftAssignment.shift_id, ShiftAssignment.role, ShiftAssignment.seat)))
        cached = list(s.scalars(select(CalendarFeedCache.owner)))
    assert shifts == 7  # one 24-hour shift a day, planned once although two runs raced
    assert len(seats) == len(set(seats)) == 7 * 3  # leader + two officers each, no seat twice
    assert any("feeds" in r for r in results)  # the run that planned republished the calendars
    assert len(cached) == 1
    again = plan_roster(now=MONDAY_MORNING, days=7, database_url=seeded)
    assert again["planned"] is False and "feeds" not in again  # nothing changed: no republishing


def test_assign_inspections_assigns_the_day_once(seeded: str) -> None:
    from flows.assign_inspections import assign_inspections
    from roster.storage.models.inspections import InspectionVisit

    at = local(7)
    results = run_twice_at_once(assign_inspections, now=at, database_url=seeded)

    assert {r["date"] for r in results} == {"2026-11-23"}
    assert results[0]["visits"] == results[1]["visits"] > 0
    with open_session(seeded) as s:
        visits = s.scalar(select(func.count()).select_from(InspectionVisit))
        to_leaders = Counter(k for k, *_ in _outbox(seeded))
    assert visits == results[0]["visits"]
    assert to_leaders and set(to_leaders.values()) == {1}  # each group leader told once


def test_daily_report_writes_the_days_report(seeded: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.daily_report import daily_report

    monkeypatch.setenv("DUTYFLOW_HOME", str(tmp_path / "home"))
    results = run_twice_at_once(daily_report, now=local(17, 30), database_url=seeded)

    # Whether it is a daily or a zero report is the inspections feature's business; both runs must agree
    # and leave exactly one file for the day.
    [(day, kind)] = {(r["date"], r["kind"]) for r in results}
    assert day == "2026-11-23" and kind in ("daily_report", "zero_report")
    written = sorted(p.name for p in (tmp_path / "home" / "reports").iterdir())
    assert written == [f"2026-11-23-{kind.replace('_', '-')}.txt"]
    text = (tmp_path / "home" / "reports" / written[0]).read_text(encoding="utf-8")
    assert ("零报告" if kind == "zero_report" else "日报告") in text


def test_flows_run_cli_passes_typed_parameters(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from roster.admin.apply import apply_file
    from roster.cli import app

    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    apply_file(SEED_FILE, local(0), db_url)
    result = CliRunner().invoke(app, ["flows", "run", "plan-roster", "--now", "2026-11-23T09:00", "-p", "days=3"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout[result.stdout.index("{") :])
    assert (summary["start"], summary["days"], summary["created"]) == ("2026-11-23", 3, 3)
    result = CliRunner().invoke(app, ["flows", "run", "plan-roster", "-p", "days=many"])
    assert result.exit_code == 2 and "--param" in result.output
