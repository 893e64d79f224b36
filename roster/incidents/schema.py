"""The ``incidents:`` section of the admin file: severity levels and their reporting clocks, recipients, and
who is alerted when a clock runs out (突发事件信息报送).

Every level says, from 接报 (news received): the phone report's and the written 首报's deadlines, the 续报
cadence while the incident is open (every ``followup_every`` after the last report, and within
``followup_after_change`` of any change), whether a 终报 is required and how soon after the response ends,
and who receives each report.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, field_validator, model_validator

from roster.admin.base import Channel, StrictModel
from roster.feature import Section
from roster.reports.schema import parse_minutes

_Identifier = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", description="lower-case id")]
_PERSON_RE = re.compile(r"person:[a-z0-9][a-z0-9_-]{0,63}")
# Who a report goes to, besides the section's named recipients (superior offices).
REPORT_TARGETS = ("leader_on_duty", "bureau_head")
# Who is alerted about a clock running out.
ALERT_TARGETS = ("duty_officers", "leader_on_duty", "bureau_head", "registered_by")
DEFAULT_CATEGORIES = (
    "房屋安全",
    "建筑施工",
    "城镇燃气",
    "城市供水",
    "市政设施",
    "物业小区",
    "公共卫生",
    "自然灾害",
    "其他",
)


def _optional_minutes(value: object) -> object:
    return None if value is None else parse_minutes(value)


def _signed_minutes(value: object) -> int:
    """``-10m`` (before the deadline), ``0``, ``30m``, ``1h`` (after it)."""
    text = str(value).strip()
    if text.startswith("-"):
        return -parse_minutes(text[1:])
    return parse_minutes(value)


class Recipient(StrictModel):
    """A superior office or outside addressee of reports (市应急管理局总值班室, 州住建局办公室 …)."""

    id: _Identifier
    name: str = Field(min_length=1, max_length=200)
    locale: str | None = None
    channels: list[Channel] = Field(min_length=1)


class SeverityLevel(StrictModel):
    id: _Identifier
    name: str = Field(min_length=1, max_length=50)  # 特别重大, 重大, 较大, 一般 …
    name_en: str | None = None
    rank: int = Field(default=0, ge=0, le=99)  # 1 = gravest; orders the levels in lists and statistics
    phone_within: int | None = 30  # minutes after 接报; None: no phone report clock
    first_within: int = 60  # the written 首报
    followup_every: int | None = 24 * 60  # 续报 cadence after the last report; None: only after changes
    followup_after_change: int | None = 120  # a 续报 within this of any change (severity, development)
    final_required: bool = True
    final_within: int = 24 * 60  # the 终报, after the response ends
    recipients: list[str] = Field(min_length=1)

    _minutes = field_validator("first_within", "final_within", mode="before")(lambda v: parse_minutes(v))
    _optional = field_validator("phone_within", "followup_every", "followup_after_change", mode="before")(
        _optional_minutes
    )

    @field_validator("followup_every")
    @classmethod
    def _cadence(cls, value: int | None) -> int | None:
        if value is not None and value < 10:
            raise ValueError("followup_every must be at least 10m (or null for no cadence)")
        return value

    @field_validator("recipients")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))

    def label(self, locale: str = "zh-CN") -> str:
        return (self.name_en or self.name) if locale == "en" else self.name


class AlertStep(StrictModel):
    """``after`` a clock's deadline (negative: before it) tell ``targets``; ``repeat`` more times ``every``."""

    after: int = 0
    targets: list[str] = Field(min_length=1)
    repeat: int = Field(default=0, ge=0, le=48)
    every: int = 15

    _after = field_validator("after", mode="before")(_signed_minutes)
    _every = field_validator("every", mode="before")(lambda v: parse_minutes(v))

    @field_validator("targets")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        for target in value:
            if target not in ALERT_TARGETS and not _PERSON_RE.fullmatch(target):
                raise ValueError(f"unknown target {target!r}: use {', '.join(ALERT_TARGETS)} or person:<id>")
        return list(dict.fromkeys(value))

    @model_validator(mode="after")
    def _interval(self) -> AlertStep:
        if self.repeat and self.every < 1:
            raise ValueError("every must be at least 1m when repeat is set")
        return self


def _default_alerts() -> list[AlertStep]:
    return [
        AlertStep(after=-10, targets=["duty_officers"]),
        AlertStep(after=0, targets=["duty_officers", "leader_on_duty"], repeat=3, every=15),
        AlertStep(after=30, targets=["bureau_head"]),
    ]


class IncidentsSection(StrictModel):
    reporting_unit: str = ""  # 报送单位 on every report; default: the bureau's name
    contact: _Identifier | None = None  # 联系人 on every report (a person id); default: the drafting officer
    duty_phone: str = ""  # 值班电话
    signers: list[_Identifier] = Field(default_factory=list)  # may sign (签发) besides the leader on duty
    categories: list[str] = Field(default_factory=lambda: list(DEFAULT_CATEGORIES))
    recipients: list[Recipient] = Field(default_factory=list)
    levels: list[SeverityLevel] = Field(min_length=1)
    alerts: list[AlertStep] = Field(default_factory=_default_alerts)

    @model_validator(mode="after")
    def _consistent(self) -> IncidentsSection:
        for label, items in (("recipients", self.recipients), ("levels", self.levels)):
            seen: set[str] = set()
            for item in items:
                if item.id in seen:
                    raise ValueError(f"{label}: duplicate id {item.id!r}")
                seen.add(item.id)
        names = {r.id for r in self.recipients}
        for level in self.levels:
            for target in level.recipients:
                if target not in names and target not in REPORT_TARGETS and not _PERSON_RE.fullmatch(target):
                    raise ValueError(
                        f"levels: level {level.id!r} names unknown recipient {target!r} "
                        f"(a recipients id, {', '.join(REPORT_TARGETS)} or person:<id>)"
                    )
        delays = [s.after for s in self.alerts]
        if delays != sorted(delays):
            raise ValueError("alerts: steps must be listed in order of their 'after' delay")
        return self

    def level(self, level_id: str) -> SeverityLevel | None:
        return next((lv for lv in self.levels if lv.id == level_id), None)

    def recipient(self, recipient_id: str) -> Recipient | None:
        return next((r for r in self.recipients if r.id == recipient_id), None)

    def check_references(self, bureau) -> list[tuple[tuple, str]]:  # noqa: ANN001
        people = {p.id for p in bureau.people}
        errors: list[tuple[tuple, str]] = []
        if self.contact is not None and self.contact not in people:
            errors.append((("incidents", "contact"), f"no person {self.contact!r}"))
        for i, signer in enumerate(self.signers):
            if signer not in people:
                errors.append((("incidents", "signers", i), f"no person {signer!r}"))
        for i, level in enumerate(self.levels):
            for target in level.recipients:
                if target.startswith("person:") and target[7:] not in people:
                    errors.append((("incidents", "levels", i, "recipients"), f"no person {target[7:]!r}"))
                if target == "bureau_head" and bureau.bureau.head is None:
                    errors.append((("incidents", "levels", i, "recipients"), "bureau_head but bureau.head unset"))
        for i, step in enumerate(self.alerts):
            for target in step.targets:
                if target.startswith("person:") and target[7:] not in people:
                    errors.append((("incidents", "alerts", i, "targets"), f"no person {target[7:]!r}"))
        return errors


# BureauFile.incidents: IncidentsSection | None (listed in roster/admin/sections.py)
SECTION = Section("incidents", IncidentsSection, IncidentsSection.check_references)
