"""Job entry point for the scheduler (the ``send-reminders`` flow): own session, ``now`` injected, idempotent.

Imports stay inside the function: ``roster.notices.feature`` declares this job, and everything that reads
``roster.features`` (the web app, every flow) imports this module, so it must cost nothing to import.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from roster.feature import JobSummary


@dataclass(frozen=True)
class RemindersSummary(JobSummary):
    """What one reminder run did."""

    now: dt.datetime
    due: int  # reminders owed at ``now`` (to reachable and unreachable people)
    enqueued: int  # outbox rows this run wrote
    already_sent: int  # owed, but queued by an earlier (or a concurrent) run
    unreachable: tuple[str, ...] = ()  # people owed a reminder who have no channel


def send_reminders(now: dt.datetime, database_url: str | None = None) -> RemindersSummary:
    """Queue every duty reminder owed at ``now``; a repeated or concurrent run adds nothing."""
    from roster.admin.current import current_bureau
    from roster.notices.reminders import send_reminders as send
    from roster.storage import session_scope

    with session_scope(database_url) as session:
        counts = send(session, current_bureau(session), now)
    return RemindersSummary(now, counts["due"], counts["enqueued"], counts["already_sent"],
                            tuple(counts["unreachable"]))  # fmt: skip
