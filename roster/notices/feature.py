"""The notices feature (duty reminders and shift-change notices), declared once: see roster/feature.py.

Change notices have no schedule: planning, swaps and the web console's approvals call
``roster.notices.changes.notify_shift_changes`` in their own transactions.
"""

from __future__ import annotations

from roster.feature import Feature, FlowSpec, Job
from roster.notices import jobs
from roster.notices.schema import SECTION

SEND_REMINDERS = Job(jobs.send_reminders)

FEATURE = Feature(
    name="notices",
    section=SECTION,
    jobs=(SEND_REMINDERS,),
    flows=(
        FlowSpec(
            name="send-reminders",
            job=SEND_REMINDERS,
            entrypoint="flows/send_reminders.py:send_reminders",
            # Reminders are owed from their due time until the next one: a 5-minute tick keeps them
            # punctual, and a missed tick only delays them (docs/notifications.md).
            cron="*/5 * * * *",
            description="Queue duty reminders: the day before each shift and before its handover.",
        ),
    ),
)
