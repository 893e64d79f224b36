"""What runs when: one entry per flow, shared by ``dutyflow up``, ``dutyflow flows run`` and the tests.

This module imports nothing heavy (no Prefect), so the CLI can list flows and validate names quickly.
``prefect.yaml`` repeats these schedules for ``prefect deploy --all``; a test keeps the two in step.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prefect import Flow

# Cron expressions below are bureau-local wall-clock times: Prefect evaluates them in this zone, so
# "07:00" stays 07:00 in Chuxiong whatever the server's own zone is.
SCHEDULE_TIMEZONE = "Asia/Shanghai"
WORK_POOL = "dutyflow-process"


@dataclass(frozen=True)
class FlowSpec:
    name: str  # flow name, deployment name and CLI name (kebab-case)
    module: str  # e.g. "flows.plan_roster"
    function: str  # the @flow function in that module
    job: str  # the domain entry point the flow wraps, "package.module.function"
    cron: str  # in SCHEDULE_TIMEZONE
    description: str
    parameters: dict[str, Any] = field(default_factory=dict)  # deployment defaults besides `now`
    concurrency_limit: int | None = None  # at most this many runs of the deployment at once (None: no limit)

    @property
    def entrypoint(self) -> str:
        """Prefect's ``path/to/file.py:function`` form, relative to the project root."""
        return f"{self.module.replace('.', '/')}.py:{self.function}"

    def load(self) -> Flow:
        return getattr(importlib.import_module(self.module), self.function)


FLOWS: tuple[FlowSpec, ...] = (
    FlowSpec(
        name="plan-roster",
        module="flows.plan_roster",
        function="plan_roster",
        job="roster.planning.jobs.plan_ahead",
        # Monday 09:00: after the 08:30 handover, in office hours, so people see changes while at work.
        cron="0 9 * * 1",
        description="Plan the duty roster ahead (rolling horizon); republish calendars if anything changed.",
        parameters={"days": 56},
        # The solver is CPU-heavy and a second overlapping plan would only find the first one's work.
        concurrency_limit=1,
    ),
    FlowSpec(
        name="assign-inspections",
        module="flows.assign_inspections",
        function="assign_inspections",
        job="roster.inspections.jobs.assign_day",
        cron="0 7 * * *",
        description="Assign today's inspections of regulated sites to the six work groups.",
    ),
    FlowSpec(
        name="check-reports",
        module="flows.check_reports",
        function="check_reports",
        job="roster.reports.jobs.check_reports",
        cron="*/5 * * * *",
        description="Find missed daily / zero reports and escalate them through the outbox.",
    ),
    FlowSpec(
        name="check-incidents",
        module="flows.check_incidents",
        function="check_incidents",
        job="roster.incidents.jobs.check_incidents",
        cron="*/5 * * * *",
        description="Run the incident reporting clocks (首报, 续报, 终报) and alert the overdue ones.",
    ),
    FlowSpec(
        name="deliver-notifications",
        module="flows.deliver_notifications",
        function="deliver_notifications",
        job="notifications.jobs.deliver_due",
        cron="* * * * *",
        description="Deliver due outbox messages to their channels (with retries and backoff).",
    ),
    FlowSpec(
        name="refresh-feeds",
        module="flows.refresh_feeds",
        function="refresh_feeds",
        job="roster.calendar.jobs.refresh_feeds",
        # Also triggered by plan-roster whenever a plan changed something; hourly is the safety net.
        cron="0 * * * *",
        description="Publish calendars: refresh the cached .ics feeds after roster changes.",
    ),
    FlowSpec(
        name="daily-report",
        module="flows.daily_report",
        function="daily_report",
        job="roster.inspections.jobs.daily_report",
        cron="30 17 * * *",
        description="Generate the bureau's daily report (inspections and statistics of the day).",
    ),
)

BY_NAME: dict[str, FlowSpec] = {spec.name: spec for spec in FLOWS}


class UnknownFlow(KeyError):
    def __str__(self) -> str:
        return f"unknown flow {self.args[0]!r}; known flows: {', '.join(BY_NAME)}"


def spec_named(name: str) -> FlowSpec:
    try:
        return BY_NAME[name]
    except KeyError:
        raise UnknownFlow(name) from None
