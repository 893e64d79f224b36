"""Job entry points for the orchestration flows: each opens its own session, takes ``now``, is idempotent.

Imports stay inside the functions: ``roster.incidents.feature`` declares these jobs and the admin schema reads
every feature's declaration, so this module must cost nothing to import.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from roster.feature import JobSummary


@dataclass(frozen=True)
class IncidentTick(JobSummary):
    """What one incident tick found and wrote."""

    now: dt.datetime
    incidents_checked: int  # incidents not yet closed, received by ``now``
    clocks_open: int  # reporting clocks still running (phone, 首报, 续报N, 终报)
    clocks_overdue: int  # of those, past their deadline
    messages_enqueued: int  # alert messages written to the outbox now (repeats under one key not counted)
    events_recorded: int  # alert rows added to the incidents' timelines


def check_incidents(now: dt.datetime, database_url: str | None = None) -> IncidentTick:
    """One incident tick at ``now``: alert every reporting clock that is due and not yet alerted."""
    from notifications.urgent import hand_off, urgent_keys
    from roster.incidents.escalation import check
    from roster.storage import session_scope

    with session_scope(database_url) as session:
        summary = check(session, now)
        urgent = urgent_keys(session)
    hand_off(urgent, now, database_url)  # after the commit: alerts reach people in seconds, not a minute
    return summary
