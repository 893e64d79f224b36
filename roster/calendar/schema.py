"""The ``calendar:`` section of the admin file: how subscribed duty calendars look and how often they refresh.

Every field has a default, so the section (or the whole ``calendar:`` key) may be left out.
"""

from __future__ import annotations

from pydantic import Field, field_validator

from roster.admin.base import StrictModel
from roster.feature import Section


class CalendarSection(StrictModel):
    # Public address of the feed server as subscribers reach it (behind the reverse proxy); token URLs are
    # printed as ``{base_url}/calendars/{token}.ics``.
    base_url: str = "http://127.0.0.1:8080"
    # How often calendar apps should re-read the feed (REFRESH-INTERVAL and X-PUBLISHED-TTL). Google ignores
    # it (it polls every few hours at best); Apple, Outlook and Thunderbird honour it.
    refresh_minutes: int = Field(default=60, ge=5, le=7 * 24 * 60)
    # The window of shifts a feed carries, in bureau-local days around today.
    past_days: int = Field(default=30, ge=0, le=366)
    future_days: int = Field(default=90, ge=1, le=3 * 366)
    # Calendar name shown in the subscriber's app; default "<bureau name> 值班表" / "<bureau name> duty roster".
    name: str | None = Field(default=None, min_length=1, max_length=100)
    name_en: str | None = Field(default=None, min_length=1, max_length=100)

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")) or len(value) < len("http://x"):
            raise ValueError(f"expected an http:// or https:// URL, got {value!r}")
        if any(c.isspace() for c in value) or "?" in value or "#" in value:
            raise ValueError(f"base_url must be a plain URL without spaces, query or fragment: {value!r}")
        return value.rstrip("/")


# BureauFile.calendar: CalendarSection | None (listed in roster/admin/sections.py)
SECTION = Section("calendar", CalendarSection)
