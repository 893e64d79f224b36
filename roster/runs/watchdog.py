"""Which flow runs a lost machine left behind: a pure decision over facts read from Prefect beforehand.

A worker machine that dies takes its flow processes with it and tells nobody: their runs stay *Running* (or
*Pending*, when the worker had claimed a run but not started it) for good, holding their deployments'
concurrency slots. Flow processes on workers send a heartbeat event every ``PREFECT_FLOWS_HEARTBEAT_FREQUENCY``
seconds, so silence is the sign of loss.

Why not Prefect's own proactive automation ("after a heartbeat, expect another within N")? It starts from a
heartbeat that reached the server, and a process lost within seconds of starting may never deliver one (seen
in ``make test-scale``: killed 17 s after it started, no heartbeat ever arrived); and with Redis causal
ordering the state events of scheduled runs are held for up to 15 minutes (the scheduler emits no
*Scheduled* event for them to follow), so it fired for every finished cron run. This rule needs neither.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

MISSED_HEARTBEATS = 3  # silence for this many heartbeat intervals: the process is gone (one late one is fine)
PENDING_LIMIT = dt.timedelta(minutes=3)  # a claimed run must start within this (worker start-up, pull steps)


@dataclass(frozen=True)
class RunFacts:
    """One unfinished run of a deployment, as Prefect reports it."""

    id: str
    name: str
    state: str  # "RUNNING" or "PENDING"
    since: dt.datetime  # when it entered that state (Running: its start time)
    last_heartbeat: dt.datetime | None = None  # the newest heartbeat event Prefect received from it


@dataclass(frozen=True)
class LostRun:
    id: str
    name: str
    reason: str


def last_sign_of_life(run: RunFacts) -> dt.datetime:
    """Its newest heartbeat, or the moment it started, whichever is later (the first heartbeat may be lost)."""
    if run.last_heartbeat is None:
        return run.since
    return max(run.since, run.last_heartbeat)


def is_lost(run: RunFacts, now: dt.datetime, heartbeat: dt.timedelta) -> bool:
    if run.state == "PENDING":
        return now - run.since > PENDING_LIMIT
    return now - last_sign_of_life(run) > heartbeat * MISSED_HEARTBEATS


def lost_runs(runs: Iterable[RunFacts], now: dt.datetime, heartbeat: dt.timedelta) -> list[LostRun]:
    """The runs to mark Crashed at ``now``, oldest first.

    Rule: a *Running* run is lost when nothing was heard of it (heartbeat, or else its start) for
    ``MISSED_HEARTBEATS`` heartbeat intervals; a *Pending* run when it was claimed over ``PENDING_LIMIT`` ago.
    Other states are never touched (Scheduled runs wait for a worker; a slot's waiters are Scheduled too).
    """
    found = [run for run in runs if run.state in ("RUNNING", "PENDING") and is_lost(run, now, heartbeat)]
    found.sort(key=lambda run: (run.since, run.id))
    return [LostRun(run.id, run.name, _reason(run, now)) for run in found]


def _reason(run: RunFacts, now: dt.datetime) -> str:
    if run.state == "PENDING":
        return f"claimed {int((now - run.since).total_seconds())} s ago and never started: its worker was lost"
    silent = int((now - last_sign_of_life(run)).total_seconds())
    return f"no heartbeat for {silent} s: the machine or process running it was lost"
