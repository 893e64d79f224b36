"""The CLI in-process: plan, roster show, coverage, fairness, swap; and the plan_ahead job."""

from __future__ import annotations

import datetime as dt
import json

from planning_helpers import install_bureau, seed_bureau, small_bureau
from typer.testing import CliRunner

from roster.cli import app
from roster.planning.jobs import plan_ahead
from roster.storage import open_session
from roster.storage.models.shifts import AuditEntry, Shift

NOW = "2026-11-24T10:00:00+08:00"
runner = CliRunner()


def _install(db_url: str, bureau=None) -> None:  # noqa: ANN001
    with open_session(db_url) as s:
        install_bureau(s, bureau or seed_bureau(), dt.datetime(2026, 11, 23, tzinfo=dt.UTC))


def test_plan_show_coverage_fairness(db_url: str) -> None:
    _install(db_url)
    result = runner.invoke(app, ["plan", "--start", "2026-11-30", "--days", "14", "--now", NOW, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] and report["created"] == 14 and report["changes"] == []

    shown = runner.invoke(app, ["roster", "show", "--start", "2026-11-30", "--days", "14", "--json"])
    rows = json.loads(shown.stdout)
    assert len(rows) == 14 and all(len(r["leader_on_duty"]) == 1 and len(r["officers"]) == 2 for r in rows)
    assert all(o["id"] != "p09" for r in rows[:7] for o in r["officers"])  # p09 on leave 11-30..12-06
    assert rows[5]["kind"] == "weekend" and rows[0]["weekday"] == 1
    assert rows[0]["officers"][0]["phone"]
    table = runner.invoke(app, ["roster", "show", "--start", "2026-11-30", "--days", "2"])
    assert (
        table.exit_code == 0 and "2026-11-30" in table.stdout and rows[0]["leader_on_duty"][0]["name"] in table.stdout
    )

    assert runner.invoke(app, ["coverage", "--start", "2026-11-30", "--days", "14"]).exit_code == 0
    gaps = runner.invoke(app, ["coverage", "--start", "2026-11-30", "--days", "15", "--json"])
    assert gaps.exit_code == 1
    assert json.loads(gaps.stdout)["problems"] == [
        {"rule": "gap", "date": "2026-12-14", "message": "2026-12-14: no shift planned", "people": []}
    ]

    fairness = json.loads(runner.invoke(app, ["fairness", "--json"]).stdout)
    p01 = next(p for p in fairness["people"] if p["id"] == "p01")
    assert p01["duties_ledger"] == 5 and p01["duties"] >= 5
    assert set(fairness["spread"]) == {"leader_on_duty", "duty_officer"}


def test_replan_prints_changes_and_swap_cli(db_url: str) -> None:
    bureau = small_bureau(3, 6)
    _install(db_url, bureau)
    assert runner.invoke(app, ["plan", "--start", "2026-12-01", "--days", "7", "--now", NOW]).exit_code == 0
    with open_session(db_url) as s:
        shift = s.query(Shift).filter_by(duty_date=dt.date(2026, 12, 3)).one()
        officer = next(a.person_id for a in shift.assignments if a.role == "duty_officer")
    leave = [{"person": officer, "from": "2026-12-03", "to": "2026-12-03"}]
    _install(db_url, small_bureau(3, 6, leave=leave))
    stale = runner.invoke(app, ["coverage", "--start", "2026-12-01", "--days", "7", "--json"])
    assert stale.exit_code == 1
    assert [(p["rule"], p["people"]) for p in json.loads(stale.stdout)["problems"]] == [("leave", [officer])]
    preview = runner.invoke(app, ["plan", "--start", "2026-12-01", "--days", "7", "--now", NOW, "--dry-run"])
    assert preview.exit_code == 0 and "dry run: nothing written" in preview.stdout and "1 changed" in preview.stdout
    with open_session(db_url) as s:
        assert officer in {
            a.person_id for a in s.query(Shift).filter_by(duty_date=dt.date(2026, 12, 3)).one().assignments
        }
        assert s.query(AuditEntry).filter_by(action="plan").count() == 1
    replan = runner.invoke(app, ["plan", "--start", "2026-12-01", "--days", "7", "--now", NOW])
    assert replan.exit_code == 0 and "1 changed" in replan.stdout
    assert f"2026-12-03 duty_officer: {officer}" in replan.stdout

    refused = runner.invoke(app, ["swap", "--shift", "2026-12-03", "--person", "nobody", "--to", "o1", "--by", "me",
                                  "--reason", "x", "--now", NOW])  # fmt: skip
    assert refused.exit_code == 1 and "refused (input): nobody holds no seat" in refused.output
    missing = runner.invoke(app, ["swap", "--shift", "2026-12-03", "--person", "o1", "--by", "me", "--reason", "x"])
    assert missing.exit_code == 2 and "exactly one of --with-person" in missing.output


def test_plan_errors_are_clean(db_url: str) -> None:
    assert (
        "no admin file has been applied" in runner.invoke(app, ["plan", "--start", "2026-12-01", "--days", "3"]).output
    )
    _install(db_url, small_bureau(1, 1))
    bad_date = runner.invoke(app, ["plan", "--start", "2026-13-01", "--days", "3"])
    assert bad_date.exit_code == 2 and "--start" in bad_date.output
    infeasible = runner.invoke(app, ["plan", "--start", "2026-12-01", "--days", "3", "--now", NOW])
    assert infeasible.exit_code == 1 and "duty_officer: needs 2, only 1 available" in infeasible.stdout
    no_data = runner.invoke(app, ["plan", "--start", "2027-01-01", "--days", "3", "--now", NOW])
    assert no_data.exit_code == 2 and "no holiday data for 2027" in no_data.output


def test_plan_ahead_is_idempotent(db_url: str) -> None:
    _install(db_url, small_bureau(4, 10))
    now = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai
    first = plan_ahead(now, days=10, database_url=db_url)
    assert first["planned"] and first["start"] == "2026-12-01" and first["created"] == 10
    again = plan_ahead(now + dt.timedelta(hours=1), days=10, database_url=db_url)
    assert again.as_dict() == {"start": "2026-12-01", "days": 10, "planned": False, "reason": "already planned"}
    later = plan_ahead(now + dt.timedelta(days=2), days=10, database_url=db_url)
    assert later["planned"] and later["created"] == 2 and later["changed"] == 0
    with open_session(db_url) as s:
        assert s.query(Shift).count() == 12
        assert [a.actor for a in s.query(AuditEntry).order_by(AuditEntry.id)] == ["plan_ahead", "plan_ahead"]


def test_plan_ahead_stops_at_the_last_year_with_holiday_data(db_url: str) -> None:
    _install(db_url, small_bureau(4, 10))
    now = dt.datetime(2026, 12, 20, 2, 0, tzinfo=dt.UTC)
    summary = plan_ahead(now, days=30, database_url=db_url)
    assert summary["planned"] and summary["days"] == 12 and summary["created"] == 12
    assert "no holiday data for 2027" in summary["warning"]
    assert plan_ahead(now, days=30, database_url=db_url)["reason"] == "already planned"
    nothing = plan_ahead(dt.datetime(2027, 1, 2, tzinfo=dt.UTC), days=5, database_url=db_url)
    assert nothing["planned"] is False and nothing["days"] == 0 and nothing["reason"] == "no holiday data"


def test_with_the_admin_apply(any_db_url: str) -> None:
    """The real admin apply, then plan; new leave applied later is re-planned with exactly the moved seats."""
    from roster.admin.apply import apply_validated
    from roster.planning.plan import plan

    t0 = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)
    apply_validated(seed_bureau(), t0, any_db_url)
    with open_session(any_db_url) as s:
        from roster.admin.current import current_bureau

        report = plan(s, current_bureau(s), dt.date(2026, 12, 7), 14, t0)
        s.commit()
        assert report.ok and report.created == 14
        held = sorted(
            shift.duty_date for shift in s.query(Shift).all() for a in shift.assignments if a.person_id == "p20"
        )
    assert held
    leave = [{"person": "p20", "from": held[0], "to": held[0], "reason": "病假"}]
    apply_validated(seed_bureau(leave=[*seed_bureau().model_dump(by_alias=True)["leave"], *leave]), t0, any_db_url)
    result = runner.invoke(
        app, ["plan", "--start", "2026-12-07", "--days", "14", "--now", "2026-11-24T09:00", "--json"]
    )
    data = json.loads(result.stdout)
    assert [c["duty_date"] for c in data["changes"]] == [held[0].isoformat()]
    assert "p20" in data["changes"][0]["seats"][0]["old"] and "p20" not in data["changes"][0]["seats"][0]["new"]
    assert runner.invoke(app, ["coverage", "--start", "2026-12-07", "--days", "14"]).exit_code == 0


def test_swap_in_a_day_night_pattern(db_url: str) -> None:
    pattern = {"kind": "day_night", "handover": "08:00", "night_starts": "20:00"}
    bureau = small_bureau(4, 8, shift_pattern=pattern, rules={"min_rest_hours": 12, "max_consecutive_duties": 2})
    _install(db_url, bureau)
    assert runner.invoke(app, ["plan", "--start", "2026-12-01", "--days", "1", "--now", NOW]).exit_code == 0
    rows = json.loads(runner.invoke(app, ["roster", "show", "--start", "2026-12-01", "--days", "1", "--json"]).stdout)
    assert [r["slot"] for r in rows] == ["day", "night"]
    night = rows[1]
    busy = {p["id"] for r in rows for p in r["officers"] + r["leader_on_duty"]}
    free = sorted({f"o{i}" for i in range(1, 9)} - busy)
    assert len(free) == 4  # 8 officers, 4 officer seats
    giver = night["officers"][0]["id"]
    base = ["swap", "--shift", "2026-12-01", "--person", giver, "--to", free[0], "--by", "me", "--reason", "r"]
    assert "--slot: day or night is required" in runner.invoke(app, base).output
    done = runner.invoke(app, [*base, "--slot", "night", "--now", NOW, "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["moves"][0] == {
        "uid": "20261201-night@dutyflow", "date": "2026-12-01", "slot": "night", "role": "duty_officer",
        "seat": 0 if night["officers"][0]["id"] == giver else 1, "old": giver, "new": free[0],
    }  # fmt: skip
