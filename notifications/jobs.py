"""Job entry point for the scheduler (Prefect flows call this; so does ``dutyflow notifications deliver``).

Imports stay inside the function: ``notifications.feature`` declares this job and must cost nothing to import.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the summary is defined where it is computed
    from notifications.delivery import DeliverySummary


def deliver_due(now: dt.datetime, database_url: str | None = None) -> DeliverySummary:
    """Send every outbox message due at ``now``; returns counts (claimed, sent, retrying, fallen_back, dead).

    Idempotent and safe to run from several workers at once: a message is claimed by one worker only.
    """
    from notifications.delivery import deliver
    from roster.storage import open_session

    with open_session(database_url) as session:
        return deliver(session, now)
