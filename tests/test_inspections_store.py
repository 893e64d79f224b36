"""Inspections against a real database: apply, assign (stored, idempotent), leave/duty exclusion, leader lists
in the outbox, results, overdue re-assignment, statistics, the daily/zero report and the CLI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from typer.testing import CliRunner

from roster.admin.schema import BureauFile
from roster.cli import app
from roster.inspections.admin_apply import apply_section
from roster.inspections.jobs import assign_day, daily_report
from roster.inspections.results import ResultRejected, overdue_inspections, record_result
from roster.storage import open_session
from roster.storage.models.inspections import InspectionSite, InspectionVisit
from roster.storage.models.outbox import OutboxMessage
from roster.storage.models.people import Leave
from tests.inspections_helpers import install_bureau, put_on_duty, seed_bureau

UTC = dt.UTC
DAY = dt.date(2026, 12, 1)  # a Tuesday; p09 is on leave 11-30..12-06
MORNING = dt.datetime(2026, 11, 30, 23, 0, tzinfo=UTC)  # 07:00 Shanghai on DAY
EVENING = dt.datetime(2026, 12, 1, 12, 30, tzinfo=UTC)  # 20:30 Shanghai: past the 20:00 deadline


@pytest.fixture
def bureau_db(any_db_url: str) -> str:
    with open_session(any_db_url) as s:
        install_bureau(s, seed_bureau(), MORNING - dt.timedelta(days=1))
        put_on_duty(s, DAY, {"p02": "leader_on_duty", "p15": "duty_officer", "p22": "duty_officer"})
    return any_db_url


def _visits(url: str, day: dt.date) -> list[InspectionVisit]:
    with open_session(url) as s:
        return list(
            s.scalars(select(InspectionVisit).where(InspectionVisit.day == day).order_by(InspectionVisit.site_id))
        )


def test_assign_is_stored_idempotent_and_keeps_away_people_home(bureau_db: str) -> None:
    first = assign_day(MORNING, bureau_db)
    assert first["date"] == DAY.isoformat() and first["recomputed"] and first["visits"] > 100
    visits = _visits(bureau_db, DAY)
    sent = {p for v in visits for p in v.inspectors}
    assert not sent & {"p09", "p15", "p22"}  # p09 on leave, p15/p22 on duty that day
    assert {"p10", "p16"}.isdisjoint({p for v in visits if v.kind == "routine" for p in v.inspectors})  # stationed
    water = [v for v in visits if v.site_id.startswith(("wp", "sp"))]
    assert len(water) == 5 and all(v.group_id == "water" for v in water)
    jinxiu = next(v for v in visits if v.site_id == "rc001")
    assert jinxiu.kind == "task_force" and jinxiu.inspectors == ["p10", "p16"]
    # Same inputs: the stored plan, unchanged, and no second message to anyone.
    again = assign_day(MORNING + dt.timedelta(minutes=30), bureau_db)
    assert not again["recomputed"] and again["revision"] == 1 and again["messages_enqueued"] == 0
    assert [(v.site_id, v.group_id, v.inspectors) for v in _visits(bureau_db, DAY)] == [
        (v.site_id, v.group_id, v.inspectors) for v in visits
    ]
    with open_session(bureau_db) as s:
        messages = s.scalars(select(OutboxMessage).order_by(OutboxMessage.dedup_key)).all()
    assert len(messages) == 6 and first["messages_enqueued"] == 6
    communities = next(m for m in messages if m.payload["group"] == "communities")
    assert communities.person_id == "p04" and communities.locale == "en"  # p04 reads English
    construction = next(m for m in messages if m.payload["group"] == "construction")
    assert construction.locale == "zh-CN" and "检查任务" in construction.subject
    assert construction.dedup_key == f"inspection-list|{DAY}|construction|p03|email"
    assert "联系人" in construction.body and "检查人员：" in construction.body and "20:00前" in construction.body


def test_capacity_shortfall_is_reported_in_priority_order(bureau_db: str) -> None:
    summary = assign_day(MORNING, bureau_db)
    left = [row["site"] for row in summary["left"]]
    assert left, "the first day has every site due: more than the groups can visit"
    assert not [s for s in left if s.startswith(("wp", "sp", "pk"))]  # priority 1-2 sites are never left
    placed = {v.site_id for v in _visits(bureau_db, DAY)}
    assert not set(left) & placed
    assert len(placed) + len(left) == 296


def test_results_overdue_and_next_day_priority(bureau_db: str) -> None:
    assign_day(MORNING, bureau_db)
    visits = {v.site_id: v for v in _visits(bureau_db, DAY)}
    with open_session(bureau_db) as s:
        for site_id in visits:
            if site_id != "wp001":
                record_result(s, site_id=site_id, day=DAY, outcome="ok", now=EVENING - dt.timedelta(hours=2))
        record_result(s, site_id="cs001", day=DAY, outcome="issue", note="未设体温检测点", now=EVENING, by="p03")
        s.commit()
        overdue = overdue_inspections(s, EVENING)
        assert [(o.site_id, o.day, o.group_leader) for o in overdue] == [("wp001", DAY, "p08")]
        assert overdue_inspections(s, EVENING - dt.timedelta(hours=1)) == []  # 19:30: not yet late
    nxt = assign_day(EVENING + dt.timedelta(hours=10), bureau_db)
    assert nxt["date"] == (DAY + dt.timedelta(days=1)).isoformat()
    tomorrow = {v.site_id: v for v in _visits(bureau_db, DAY + dt.timedelta(days=1))}
    assert tomorrow["wp001"].reason == "overdue"
    weekly_done = [v.site_id for v in visits.values() if v.site_id.startswith("rc") and v.kind == "routine"]
    assert weekly_done and not {s for s in weekly_done if tomorrow.get(s) and tomorrow[s].reason != "early"}
    with open_session(bureau_db) as s:  # a later result settles the missed visit
        record_result(
            s, site_id="wp001", day=DAY + dt.timedelta(days=1), outcome="ok", now=EVENING + dt.timedelta(hours=14)
        )
        s.commit()
        later = overdue_inspections(s, EVENING + dt.timedelta(days=2))
        assert later and ("wp001", DAY) not in {(o.site_id, o.day) for o in later}


def test_record_rejections_name_the_field(bureau_db: str) -> None:
    assign_day(MORNING, bureau_db)
    with open_session(bureau_db) as s:
        with pytest.raises(ResultRejected, match="^result:"):
            record_result(s, site_id="wp001", day=DAY, outcome="fine", now=EVENING)
        with pytest.raises(ResultRejected, match="^site: unknown site 'zz999'"):
            record_result(s, site_id="zz999", day=DAY, outcome="ok", now=EVENING)
        with pytest.raises(ResultRejected, match="^date: .*not assigned on 2026-12-05"):
            record_result(s, site_id="wp001", day=dt.date(2026, 12, 5), outcome="ok", now=EVENING)
        with pytest.raises(ResultRejected, match="^by: unknown person"):
            record_result(s, site_id="wp001", day=DAY, outcome="ok", now=EVENING, by="p99")
        with pytest.raises(ResultRejected, match="^site: .*assigned to group water"):
            record_result(s, site_id="wp001", day=DAY, outcome="ok", now=EVENING, only_group_of="p03")


def test_daily_report_zero_then_daily(bureau_db: str) -> None:
    assign_day(MORNING, bureau_db)
    with open_session(bureau_db) as s:
        for v in _visits(bureau_db, DAY):
            record_result(s, site_id=v.site_id, day=DAY, outcome="ok", now=EVENING - dt.timedelta(hours=3))
        s.commit()
    zero = daily_report(EVENING, bureau_db)
    assert zero["kind"] == "zero_report" and "零报告" in zero["text"]
    assert "带班领导：马永红" in zero["text"] and "累计检查" in zero["text"] and "锦绣家园驻点工作组" in zero["text"]
    with open_session(bureau_db) as s:
        record_result(s, site_id="cs002", day=DAY, outcome="issue", note="工人未佩戴口罩", now=EVENING)
        s.commit()
    report = daily_report(EVENING, bureau_db)
    assert report["kind"] == "daily_report" and "工人未佩戴口罩" in report["text"] and report["issues"] == 1
    path = report["path"]
    assert path.endswith(f"{DAY}-daily-report.txt") and Path(path).read_text("utf-8") == report["text"]


def test_stats_count_sites_visits_issues_overdue(bureau_db: str) -> None:
    assign_day(MORNING, bureau_db)
    with open_session(bureau_db) as s:
        record_result(s, site_id="wp001", day=DAY, outcome="ok", now=EVENING)
        record_result(s, site_id="wp002", day=DAY, outcome="issue", note="余氯偏低", now=EVENING)
        record_result(s, site_id="wp002", day=DAY, outcome="ok", note="复测正常", now=EVENING)  # correction
        s.commit()
    result = CliRunner().invoke(app, ["inspections", "stats", "--json", "--now", "2026-12-01T21:00"])
    assert result.exit_code == 0, result.output
    lines = {row["site_type"]: row for row in json.loads(result.output)["lines"]}
    assert lines["water_plant"] == {"sector": "water_supply", "site_type": "water_plant", "sites": 3,
                                    "sites_inspected": 2, "visits": 2, "issues": 0, "overdue": 1}  # fmt: skip
    assert "水厂2个" in json.loads(result.output)["summary"]


def test_cli_assign_record_and_errors(bureau_db: str) -> None:
    runner = CliRunner()
    out = runner.invoke(app, ["inspections", "assign", "--date", "2026-12-01", "--now", "2026-12-01T07:00", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["revision"] == 1
    ok = runner.invoke(app, ["inspections", "record", "wp001", "--date", "2026-12-01", "--result", "ok", "--by",
                             "p08", "--now", "2026-12-01T10:00"])  # fmt: skip
    assert ok.exit_code == 0 and "recorded ok for wp001" in ok.output
    bad = runner.invoke(app, ["inspections", "record", "wp001", "--date", "2026-12-01", "--result", "maybe",
                              "--now", "2026-12-01T10:00"])  # fmt: skip
    assert bad.exit_code == 2 and "result: must be one of ok, issue" in bad.output
    baddate = runner.invoke(app, ["inspections", "assign", "--date", "12/01/2026"])
    assert baddate.exit_code == 2 and "--date" in baddate.output
    future = runner.invoke(app, ["inspections", "assign", "--date", "2031-03-01", "--now", "2026-12-01T07:00"])
    assert future.exit_code == 2 and "holiday" in future.output


def test_apply_section_is_idempotent_and_deactivates(db_url: str) -> None:
    bureau = seed_bureau()
    now = MORNING
    with open_session(db_url) as s:
        assert len(apply_section(s, bureau, now)) == 296
        assert apply_section(s, bureau, now) == []
        doc = bureau.model_dump(mode="json", by_alias=True)
        doc["inspections"]["sites"] = [x for x in doc["inspections"]["sites"] if x["id"] != "ag048"]
        doc["inspections"]["sites"][0]["name"] = "锦绣家园（一期）"
        changes = apply_section(s, BureauFile.model_validate(doc), now)
        assert len(changes) == 2 and changes[0] == "inspections: site rc001 changed (name)"
        assert changes[1].startswith("inspections: site ag048 deactivated") and "history is kept" in changes[1]
        assert s.get(InspectionSite, "ag048").active is False
        assert s.get(InspectionSite, "rc001").name == "锦绣家园（一期）"


def test_section_errors_name_the_field() -> None:
    doc = seed_bureau().model_dump(mode="json", by_alias=True)
    doc["inspections"]["sites"][3]["type"] = "castle"
    with pytest.raises(ValidationError, match=r"sites\.3\.type: unknown site type 'castle'"):
        BureauFile.model_validate(doc)
    doc = seed_bureau().model_dump(mode="json", by_alias=True)
    doc["inspections"]["sites"][5]["contact"]["phone"] = "12345"
    with pytest.raises(ValidationError, match=r"inspections\.sites\.5\.contact\.phone"):
        BureauFile.model_validate(doc)
    doc = seed_bureau().model_dump(mode="json", by_alias=True)
    doc["inspections"]["task_forces"][0]["members"] = ["p10", "p77"]
    bureau = BureauFile.model_validate(doc)
    assert bureau.inspections.check_references(bureau) == [
        (("inspections", "task_forces", 0, "members", 1), "unknown person 'p77'")
    ]


def test_replan_keeps_recorded_visits_and_changes_little(bureau_db: str) -> None:
    assign_day(MORNING, bureau_db)
    before = {v.site_id: (v.group_id, tuple(v.inspectors)) for v in _visits(bureau_db, DAY)}
    with open_session(bureau_db) as s:
        record_result(s, site_id="cs001", day=DAY, outcome="ok", now=MORNING + dt.timedelta(hours=2))
        s.add(Leave(person_id="p14", first_day=DAY, last_day=DAY, reason="病假"))  # a water inspector falls ill
        s.commit()
    again = assign_day(MORNING + dt.timedelta(hours=3), bureau_db)
    assert again["recomputed"] and again["revision"] == 2
    after = {v.site_id: (v.group_id, tuple(v.inspectors)) for v in _visits(bureau_db, DAY)}
    assert after["cs001"] == before["cs001"]  # recorded: kept as it was
    assert "p14" not in {p for _, team in after.values() for p in team}
    untouched = [s for s, (_, team) in before.items() if "p14" not in team]
    unchanged = [s for s in untouched if after.get(s) == before[s]]
    assert len(unchanged) >= 0.9 * len(untouched)  # only p14's visits (and few others) move
    with open_session(bureau_db) as s:
        keys = set(s.scalars(select(OutboxMessage.dedup_key)))
    # Only groups whose list changed hear again: water (p14's visits moved), not, say, parks.
    assert f"inspection-list|{DAY}|water|p08|email|r2" in keys
    assert f"inspection-list|{DAY}|parks|p07|email|r2" not in keys and 7 <= len(keys) < 12


def test_holiday_inspects_only_holiday_sites(bureau_db: str) -> None:
    national_day = dt.datetime(2026, 10, 1, 1, 0, tzinfo=UTC)  # 09:00 on 1 October
    assign_day(national_day, bureau_db)
    visits = _visits(bureau_db, dt.date(2026, 10, 1))
    types = {v.site_id[:2] for v in visits}
    assert types == {"wp", "sp", "pk", "rc"} and [v.site_id for v in visits if v.site_id.startswith("rc")] == ["rc001"]


@pytest.mark.postgres
def test_two_workers_assign_the_same_day_once(pg_database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from tests.conftest import _empty_postgres

    _empty_postgres(pg_database)
    with open_session(pg_database) as s:
        install_bureau(s, seed_bureau(), MORNING - dt.timedelta(days=1))
    barrier = threading.Barrier(2)
    results: list[dict] = []
    errors: list[BaseException] = []

    import roster.inspections.assign as assign_module

    real = assign_module.assign

    calls: list[int] = []

    def slowed(session, day, now):  # noqa: ANN001, ANN202 - both workers start together (first call only)
        calls.append(1)
        if len(calls) <= 2:
            barrier.wait(timeout=30)
        return real(session, day, now)

    monkeypatch.setattr(assign_module, "assign", slowed)

    def worker() -> None:
        try:
            results.append(assign_day(MORNING, pg_database))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert sorted(r["recomputed"] for r in results) == [False, True] and len(calls) in (2, 3)  # 3: one retried
    with open_session(pg_database) as s:
        assert len(s.scalars(select(OutboxMessage.id)).all()) == 6


def test_bureau_without_inspections_is_skipped_not_failed(db_url: str) -> None:
    bureau = seed_bureau().model_copy(update={"inspections": None})
    with open_session(db_url) as s:
        install_bureau(s, bureau, MORNING)
    assert assign_day(MORNING, db_url)["skipped"].startswith("the admin file in force has no inspections")
    assert "skipped" in daily_report(EVENING, db_url)
    out = CliRunner().invoke(app, ["inspections", "assign", "--now", "2026-12-01T07:00"])
    assert out.exit_code == 2 and "no inspections: section" in out.output


def test_assign_text_output_lists_shortfall_briefly(bureau_db: str) -> None:
    out = CliRunner().invoke(app, ["inspections", "assign", "--date", "2026-12-01", "--now", "2026-12-01T07:00"])
    assert out.exit_code == 0, out.output
    assert "left unassigned" in out.output and "more (--json lists all)" in out.output
    assert "messages to group leaders enqueued: 6" in out.output
    shown = CliRunner().invoke(app, ["inspections", "show", "--date", "2026-12-01", "--json"])
    rows = json.loads(shown.output)
    assert {r["group"] for r in rows} == {"construction", "communities", "real_estate", "affordable_housing",
                                          "parks", "water"}  # fmt: skip


def test_daily_report_through_the_real_apply_and_report_ledger(db_url: str) -> None:
    """The whole seed applied by the core apply (people, groups, report units, sites): units' own report
    states are listed; with nothing found and nothing overdue the bureau's report is still a zero report."""
    from roster.admin.apply import apply_bureau

    with open_session(db_url) as s:
        apply_bureau(s, seed_bureau(), MORNING - dt.timedelta(days=1))
        s.commit()
    assign_day(MORNING, db_url)
    with open_session(db_url) as s:
        for v in _visits(db_url, DAY):
            record_result(s, site_id=v.site_id, day=DAY, outcome="ok", now=MORNING + dt.timedelta(hours=2))
        s.commit()
    # Issue 16: a zero report only once every unit has reported; units still out are named, never "无漏报".
    noon = daily_report(MORNING + dt.timedelta(hours=5), db_url)  # 12:00: units' deadlines not yet passed
    assert noon["kind"] == "daily_report" and "四、各单位报告情况" in noon["text"] and "尚未报送" in noon["text"]
    assert "截至报告时间，尚有11个单位未报送" in noon["text"] and "无瞒报" not in noon["text"]
    night = daily_report(EVENING + dt.timedelta(hours=2), db_url)  # 22:30: units that never filed are missing
    assert night["kind"] == "daily_report" and "：未报送" in night["text"] and "无瞒报" not in night["text"]
    assert night["text"].startswith("楚雄市住房和城乡建设局疫情防控日报告")  # the title from the admin file


def test_cli_daily_report_out_file_and_token_errors(bureau_db: str, tmp_path) -> None:  # noqa: ANN001
    runner = CliRunner()
    runner.invoke(app, ["inspections", "assign", "--date", "2026-12-01", "--now", "2026-12-01T07:00"])
    target = tmp_path / "to-city.txt"
    out = runner.invoke(app, ["daily-report", "--date", "2026-12-01", "--out", str(target), "--now",
                              "2026-12-01T21:00"])  # fmt: skip
    assert out.exit_code == 0, out.output
    assert target.read_text("utf-8").startswith("楚雄市住房和城乡建设局疫情防控日报告")
    assert "带班领导：马永红" in target.read_text("utf-8")
    bad = runner.invoke(app, ["daily-report", "--out", str(tmp_path / "no" / "such" / "dir.txt"), "--now",
                              "2026-12-01T21:00"])  # fmt: skip
    assert bad.exit_code == 2 and "--out" in bad.output
    revoke = runner.invoke(app, ["inspections", "token", "revoke", "p99"])
    assert revoke.exit_code == 2 and "unknown person 'p99'" in revoke.output
