"""The ``reports:`` section of the admin file: reporting units, their deadlines and escalation policies.

Every reporting unit (a work group, a regulated firm, the outbreak-community team) files a daily report
(日报告) or a zero report (零报告) each reporting day by its local ``deadline``. When it does not, the steps of
its escalation policy fire, each ``after`` the deadline, to its ``targets``, repeated ``repeat`` more times
every ``every``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from roster.admin.base import Channel, StrictModel, parse_clock
from roster.feature import Section

DEFAULT_PUBLIC_URL = "http://127.0.0.1:8080"  # where ack links point when the section does not say
DEFAULT_LINK_TTL_HOURS = 48
_Identifier = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", description="lower-case id")]
_DURATION_RE = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?$")
FIXED_TARGETS = ("unit_contact", "group_leader", "leader_on_duty", "bureau_head")


def parse_minutes(value: object) -> int:
    """``90``, ``"90m"``, ``"1h30m"``, ``"2h"`` -> minutes."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 30m, 2h or 1h30m")
    if isinstance(value, int):
        minutes = value
    else:
        text = str(value).strip().replace(" ", "")
        match = _DURATION_RE.match(text)
        if text.isdigit():
            minutes = int(text)
        elif match and text:
            minutes = int(match[1] or 0) * 60 + int(match[2] or 0)
        else:
            raise ValueError(f"expected a duration such as 30m, 2h or 1h30m, got {value!r}")
    if minutes < 0 or minutes > 7 * 24 * 60:
        raise ValueError("a duration must be between 0 and 7 days")
    return minutes


Minutes = Annotated[int, Field(description="minutes; written as 30m, 2h, 1h30m or an integer")]


class EscalationStep(StrictModel):
    """One step: ``after`` the deadline tell ``targets``; then ``repeat`` more times, ``every`` apart."""

    after: Minutes = 0
    targets: list[str] = Field(min_length=1)
    repeat: int = Field(default=0, ge=0, le=48)
    every: Minutes = 30

    _durations = field_validator("after", "every", mode="before")(lambda v: parse_minutes(v))

    @field_validator("targets")
    @classmethod
    def _known_targets(cls, value: list[str]) -> list[str]:
        for target in value:
            if target not in FIXED_TARGETS and not re.fullmatch(r"person:[a-z0-9][a-z0-9_-]{0,63}", target):
                raise ValueError(f"unknown target {target!r}: use {', '.join(FIXED_TARGETS)} or person:<id>")
        return list(dict.fromkeys(value))

    @model_validator(mode="after")
    def _interval(self) -> EscalationStep:
        if self.repeat and self.every < 1:
            raise ValueError("every must be at least 1m when repeat is set")
        return self


class EscalationPolicy(StrictModel):
    id: _Identifier
    name: str = ""
    steps: list[EscalationStep] = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> EscalationPolicy:
        delays = [s.after for s in self.steps]
        if delays != sorted(delays):
            raise ValueError("steps must be listed in order of their 'after' delay")
        return self


class OutsideContact(StrictModel):
    """A contact outside the bureau (a firm's safety officer): reached by their own channels."""

    name: str = Field(min_length=1, max_length=100)
    phone: str = ""
    locale: str | None = None
    channels: list[dict[str, str]] = Field(default_factory=list)

    @field_validator("channels")
    @classmethod
    def _channels(cls, value: list[dict[str, str]]) -> list[dict[str, str]]:
        return [Channel.model_validate(c).model_dump() for c in value]


class ReportingUnit(StrictModel):
    id: _Identifier
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["group", "firm", "team"] = "group"
    contact: _Identifier | OutsideContact
    group: _Identifier | None = None  # its group leader is the ``group_leader`` target
    deadline: dt.time = dt.time(16, 0)
    grace: Minutes = 60
    days: Literal["every_day", "workdays"] = "every_day"  # the duty system does not stop on holidays
    policy: _Identifier | None = None  # default: the section's default_policy
    active_from: dt.date | None = None  # first reporting day; default: the day the unit is applied

    _grace = field_validator("grace", mode="before")(lambda v: parse_minutes(v))

    _deadline = field_validator("deadline", mode="before")(parse_clock)


class ReportsSection(StrictModel):
    default_policy: _Identifier | None = None
    attachment_limit_mb: float = Field(default=10, gt=0, le=200)
    link_ttl_hours: int = Field(default=DEFAULT_LINK_TTL_HOURS, ge=1, le=24 * 31)  # signed ack links expire
    public_url: str = DEFAULT_PUBLIC_URL  # where ack links point
    policies: list[EscalationPolicy] = Field(default_factory=list)
    units: list[ReportingUnit] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_and_resolved(self) -> ReportsSection:
        for label, items in (("policies", self.policies), ("units", self.units)):
            seen: set[str] = set()
            for item in items:
                if item.id in seen:
                    raise ValueError(f"{label}: duplicate id {item.id!r}")
                seen.add(item.id)
        policy_ids = {p.id for p in self.policies}
        if self.default_policy is not None and self.default_policy not in policy_ids:
            raise ValueError(f"default_policy: no policy {self.default_policy!r}")
        for unit in self.units:
            policy = unit.policy or self.default_policy
            if policy is None:
                raise ValueError(f"units: unit {unit.id!r} has no policy and there is no default_policy")
            if policy not in policy_ids:
                raise ValueError(f"units: unit {unit.id!r} names unknown policy {policy!r}")
        return self

    def policy_of(self, unit: ReportingUnit) -> EscalationPolicy:
        policy_id = unit.policy or self.default_policy
        return next(p for p in self.policies if p.id == policy_id)

    def check_references(self, bureau) -> list[tuple[tuple, str]]:  # noqa: ANN001
        people = {p.id for p in bureau.people}
        groups = {g.id for g in bureau.groups}
        errors: list[tuple[tuple, str]] = []
        for i, unit in enumerate(self.units):
            if isinstance(unit.contact, str) and unit.contact not in people:
                errors.append((("reports", "units", i, "contact"), f"no person {unit.contact!r}"))
            if unit.group is not None and unit.group not in groups:
                errors.append((("reports", "units", i, "group"), f"no group {unit.group!r}"))
        for i, policy in enumerate(self.policies):
            for j, step in enumerate(policy.steps):
                for target in step.targets:
                    if target.startswith("person:") and target[7:] not in people:
                        errors.append((("reports", "policies", i, "steps", j, "targets"), f"no person {target[7:]!r}"))
                    if target == "bureau_head" and bureau.bureau.head is None:
                        errors.append(
                            (("reports", "policies", i, "steps", j, "targets"), "bureau_head but bureau.head unset")
                        )
        return errors


# BureauFile.reports: ReportsSection | None (listed in roster/admin/sections.py)
SECTION = Section("reports", ReportsSection, ReportsSection.check_references)
