"""Job entry point for the scheduler (the ``send-reminders`` flow): own session, ``now`` injected, idempotent."""

from __future__ import annotations

import datetime as dt
from typing import Any


def send_reminders(now: dt.datetime, database_url: str | None = None) -> dict[str, Any]:
    """Queue every duty reminder owed at ``now``; a repeated or concurrent run adds nothing."""
    from roster.admin.current import current_bureau
    from roster.notices.reminders import send_reminders as send
    from roster.storage import session_scope

    with session_scope(database_url) as session:
        return {"now": now.isoformat(), **send(session, current_bureau(session), now)}
