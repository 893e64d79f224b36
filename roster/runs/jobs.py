"""``reap_lost_runs``: gather dutyflow's unfinished Prefect runs and their heartbeats, decide
(``watchdog.lost_runs``), and mark the lost ones Crashed.

Runs on every worker's schedule (the ``reap-lost-runs`` flow), so a surviving worker cleans up after a lost
one. Setting *Crashed* is a compare-and-set: Prefect refuses it for a run that finished meanwhile, and a
second watchdog running at the same moment finds the run already Crashed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from roster.feature import RUN_TAG, JobSummary
from roster.runs.watchdog import MISSED_HEARTBEATS, LostRun, RunFacts, lost_runs

if TYPE_CHECKING:
    from prefect.client.orchestration import SyncPrefectClient

HEARTBEAT_EVENT = "prefect.flow-run.heartbeat"
PAGE = 200  # flow runs read per request
IDS_PER_QUERY = 10  # runs per heartbeat query: ≤ 4 heartbeats each in the window, within one 50-event page


@dataclass(frozen=True)
class ReapSummary(JobSummary):
    watched: int  # unfinished deployment runs looked at
    crashed: list[str]  # ids of the runs marked Crashed now
    finished_meanwhile: int = 0  # lost by the rule, but Prefect refused: they finished (or were crashed) first
    skipped: str | None = None  # why nothing was looked at (heartbeats are off in this process)


def reap_lost_runs(now: dt.datetime, database_url: str | None = None) -> ReapSummary:
    """Mark Crashed the runs a lost machine left Running or Pending (``database_url`` is unused: this job
    reads and writes Prefect's state, not the bureau's)."""
    from prefect.client.orchestration import get_client
    from prefect.settings import get_current_settings

    seconds = get_current_settings().flows.heartbeat_frequency
    if not seconds:
        # Without heartbeats a long healthy run looks the same as a lost one: judge nothing.
        return ReapSummary(watched=0, crashed=[], skipped="PREFECT_FLOWS_HEARTBEAT_FREQUENCY is not set")
    heartbeat = dt.timedelta(seconds=seconds)
    with get_client(sync_client=True) as client:
        runs = _unfinished_runs(client)
        beats = _last_heartbeats(client, [run.id for run in runs], now - heartbeat * (MISSED_HEARTBEATS + 1))
        facts = [_facts(run, beats.get(str(run.id))) for run in runs]
        lost = lost_runs(facts, now, heartbeat)
        crashed = [run.id for run in lost if _crash(client, run)]
    return ReapSummary(watched=len(facts), crashed=crashed, finished_meanwhile=len(lost) - len(crashed))


def _unfinished_runs(client: SyncPrefectClient) -> list[Any]:
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterDeploymentId,
        FlowRunFilterState,
        FlowRunFilterStateType,
        FlowRunFilterTags,
    )
    from prefect.client.schemas.objects import StateType

    # dutyflow's deployments only: their runs are on workers, which send heartbeats. An ad-hoc run in some
    # process (`dutyflow flows run`) may not, nor may the runs of others on a shared Prefect server.
    wanted = FlowRunFilter(
        state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.RUNNING, StateType.PENDING])),
        deployment_id=FlowRunFilterDeploymentId(is_null_=False),
        tags=FlowRunFilterTags(all_=[RUN_TAG]),
    )
    runs: list[Any] = []
    while batch := client.read_flow_runs(flow_run_filter=wanted, limit=PAGE, offset=len(runs)):
        runs.extend(batch)
        if len(batch) < PAGE:
            break
    return runs


def _last_heartbeats(client: SyncPrefectClient, run_ids: list[Any], since: dt.datetime) -> dict[str, dt.datetime]:
    """The newest heartbeat received since ``since`` from each of the runs, by run id."""
    from prefect.events.filters import EventFilter, EventNameFilter, EventOccurredFilter, EventResourceFilter

    newest: dict[str, dt.datetime] = {}
    for start in range(0, len(run_ids), IDS_PER_QUERY):
        ids = [f"prefect.flow-run.{run_id}" for run_id in run_ids[start : start + IDS_PER_QUERY]]
        query = EventFilter(
            occurred=EventOccurredFilter(since=since),
            event=EventNameFilter(name=[HEARTBEAT_EVENT]),
            resource=EventResourceFilter(id=ids),
        )
        page = client.read_events(filter=query, limit=50)
        while True:
            for event in page.events:
                run_id = event.resource.id.removeprefix("prefect.flow-run.")
                newest[run_id] = max(newest.get(run_id, event.occurred), event.occurred)
            if not page.next_page:
                break
            page = client.read_events_page(page.next_page)
    return newest


def _facts(run: Any, last_heartbeat: dt.datetime | None) -> RunFacts:
    state = run.state.type.value
    since = run.start_time if state == "RUNNING" and run.start_time else run.state.timestamp
    return RunFacts(id=str(run.id), name=run.name, state=state, since=since, last_heartbeat=last_heartbeat)


def _crash(client: SyncPrefectClient, run: LostRun) -> bool:
    """Propose *Crashed*; False when Prefect refuses it because the run reached a final state first."""
    from prefect.states import Crashed

    result = client.set_flow_run_state(run.id, state=Crashed(message=f"dutyflow watchdog: {run.reason}"))
    return result.status.value == "ACCEPT"
