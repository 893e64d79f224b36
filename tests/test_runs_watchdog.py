"""The watchdog's rule (roster/runs/watchdog.py), as a pure function of the runs' facts and ``now``."""

from __future__ import annotations

import datetime as dt

from roster.runs.watchdog import MISSED_HEARTBEATS, PENDING_LIMIT, RunFacts, last_sign_of_life, lost_runs

NOW = dt.datetime(2026, 11, 30, 5, 10, tzinfo=dt.UTC)
BEAT = dt.timedelta(seconds=30)
SILENCE = BEAT * MISSED_HEARTBEATS


def running(run_id: str, started_ago: dt.timedelta, beat_ago: dt.timedelta | None = None) -> RunFacts:
    beat = None if beat_ago is None else NOW - beat_ago
    return RunFacts(id=run_id, name=run_id, state="RUNNING", since=NOW - started_ago, last_heartbeat=beat)


def test_a_run_that_keeps_sending_heartbeats_is_never_lost_however_long_it_runs() -> None:
    long_run = running("long", started_ago=dt.timedelta(hours=3), beat_ago=dt.timedelta(seconds=31))
    assert lost_runs([long_run], NOW, BEAT) == []


def test_a_run_silent_for_three_intervals_is_lost_and_one_just_inside_is_not() -> None:
    silent = running("silent", started_ago=dt.timedelta(hours=1), beat_ago=SILENCE + dt.timedelta(seconds=1))
    late = running("late", started_ago=dt.timedelta(hours=1), beat_ago=SILENCE - dt.timedelta(seconds=1))
    [lost] = lost_runs([silent, late], NOW, BEAT)
    assert lost.id == "silent"
    assert "no heartbeat for 91 s" in lost.reason


def test_a_run_whose_first_heartbeat_never_arrived_is_judged_from_its_start() -> None:
    # The case Prefect's proactive automation misses: no heartbeat ever reached the server.
    just_started = running("young", started_ago=dt.timedelta(seconds=20))
    gone = running("gone", started_ago=dt.timedelta(minutes=2))
    assert [run.id for run in lost_runs([just_started, gone], NOW, BEAT)] == ["gone"]


def test_a_heartbeat_older_than_the_start_does_not_age_a_fresh_run() -> None:
    restarted = running("retry", started_ago=dt.timedelta(seconds=10), beat_ago=dt.timedelta(minutes=10))
    assert last_sign_of_life(restarted) == NOW - dt.timedelta(seconds=10)
    assert lost_runs([restarted], NOW, BEAT) == []


def test_a_claimed_run_that_never_started_is_lost_after_the_pending_limit() -> None:
    def pending(run_id: str, ago: dt.timedelta) -> RunFacts:
        return RunFacts(id=run_id, name=run_id, state="PENDING", since=NOW - ago)

    starting = pending("starting", PENDING_LIMIT - dt.timedelta(seconds=5))
    stuck = pending("stuck", PENDING_LIMIT + dt.timedelta(seconds=5))
    [lost] = lost_runs([starting, stuck], NOW, BEAT)
    assert lost.id == "stuck" and "never started" in lost.reason


def test_other_states_are_never_touched_and_the_lost_come_oldest_first() -> None:
    waiting = RunFacts(id="w", name="w", state="SCHEDULED", since=NOW - dt.timedelta(days=1))
    older = running("older", started_ago=dt.timedelta(hours=2))
    newer = running("newer", started_ago=dt.timedelta(hours=1))
    assert [run.id for run in lost_runs([newer, waiting, older], NOW, BEAT)] == ["older", "newer"]


def test_dutyflow_up_turns_heartbeats_on_for_its_flow_runs_unless_the_admin_chose() -> None:
    # Without heartbeats the watchdog judges nothing, and a flow process killed under `dutyflow up` would hold
    # its deployment's concurrency slot until the lease runs out.
    from pathlib import Path

    from roster.cli.up import child_environment

    default = child_environment({}, Path("/h"), Path("/h/prefect"), "sqlite:///x.db", 4200)
    chosen = child_environment({"PREFECT_FLOWS_HEARTBEAT_FREQUENCY": "60"}, Path("/h"), Path("/p"), "sqlite://", 4200)
    assert default["PREFECT_FLOWS_HEARTBEAT_FREQUENCY"] == "30"
    assert chosen["PREFECT_FLOWS_HEARTBEAT_FREQUENCY"] == "60"
