"""Job entry point for the scheduler (Prefect flows call this; so does ``dutyflow notifications deliver``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from roster.storage import open_session


def deliver_due(now: dt.datetime, database_url: str | None = None) -> dict[str, Any]:
    """Send every outbox message due at ``now``; returns counts (claimed, sent, retrying, fallen_back, dead).

    Idempotent and safe to run from several workers at once: a message is claimed by one worker only.
    """
    from notifications.delivery import deliver

    with open_session(database_url) as session:
        return deliver(session, now)
