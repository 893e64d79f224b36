"""Login throttling over a sliding window, per account and per client address.

The decision is a pure function of the stored failure times; failures are rows, so every replica agrees and
a restart forgets nothing. A successful login clears the account's failures (not the address's).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from roster.storage.models.accounts import LoginFailure

WINDOW = dt.timedelta(minutes=15)
LIMITS = {"account": 5, "address": 20}  # failures inside WINDOW before further attempts wait


@dataclass(frozen=True)
class Throttled:
    scope: str  # "account" or "address"
    retry_after: int  # seconds


def retry_after(failures: list[dt.datetime], now: dt.datetime, limit: int, window: dt.timedelta) -> int | None:
    """Seconds to wait before the next attempt, or None when one is allowed now.

    With ``limit`` failures inside the window, the next attempt is allowed once the oldest of the newest
    ``limit`` failures has left the window."""
    recent = sorted(t for t in failures if now - t < window)
    if len(recent) < limit:
        return None
    free_at = recent[-limit] + window
    return max(1, math.ceil((free_at - now).total_seconds()))


def check(session: Session, account_key: str, address: str, now: dt.datetime) -> Throttled | None:
    for scope, key in (("account", account_key), ("address", address)):
        times = session.scalars(
            select(LoginFailure.at).where(
                LoginFailure.scope == scope, LoginFailure.key == key, LoginFailure.at > now - WINDOW
            )
        ).all()
        wait = retry_after(list(times), now, LIMITS[scope], WINDOW)
        if wait is not None:
            return Throttled(scope, wait)
    return None


def record_failure(session: Session, account_key: str, address: str, now: dt.datetime) -> None:
    for scope, key in (("account", account_key), ("address", address)):
        session.add(LoginFailure(scope=scope, key=key[:128], at=now))
        # Old rows say nothing any more: keep the table as small as the window.
        session.execute(
            delete(LoginFailure).where(
                LoginFailure.scope == scope, LoginFailure.key == key[:128], LoginFailure.at < now - WINDOW
            )
        )


def clear_account(session: Session, account_key: str) -> None:
    session.execute(delete(LoginFailure).where(LoginFailure.scope == "account", LoginFailure.key == account_key))
