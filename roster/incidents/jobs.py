"""Job entry points for the orchestration flows: each opens its own session, takes ``now``, is idempotent.

Imports stay inside the functions: ``roster.incidents.feature`` declares these jobs, and everything that
reads ``roster.features`` (the web app, every flow) imports this module, so it must cost nothing to import.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the summary is defined where it is computed
    from roster.incidents.escalation import IncidentTick


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
