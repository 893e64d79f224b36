"""The notifications feature (the outbox and its delivery), declared once: see roster/feature.py."""

from __future__ import annotations

from notifications import jobs
from roster.feature import Feature, FlowSpec, Job

DELIVER_DUE = Job(jobs.deliver_due)

FEATURE = Feature(
    name="notifications",
    jobs=(DELIVER_DUE,),
    flows=(
        FlowSpec(
            name="deliver-notifications",
            job=DELIVER_DUE,
            entrypoint="flows/deliver_notifications.py:deliver_notifications",
            cron="* * * * *",
            description="Deliver due outbox messages to their channels (with retries and backoff).",
        ),
    ),
)
