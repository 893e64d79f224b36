"""Job entry points for the orchestration flows: each opens its own session, takes ``now``, is idempotent."""

from __future__ import annotations

import datetime as dt
from typing import Any

from roster.storage import session_scope


def check_reports(now: dt.datetime, database_url: str | None = None) -> dict[str, Any]:
    """One escalation tick at ``now``: enqueue every reminder that is due and not yet written."""
    from roster.reports.escalation import check

    with session_scope(database_url) as session:
        return check(session, now)
