"""The ``calendar:`` section of the admin file (filled in by the calendar feature)."""

from __future__ import annotations

from roster.admin.base import StrictModel


class CalendarSection(StrictModel):
    """Placeholder until the calendar feature defines its settings."""
