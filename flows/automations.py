"""Prefect automations that clean up after a lost machine, declared here and applied by
``dutyflow flows setup`` (idempotent: each is replaced by name).

A flow run whose machine dies stops sending heartbeats (``PREFECT_FLOWS_HEARTBEAT_FREQUENCY``, set on every
worker) but stays *Running* for good, holding its deployment's concurrency slot. Prefect's own remedy
(docs: "detect zombie flows") is a proactive automation: after a heartbeat, expect another heartbeat or a
terminal state within a few intervals, otherwise mark the run Crashed, which frees the slot. A run claimed
by a worker that died before starting it stays *Pending*; the second automation crashes those as well.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass

HEARTBEAT_SECONDS = 30  # PREFECT_FLOWS_HEARTBEAT_FREQUENCY on every worker (Prefect requires ≥ 30)
MISSED_HEARTBEATS = 3  # a run is a zombie after this many intervals without a heartbeat
PENDING_LIMIT = dt.timedelta(minutes=3)  # a claimed run must start within this (worker start-up + pull)

TERMINAL_EVENTS = (
    "prefect.flow-run.Completed",
    "prefect.flow-run.Failed",
    "prefect.flow-run.Cancelled",
    "prefect.flow-run.Crashed",
)


@dataclass(frozen=True)
class AutomationSpec:
    name: str
    after: str
    expect: tuple[str, ...]
    within: dt.timedelta
    message: str


AUTOMATIONS: tuple[AutomationSpec, ...] = (
    AutomationSpec(
        name="dutyflow: crash runs that stopped sending heartbeats",
        after="prefect.flow-run.heartbeat",
        expect=("prefect.flow-run.heartbeat", *TERMINAL_EVENTS),
        within=dt.timedelta(seconds=HEARTBEAT_SECONDS * MISSED_HEARTBEATS),
        message="No heartbeat: the machine or process running this flow was lost (dutyflow automation).",
    ),
    AutomationSpec(
        name="dutyflow: crash runs that never started",
        after="prefect.flow-run.Pending",
        expect=("prefect.flow-run.Running", *TERMINAL_EVENTS),
        within=PENDING_LIMIT,
        message="Claimed but never started: the worker that took this run was lost (dutyflow automation).",
    ),
)


def build(spec: AutomationSpec):  # noqa: ANN201 - prefect.automations.Automation (imported lazily)
    from prefect.automations import Automation
    from prefect.client.schemas.objects import StateType
    from prefect.events.actions import ChangeFlowRunState
    from prefect.events.schemas.automations import EventTrigger, Posture
    from prefect.events.schemas.events import ResourceSpecification

    return Automation(
        name=spec.name,
        description=spec.message,
        trigger=EventTrigger(
            after={spec.after},
            expect=set(spec.expect),
            match=ResourceSpecification({"prefect.resource.id": ["prefect.flow-run.*"]}),
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=spec.within,
        ),
        actions=[ChangeFlowRunState(state=StateType.CRASHED, message=spec.message)],
    )


def apply_automations() -> list[str]:
    """Create (or replace) every automation above on ``$PREFECT_API_URL``; returns their names."""
    from prefect.automations import Automation

    names = []
    for spec in AUTOMATIONS:
        with contextlib.suppress(ValueError):  # ValueError: not there yet
            Automation.read(name=spec.name).delete()
        build(spec).create()
        names.append(spec.name)
    return names
