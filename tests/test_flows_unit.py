"""Flow plumbing without the Prefect engine: registry vs prefect.yaml, lazy job loading, retry policy."""

from __future__ import annotations

import datetime as dt
import importlib
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from sqlalchemy import exc as sa_exc
from typer.testing import CliRunner

from flows.registry import FLOWS, SCHEDULE_TIMEZONE, WORK_POOL, UnknownFlow, spec_named
from roster.cli import app

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# flows._jobs and flows.plan_roster import Prefect (1.2 s): they are imported inside the tests that need them,
# and the module runs on the worker that already has Prefect loaded for the engine tests.
pytestmark = pytest.mark.xdist_group("prefect-harness")


def test_every_job_in_the_brief_has_exactly_one_flow() -> None:
    assert sorted(s.job.name for s in FLOWS) == sorted(
        [
            "roster.planning.jobs.plan_ahead",
            "roster.inspections.jobs.assign_day",
            "roster.inspections.jobs.daily_report",
            "roster.reports.jobs.check_reports",
            "roster.incidents.jobs.check_incidents",
            "notifications.jobs.deliver_due",
            "roster.calendar.jobs.refresh_feeds",
            "roster.duty.jobs.send_rollcalls",
            "roster.duty.jobs.check_duty",
            "roster.notices.jobs.send_reminders",
            "roster.runs.jobs.reap_lost_runs",
        ]
    )
    for spec in FLOWS:
        module = importlib.import_module(spec.module)  # imports even while the job's feature is missing
        flow = spec.load()
        assert flow.name == spec.name
        assert spec.job == module.JOB
        assert "now" in flow.parameters.properties
        path, function = spec.entrypoint.split(":")
        assert (PROJECT_ROOT / path).is_file() and function == spec.function


def test_prefect_yaml_matches_the_registry() -> None:
    document = YAML(typ="safe").load((PROJECT_ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    deployments = {d["name"]: d for d in document["deployments"]}
    assert set(deployments) == {s.name for s in FLOWS}
    for spec in FLOWS:
        deployment = deployments[spec.name]
        assert deployment["entrypoint"] == spec.entrypoint
        assert deployment["schedules"] == [{"cron": spec.cron, "timezone": SCHEDULE_TIMEZONE, "active": True}]
        assert deployment["work_pool"]["name"] == WORK_POOL
        assert deployment["parameters"] == {"now": None, **spec.parameters}
        assert deployment.get("concurrency_limit") == spec.concurrency_limit
    pull = document["pull"]
    assert list(pull[0]) == ["prefect.deployments.steps.set_working_directory"]


def test_schedules_are_the_briefed_cadences() -> None:
    crons = {s.name: s.cron for s in FLOWS}
    assert crons["assign-inspections"] == "0 7 * * *"
    assert crons["check-reports"] == "*/5 * * * *"
    assert crons["deliver-notifications"] == "* * * * *"
    assert crons["refresh-feeds"] == "0 * * * *"
    assert crons["duty-rollcalls"] == "* * * * *"  # a roll call leaves in its drawn minute
    assert crons["duty-check"] == "*/5 * * * *"
    assert crons["send-reminders"] == "*/5 * * * *"
    assert crons["plan-roster"].split()[2:] == ["*", "*", "1"]  # weekly


def test_unknown_flow_names_the_known_ones() -> None:
    with pytest.raises(UnknownFlow) as info:
        spec_named("check-report")
    assert "check-reports" in str(info.value)


def test_every_flow_runs_a_job_its_feature_declares() -> None:
    from flows._jobs import resolve_now
    from roster.feature import Feature, FlowSpec, Job
    from roster.features import FEATURES

    assert {s.job for s in FLOWS} <= {job for feature in FEATURES for job in feature.jobs}
    stray = FlowSpec(name="x", job=Job(resolve_now), entrypoint="flows/x.py:x", cron="* * * * *", description="")
    with pytest.raises(ValueError, match=r"feature nosuch: flows \['x'\] run jobs the feature does not declare"):
        Feature(name="nosuch", flows=(stray,))


def test_prefect_yaml_is_generated_from_the_declared_flows() -> None:
    from flows.deployments import prefect_yaml

    assert (PROJECT_ROOT / "prefect.yaml").read_text(encoding="utf-8") == prefect_yaml()
    result = CliRunner().invoke(app, ["flows", "yaml"])
    assert result.exit_code == 0 and result.output == prefect_yaml()


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (sa_exc.OperationalError("SELECT 1", {}, Exception("database is locked")), True),
        (sa_exc.InterfaceError("SELECT 1", {}, Exception("connection closed")), True),
        (sa_exc.TimeoutError("QueuePool limit"), True),
        (ConnectionRefusedError(111, "refused"), True),
        (TimeoutError(), True),
        (sa_exc.IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed: shifts.uid")), True),
        (sa_exc.IntegrityError("INSERT", {}, Exception("FOREIGN KEY constraint failed")), False),
        (sa_exc.IntegrityError("INSERT", {}, Exception("NOT NULL constraint failed: shifts.uid")), False),
        (sa_exc.ProgrammingError("SELECT", {}, Exception("no such table")), False),
        (ValueError("bad data"), False),
        (RuntimeError("job x is not available"), False),
    ],
)
def test_only_transient_faults_are_retried(error: BaseException, transient: bool) -> None:
    from flows._jobs import is_transient

    assert is_transient(error) is transient


def test_postgres_unique_violation_is_a_lost_race_but_other_integrity_errors_are_not() -> None:
    from flows._jobs import is_transient

    class PgError(Exception):
        def __init__(self, sqlstate: str) -> None:
            super().__init__(sqlstate)
            self.sqlstate = sqlstate

    assert is_transient(sa_exc.IntegrityError("INSERT", {}, PgError("23505")))  # unique_violation
    assert not is_transient(sa_exc.IntegrityError("INSERT", {}, PgError("23503")))  # foreign_key_violation


def test_an_invalidated_connection_is_transient() -> None:
    from flows._jobs import is_transient

    error = sa_exc.DBAPIError("SELECT 1", {}, Exception("server closed the connection"), connection_invalidated=True)
    assert is_transient(error)


def test_now_defaults_to_the_clock_and_naive_means_utc() -> None:
    import pendulum

    from flows._jobs import resolve_now

    before = pendulum.now("UTC")
    assert before <= resolve_now(None) <= pendulum.now("UTC")
    assert resolve_now(dt.datetime(2026, 3, 2, 1, 0)) == pendulum.datetime(2026, 3, 2, 1, 0, tz="UTC")
    local = pendulum.datetime(2026, 3, 2, 9, 0, tz="Asia/Shanghai")
    assert resolve_now(local) == pendulum.datetime(2026, 3, 2, 1, 0, tz="UTC")
    assert resolve_now(local).timezone_name == "UTC"


@pytest.mark.parametrize(
    ("summary", "changed"),
    [
        ({"planned": False, "reason": "already planned"}, False),
        ({"planned": True, "created": 0, "changed": 0}, False),
        ({"planned": True, "created": 12, "changed": 0}, True),
        ({"planned": True, "created": 0, "changed": 3}, True),
        ({"changes": []}, False),
        ({"something": "else"}, True),  # cannot tell: refresh (idempotent) rather than leave feeds stale
    ],
)
def test_plan_changed(summary: dict, changed: bool) -> None:
    from flows.plan_roster import plan_changed

    assert plan_changed(summary) is changed


def test_cli_lists_flows_with_zone() -> None:
    result = CliRunner().invoke(app, ["flows", "list", "--json"])
    assert result.exit_code == 0, result.output
    assert '"timezone": "Asia/Shanghai"' in result.output and '"check-reports"' in result.output


def test_cli_run_rejects_unknown_flow_and_bad_now() -> None:
    result = CliRunner().invoke(app, ["flows", "run", "nope"])
    assert result.exit_code == 2 and "unknown flow 'nope'" in result.output
    result = CliRunner().invoke(app, ["flows", "run", "check-reports", "--now", "yesterday-ish"])
    assert result.exit_code == 2 and "--now" in result.output


def test_cli_run_rejects_unknown_or_malformed_params(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUTYFLOW_HOME", str(tmp_path))
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    result = CliRunner().invoke(app, ["flows", "run", "plan-roster", "-p", "weeks=2"])
    assert result.exit_code == 2 and "unknown parameter 'weeks'" in result.output and "days" in result.output
    result = CliRunner().invoke(app, ["flows", "run", "plan-roster", "-p", "days"])
    assert result.exit_code == 2 and "expected KEY=VALUE" in result.output


def test_cli_up_help_says_now_is_not_meaningful() -> None:
    result = CliRunner().invoke(app, ["up", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.replace("│", " ").split())
    assert "--now is not accepted" in text and "--prefect-port" in text and "--no-http" in text
