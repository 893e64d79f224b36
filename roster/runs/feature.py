"""The runs feature (the watchdog over dutyflow's own flow runs), declared once: see roster/feature.py."""

from __future__ import annotations

from roster.feature import Feature, FlowSpec, Job
from roster.runs import jobs

REAP_LOST_RUNS = Job(jobs.reap_lost_runs)

FEATURE = Feature(
    name="runs",
    jobs=(REAP_LOST_RUNS,),
    flows=(
        FlowSpec(
            name="reap-lost-runs",
            job=REAP_LOST_RUNS,
            entrypoint="flows/reap_lost_runs.py:reap_lost_runs",
            cron="* * * * *",
            description="Mark Crashed the runs a lost machine left Running or Pending (silent for 3 heartbeats).",
        ),
    ),
)
