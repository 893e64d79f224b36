"""Request-scoped database sessions and the clock for route handlers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from fastapi import Request
from sqlalchemy.orm import Session

from roster.storage import open_session


def db_session(request: Request) -> Iterator[Session]:
    session = open_session(request.app.state.database_url)
    try:
        yield session
    finally:
        session.close()


def clock_now(request: Request) -> dt.datetime:
    """``app.state.clock()`` when a test or a replay set one, else the real time (UTC)."""
    clock = getattr(request.app.state, "clock", None)
    return clock() if clock is not None else dt.datetime.now(dt.UTC)
