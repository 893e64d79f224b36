"""Request-scoped database sessions for route handlers."""

from __future__ import annotations

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
