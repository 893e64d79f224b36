"""The admin file's shape. Each domain object is validated into a normalized copy; errors name the field.

``CoreBureauFile`` holds the core sections (bureau, people, groups, rules ...). ``BureauFile`` extends it with
one optional section per feature listed in ``roster.admin.sections.SECTIONS`` (``calendar``, ``inspections``,
``reports`` ...); a section's reference checks are declared with it (see roster/feature.py).
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from typing import Annotated, Literal

from pydantic import EmailStr, Field, create_model, field_serializer, field_validator, model_validator

from roster.admin.base import PHONE_RE, Channel, StrictModel, parse_clock
from roster.admin.sections import SECTIONS
from roster.config import DEFAULT_LOCALE, DEFAULT_TIMEZONE, SUPPORTED_LOCALES

Identifier = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", description="lower-case id")]
LEADER_ON_DUTY = "leader_on_duty"
DUTY_OFFICER = "duty_officer"


class Bureau(StrictModel):
    name: str = Field(min_length=1)
    timezone: str = DEFAULT_TIMEZONE
    locale: str = DEFAULT_LOCALE
    head: Identifier | None = None  # the bureau head (局长), last step of escalation
    duty_phone: str | None = None  # the duty room's phone (值班室电话), on the board and the 值班表报备 export

    @field_validator("duty_phone", mode="before")
    @classmethod
    def _duty_phone(cls, value: object) -> object:
        if value is None:
            return None
        value = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
        if not isinstance(value, str) or not PHONE_RE.match(value):
            raise ValueError(f"not a mainland mobile (13812345678) or landline (0878-3123456) number: {value!r}")
        return value.replace(" ", "")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r}") from None
        return value

    @field_validator("locale")
    @classmethod
    def _supported_locale(cls, value: str) -> str:
        if value not in SUPPORTED_LOCALES:
            raise ValueError(f"locale must be one of {', '.join(SUPPORTED_LOCALES)}")
        return value


class DutyRole(StrictModel):
    id: Identifier
    name: str = Field(min_length=1)  # shown to staff, e.g. 带班领导
    name_en: str | None = None


class ShiftPattern(StrictModel):
    """``full``: one 24 h shift from ``handover`` to the next day's handover.
    ``day_night``: a day shift from ``handover`` to ``night_starts`` and a night shift until the next handover."""

    kind: Literal["full", "day_night"] = "full"
    handover: dt.time = dt.time(8, 30)
    night_starts: dt.time | None = None

    _parse_clock = field_validator("handover", "night_starts", mode="before")(
        lambda v: v if v is None else parse_clock(v)
    )

    @field_serializer("handover", "night_starts", when_used="json")
    def _as_clock(self, value: dt.time | None) -> str | None:
        # Stored documents must validate again: "08:30", as written, not isoformat's "08:30:00".
        return None if value is None else value.strftime("%H:%M")

    @model_validator(mode="after")
    def _night_start_matches_kind(self) -> ShiftPattern:
        if self.kind == "day_night" and self.night_starts is None:
            raise ValueError("night_starts is required when kind is day_night")
        if self.kind == "full" and self.night_starts is not None:
            raise ValueError("night_starts only applies when kind is day_night")
        if self.night_starts is not None and self.night_starts <= self.handover:
            raise ValueError("night_starts must be later in the day than handover")
        return self


class Rules(StrictModel):
    min_rest_hours: float = Field(default=24, ge=0, le=24 * 14)
    max_consecutive_duties: int = Field(default=1, ge=1, le=31)
    max_duties_per_month: int = Field(default=8, ge=1, le=62)
    not_together: list[tuple[Identifier, Identifier]] = Field(default_factory=list)


class FairnessWeights(StrictModel):
    duties: float = Field(default=1.0, ge=0)
    nights: float = Field(default=1.0, ge=0)
    weekends: float = Field(default=2.0, ge=0)
    holidays: float = Field(default=3.0, ge=0)


class LedgerEntry(StrictModel):
    """Counts carried over from earlier periods (before dutyflow, or from another system)."""

    duties: int = Field(default=0, ge=0)
    nights: int = Field(default=0, ge=0)
    weekends: int = Field(default=0, ge=0)
    holidays: int = Field(default=0, ge=0)


class Fairness(StrictModel):
    weights: FairnessWeights = Field(default_factory=FairnessWeights)
    ledger: dict[Identifier, LedgerEntry] = Field(default_factory=dict)


class Person(StrictModel):
    id: Identifier
    name: str = Field(min_length=1, max_length=100)
    phone: str
    email: EmailStr | None = None
    rank: str = ""  # 局长, 副局长, 科长, 科员 ...
    groups: list[Identifier] = Field(default_factory=list)
    roles: list[Identifier] = Field(default_factory=list)
    locale: str | None = None
    calendar_reminder_minutes: int | None = Field(default=None, ge=0, le=7 * 24 * 60)
    channels: list[Channel] = Field(default_factory=list)

    @field_validator("phone", mode="before")
    @classmethod
    def _phone_as_text(cls, value: object) -> object:
        # An unquoted 13812345678 arrives as an int; a landline's leading 0 would be lost, so say so.
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        if not PHONE_RE.match(value):
            raise ValueError(f"not a mainland mobile (13812345678) or landline (0878-3123456) number: {value!r}")
        return re.sub(r"[ ]", "", value)


class Group(StrictModel):
    id: Identifier
    name: str = Field(min_length=1)
    sector: str | None = None
    leader: Identifier | None = None


class LeaveSpan(StrictModel):
    person: Identifier
    first_day: dt.date = Field(alias="from")
    last_day: dt.date = Field(alias="to")
    reason: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> LeaveSpan:
        if self.last_day < self.first_day:
            raise ValueError("'to' is before 'from'")
        return self


class SpecialDay(StrictModel):
    date: dt.date
    name: str = ""


class Holidays(StrictModel):
    """Public holidays and adjusted workdays (调休). ``chinese_calendar`` supplies them up to the last year it
    knows; ``holidays``/``workdays`` here add or override days, and ``covered_years`` declares years the
    admin has supplied completely so that planning them is allowed."""

    source: Literal["chinese_calendar", "none"] = "chinese_calendar"
    holidays: list[SpecialDay] = Field(default_factory=list)
    workdays: list[SpecialDay] = Field(default_factory=list)
    covered_years: list[Annotated[int, Field(ge=2000, le=2100)]] = Field(default_factory=list)


class CoreBureauFile(StrictModel):
    version: Literal[1] = 1

    @field_validator("version", mode="before")
    @classmethod
    def _supported_version(cls, value: object) -> object:
        if value != 1 or isinstance(value, bool):
            raise ValueError(f"unsupported admin file version {value!r}; this dutyflow reads version 1")
        return value

    bureau: Bureau
    roles: list[DutyRole] = Field(
        default_factory=lambda: [
            DutyRole(id=LEADER_ON_DUTY, name="带班领导", name_en="Leader on duty"),
            DutyRole(id=DUTY_OFFICER, name="值班员", name_en="Duty officer"),
        ]
    )
    shift_pattern: ShiftPattern = Field(default_factory=ShiftPattern)
    requirements: dict[Identifier, Annotated[int, Field(ge=0, le=50)]] = Field(
        default_factory=lambda: {LEADER_ON_DUTY: 1, DUTY_OFFICER: 2}
    )
    rules: Rules = Field(default_factory=Rules)
    fairness: Fairness = Field(default_factory=Fairness)
    people: list[Person] = Field(min_length=1)
    # People who administer the web console (plan, publish, approve leave, apply admin files).
    admins: list[Identifier] = Field(default_factory=list)
    groups: list[Group] = Field(default_factory=list)
    leave: list[LeaveSpan] = Field(default_factory=list)
    holidays: Holidays = Field(default_factory=Holidays)

    def person(self, person_id: str) -> Person | None:
        return next((p for p in self.people if p.id == person_id), None)


# The whole file: the core plus every feature's section (optional: a bureau may leave a feature out).
BureauFile = create_model(
    "BureauFile",
    __base__=CoreBureauFile,
    __module__=__name__,
    **{section.field: (section.model | None, None) for section in SECTIONS},
)
