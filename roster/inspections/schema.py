"""The ``inspections:`` section of the admin file (filled in by the inspections feature)."""

from __future__ import annotations

from roster.admin.base import StrictModel


class InspectionsSection(StrictModel):
    """Placeholder until the inspections feature defines its settings."""
