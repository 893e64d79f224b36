"""Storage: SQLAlchemy 2 typed models and the engine/session helpers.

Models live one module per concern under ``roster.storage.models``; importing this package registers all
of them on ``Base.metadata``.
"""

from roster.storage.base import Base, UTCDateTime
from roster.storage.db import get_engine, open_session, reset_engines, session_scope

__all__ = ["Base", "UTCDateTime", "get_engine", "open_session", "reset_engines", "session_scope"]
