"""Storage: SQLAlchemy 2 typed models and the engine/session helpers.

Models live one module per concern under ``roster.storage.models`` (importing that package registers all of
them on ``Base.metadata``). The names below are loaded on first use, so that ``roster.storage.plain`` (the
fast read paths' plain DB-API access) and ``roster.storage.migrate``'s head check import no SQLAlchemy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from roster.storage.base import Base, UTCDateTime
    from roster.storage.db import get_engine, open_session, reset_engines, session_scope

__all__ = ["Base", "UTCDateTime", "get_engine", "open_session", "reset_engines", "session_scope"]


def __getattr__(name: str) -> Any:
    if name in ("Base", "UTCDateTime"):
        from roster.storage.base import Base, UTCDateTime

        found: dict[str, Any] = {"Base": Base, "UTCDateTime": UTCDateTime}
    elif name in ("get_engine", "open_session", "reset_engines", "session_scope"):
        from roster.storage.db import get_engine, open_session, reset_engines, session_scope

        found = {
            "get_engine": get_engine,
            "open_session": open_session,
            "reset_engines": reset_engines,
            "session_scope": session_scope,
        }
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals().update(found)  # later look-ups are plain attribute reads
    return found[name]
