"""Job entry points for the flows: each opens its own session, takes ``now``, is idempotent and safe to run
twice at once, and returns a typed summary. Only the stdlib at the top: the ORM is imported when a
job runs (``roster.features`` imports every feature's declaration, and with it this module)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the summary is defined where it is computed
    from roster.duty.check import DutyCheckSummary


def _plain(now: dt.datetime) -> dt.datetime:
    return dt.datetime.fromtimestamp(now.timestamp(), tz=dt.UTC)


def send_rollcalls(now: dt.datetime, database_url: str | None = None) -> DutyCheckSummary:
    """Every minute: store the drawn roll-call times around ``now`` and send those whose time has come."""
    from roster.duty.check import check
    from roster.storage import session_scope

    with session_scope(database_url) as session:
        return check(session, _plain(now), rollcalls=True, escalations=False)


def check_duty(now: dt.datetime, database_url: str | None = None) -> DutyCheckSummary:
    """Every few minutes: missed check-ins, unanswered roll calls and open handovers → the outbox (roll
    calls due are sent too, so one tick is complete on its own)."""
    from roster.duty.check import check
    from roster.storage import session_scope

    with session_scope(database_url) as session:
        return check(session, _plain(now))
