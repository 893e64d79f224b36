"""The one place roster changes made on the web console (publish, swap approval, leave re-plan) are announced.

The notices feature (issue 15) provides ``roster.notices.changes.notify_shift_changes(session, changes,
source, now, reason=...)``: one change notice per person whose duties moved, in the caller's transaction.
Until it is installed this does nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session


def announce_shift_changes(
    session: Session, moves: list[dict[str, Any]], source: str, now: dt.datetime, reason: str | None = None
) -> dict[str, Any] | None:
    """``moves``: [{uid, role, old, new}] seat moves already written in this transaction."""
    try:
        from roster.notices.changes import notify_shift_changes
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("roster.notices"):
            return None
        raise
    return notify_shift_changes(session, moves, source, now, reason=reason)
