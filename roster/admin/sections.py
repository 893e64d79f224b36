"""The admin file's feature sections, in the order they stand in the file (and its normalized document).

Each feature declares its ``Section`` (field, model, reference checks) next to the model, in its own
``schema.py``, and lists it here; its ``Feature`` names the same object. This floor stays low: it imports
section models only (pydantic, no ORM, no feature declaration), so the admin schema and loader read it
without reaching back to ``roster.features``. See docs/features.md.
"""

from __future__ import annotations

from roster.calendar.schema import SECTION as CALENDAR
from roster.duty.schema import SECTION as DUTY
from roster.feature import Section
from roster.incidents.schema import SECTION as INCIDENTS
from roster.inspections.schema import SECTION as INSPECTIONS
from roster.notices.schema import SECTION as REMINDERS
from roster.reports.schema import SECTION as REPORTS

SECTIONS: tuple[Section, ...] = (CALENDAR, INSPECTIONS, REPORTS, REMINDERS, DUTY, INCIDENTS)

_fields = [s.field for s in SECTIONS]
if len(set(_fields)) != len(_fields):
    raise ValueError(f"two admin-file sections share a field: {sorted({f for f in _fields if _fields.count(f) > 1})}")
