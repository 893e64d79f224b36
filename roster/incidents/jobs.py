"""Job entry points for the orchestration flows: each opens its own session, takes ``now``, is idempotent."""

from __future__ import annotations

import datetime as dt

from roster.incidents.escalation import CheckSummary
from roster.storage import session_scope


def check_incidents(now: dt.datetime, database_url: str | None = None) -> CheckSummary:
    """One incident tick at ``now``: alert every reporting clock that is due and not yet alerted."""
    from notifications.urgent import hand_off, urgent_keys
    from roster.incidents.escalation import check

    with session_scope(database_url) as session:
        summary = check(session, now)
        urgent = urgent_keys(session)
    hand_off(urgent, now, database_url)  # after the commit: alerts reach people in seconds, not a minute
    return summary
