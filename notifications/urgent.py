"""Urgent messages reach their person in seconds, not at the next delivery tick.

A job that writes escalations (missed reports, check-ins, roll calls, handovers, incident clocks) hands the
urgent rows it added to delivery as soon as its transaction has committed, in the same process. The outbox
row stays the source of truth: the hand-off claims the row with a lease exactly as the scheduled delivery
does, so a message is sent once whichever gets it first, and a hand-off that fails or dies leaves the row to
the every-minute ``deliver-notifications`` run, the safety net.

``DUTYFLOW_URGENT_HANDOFF=0`` turns the hand-off off (messages then wait for the scheduled delivery).
"""

from __future__ import annotations

import datetime as dt
import logging
import os

from sqlalchemy.orm import Session

from notifications.delivery import DeliverySummary
from notifications.outbox import ADDED_KEYS

log = logging.getLogger(__name__)

# Sources whose messages are time-critical: someone must act within minutes.
URGENT_SOURCES = frozenset({"escalation", "checkin", "rollcall", "handover", "incident"})


def enabled(env: dict[str, str] | None = None) -> bool:
    value = (env if env is not None else os.environ).get("DUTYFLOW_URGENT_HANDOFF", "1")
    return value.strip().lower() not in ("0", "false", "no", "off")


def urgent_keys(session: Session) -> list[str]:
    """The dedup keys of urgent messages this session added (read them before the session closes)."""
    added: dict[str, str] = session.info.get(ADDED_KEYS, {})
    return sorted(key for key, source in added.items() if source in URGENT_SOURCES)


def hand_off(keys: list[str], now: dt.datetime, database_url: str | None = None) -> DeliverySummary | None:
    """Deliver the committed urgent messages ``keys`` now; None when there is nothing to do or it is off.

    Never raises: a failure here only means the scheduled delivery sends them a minute later.
    """
    if not keys or not enabled():
        return None
    from notifications.delivery import deliver
    from roster.storage import open_session

    # Sending happens now, whatever instant the tick replayed: leases and attempts are stamped on the real
    # clock, as the scheduled delivery's are (a lease stamped in a replayed past would look expired to every
    # other worker, which would send the message again).
    at = max(now, dt.datetime.now(dt.UTC))
    try:
        with open_session(database_url) as session:
            return deliver(session, at, keys=keys)
    except Exception:  # noqa: BLE001 - the safety net (scheduled delivery) takes over
        log.warning("urgent hand-off of %d message(s) failed; scheduled delivery will send them", len(keys))
        log.debug("hand-off failure", exc_info=True)
        return None
