"""Calendar feed tokens (only their hash is stored) and the cache of rendered feeds."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from roster.storage.base import Base


class CalendarToken(Base):
    """A secret feed URL. The token itself is shown once at issue; only its SHA-256 is kept."""

    __tablename__ = "calendar_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    owner_kind: Mapped[str] = mapped_column(String(16))  # "person", "group", "role" or "all"
    owner_id: Mapped[str | None] = mapped_column(String(64))  # None for "all"
    created_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]
    last_access_at: Mapped[dt.datetime | None]

    @property
    def owner(self) -> str:
        return "all" if self.owner_kind == "all" else f"{self.owner_kind}:{self.owner_id}"


class CalendarFeedCache(Base):
    """The newest rendering of one owner's feed, valid while ``cache_key`` matches the roster's state."""

    __tablename__ = "calendar_feed_cache"

    owner: Mapped[str] = mapped_column(String(100), primary_key=True)  # "person:p01", "group:parks", "all"
    cache_key: Mapped[str] = mapped_column(String(64))
    etag: Mapped[str] = mapped_column(String(80))
    last_modified: Mapped[dt.datetime]
    rendered_at: Mapped[dt.datetime]
    body: Mapped[bytes] = mapped_column(LargeBinary)


class CalendarExport(Base):
    """What the last ``calendar export`` of an owner carried (migration 0015_notify_exports): the next export
    cancels, with a higher SEQUENCE, the events that are gone since, so re-importing its file removes them."""

    __tablename__ = "calendar_exports"

    owner: Mapped[str] = mapped_column(String(100), primary_key=True)  # "person:p01", "group:parks", "all"
    exported_at: Mapped[dt.datetime]
    # shift uid -> {"seq", "start", "end", "date", "summary", "cancelled"} (instants as UTC ISO 8601)
    events: Mapped[dict[str, Any]] = mapped_column(default=dict)
