"""Job entry points for the flows: each opens its own session, takes ``now``, is idempotent and safe to run
twice at once, and returns a typed summary. Only the stdlib and ``roster.feature`` at the top: the ORM is
imported when a job runs (the admin schema imports every feature's declaration, and with it this module)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from roster.feature import JobSummary


@dataclass(frozen=True)
class DutyCheckSummary(JobSummary):
    now: str  # the instant of the tick (UTC, ISO 8601)
    skipped: str | None = None  # why nothing was done (no duty: section in force), else None
    rollcalls_scheduled: int = 0  # roll calls drawn and stored for the first time by this tick
    rollcalls_sent: int = 0  # roll calls whose time had come and that this tick sent
    missed_checkins: int = 0  # seats past grace without a check-in (alerted now or before)
    unanswered_rollcalls: int = 0  # roll-call targets past their window without an answer
    open_handovers: int = 0  # handovers still incomplete after escalate_after
    messages_enqueued: int = 0  # outbox rows this tick wrote (0 when repeated)


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
