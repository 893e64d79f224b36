"""Job entry points for the orchestration flows: each opens its own session, takes ``now``, is idempotent.

Imports stay inside the functions: ``roster.reports.feature`` declares these jobs, and everything that
reads ``roster.features`` (the web app, every flow) imports this module, so it must cost nothing to import.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the summary is defined where it is computed
    from roster.reports.escalation import EscalationTick


def check_reports(now: dt.datetime, database_url: str | None = None) -> EscalationTick:
    """One escalation tick at ``now``: enqueue every reminder that is due and not yet written."""
    from notifications.urgent import hand_off, urgent_keys
    from roster.reports.escalation import check
    from roster.storage import session_scope

    with session_scope(database_url) as session:
        summary = check(session, now)
        urgent = urgent_keys(session)
    handed = hand_off(urgent, now, database_url)  # after the commit: the rows exist for any worker
    if handed is None:
        return summary
    return dataclasses.replace(summary, delivered_at_once=handed.sent)
