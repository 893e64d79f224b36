"""The ``reports:`` section of the admin file (filled in by the reports feature)."""

from __future__ import annotations

from roster.admin.base import StrictModel


class ReportsSection(StrictModel):
    """Placeholder until the reports feature defines its settings."""
