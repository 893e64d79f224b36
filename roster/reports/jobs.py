"""Job entry points for the orchestration flows: each opens its own session, takes ``now``, is idempotent."""

from __future__ import annotations

import datetime as dt
from typing import Any

from roster.storage import session_scope


def check_reports(now: dt.datetime, database_url: str | None = None) -> dict[str, Any]:
    """One escalation tick at ``now``: enqueue every reminder that is due and not yet written."""
    from notifications.urgent import hand_off, urgent_keys
    from roster.reports.escalation import check

    with session_scope(database_url) as session:
        summary = check(session, now)
        urgent = urgent_keys(session)
    handed = hand_off(urgent, now, database_url)  # after the commit: the rows exist for any worker
    if handed is not None:
        summary["delivered_at_once"] = handed.get("sent", 0)
    return summary
