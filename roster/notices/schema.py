"""The ``reminders:`` section of the admin file: when staff are reminded of their next duty.

Every field has a default, so the section may be left out; ``null`` turns one reminder off.
"""

from __future__ import annotations

import datetime as dt
import re

from pydantic import Field, field_serializer, field_validator

from roster.admin.base import PHONE_RE, StrictModel, parse_clock
from roster.feature import Section


class RemindersSection(StrictModel):
    # Local time on the day before a shift's start date ("明天 08:30 起您值班"); null: no day-before reminder.
    day_before_at: dt.time | None = dt.time(16, 0)
    # Minutes before the handover (the shift's start) for the last reminder; null: none.
    minutes_before: int | None = Field(default=60, ge=1, le=12 * 60)
    # The duty office's phone (值班电话), quoted in every reminder when set.
    duty_phone: str | None = None

    _parse_clock = field_validator("day_before_at", mode="before")(lambda v: v if v is None else parse_clock(v))

    @field_validator("duty_phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not PHONE_RE.match(value):
            raise ValueError(f"not a mainland mobile (13812345678) or landline (0878-3123456) number: {value!r}")
        return re.sub(r"[ ]", "", value)

    @field_serializer("day_before_at", when_used="json")
    def _as_clock(self, value: dt.time | None) -> str | None:
        return None if value is None else value.strftime("%H:%M")


# BureauFile.reminders: RemindersSection | None (listed in roster/admin/sections.py)
SECTION = Section("reminders", RemindersSection)
