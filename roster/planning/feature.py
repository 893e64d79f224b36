"""The roster planning feature (the CP-SAT duty roster, rolling horizon), declared once.

Its admin-file sections (people, groups, rules, fairness, holidays ...) are the core of ``BureauFile``.
"""

from __future__ import annotations

from roster.feature import Feature, FlowSpec, Job
from roster.planning import jobs

PLAN_AHEAD = Job(jobs.plan_ahead)

FEATURE = Feature(
    name="planning",
    jobs=(PLAN_AHEAD,),
    flows=(
        FlowSpec(
            name="plan-roster",
            job=PLAN_AHEAD,
            entrypoint="flows/plan_roster.py:plan_roster",
            # Monday 09:00: after the 08:30 handover, in office hours, so people see changes while at work.
            cron="0 9 * * 1",
            description="Plan the duty roster ahead (rolling horizon); republish calendars if anything changed.",
            parameters={"days": 56},
            # The solver is CPU-heavy and a second overlapping plan would only find the first one's work.
            concurrency_limit=1,
        ),
    ),
)
