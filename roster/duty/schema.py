"""The ``duty:`` section of the admin file: check-in (签到), roll call (查岗), handover (交接班) settings.

Every field has a default, so ``duty: {}`` switches the feature on with the usual practice of a Chinese duty
office: check in from 30 min before to 15 min after the handover, two unannounced roll calls a night
between 22:00 and 06:00 with 5 min to answer, and a handover still unsigned 30 min after its time escalated.

```yaml
duty:
  public_url: https://duty.example.cn  # the console, as staff reach it (roll-call messages link to it)
  office: [p44]                       # told about missed check-ins, besides the leader on duty
  networks: [10.20.0.0/24]            # the duty room's networks; a check-in from elsewhere is off-site
  checkin: {opens_before: 30m, grace: 15m}
  rollcall:
    reply_within: 5m
    windows: [{from: "22:00", to: "06:00", count: 2}]
  handover: {escalate_after: 30m}
```
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from typing import Annotated

from pydantic import Field, field_serializer, field_validator, model_validator

from roster.admin.base import StrictModel, parse_clock
from roster.feature import Section
from roster.reports.schema import parse_minutes

_Identifier = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", description="lower-case id")]


def _minutes(value: object) -> int:
    return parse_minutes(value)


class CheckinRules(StrictModel):
    """The check-in window of a shift: from ``opens_before`` its start (the handover) to ``grace`` after it.
    A check-in later than that is still recorded, as late; nobody by then is escalated."""

    opens_before: int = Field(default=30, ge=0, le=24 * 60)
    grace: int = Field(default=15, ge=0, le=12 * 60)

    _durations = field_validator("opens_before", "grace", mode="before")(_minutes)


class RollcallWindow(StrictModel):
    """``count`` roll calls at random minutes between local ``from`` and ``to`` (``to`` before ``from``
    means the window runs past midnight). The window belongs to the shift on duty when it opens."""

    starts: dt.time = Field(alias="from")
    ends: dt.time = Field(alias="to")
    count: int = Field(default=1, ge=1, le=12)

    _clock = field_validator("starts", "ends", mode="before")(parse_clock)

    @field_serializer("starts", "ends", when_used="json")
    def _as_clock(self, value: dt.time) -> str:
        return value.strftime("%H:%M")

    @property
    def minutes(self) -> int:
        start = self.starts.hour * 60 + self.starts.minute
        end = self.ends.hour * 60 + self.ends.minute
        return (end - start) % (24 * 60) or 24 * 60

    @model_validator(mode="after")
    def _room_for_count(self) -> RollcallWindow:
        if self.count > self.minutes:
            raise ValueError(f"count {self.count} does not fit in a {self.minutes}-minute window")
        return self


class RollcallRules(StrictModel):
    reply_within: int = Field(default=5, ge=1, le=120)
    windows: list[RollcallWindow] = Field(
        default_factory=lambda: [RollcallWindow.model_validate({"from": "22:00", "to": "06:00", "count": 2})]
    )
    # Wrong codes a person may type for one roll call before their answer is locked (a 6-digit code is
    # short: the limit, not its length, is what stops guessing).
    max_wrong_codes: int = Field(default=5, ge=1, le=20)

    _durations = field_validator("reply_within", mode="before")(_minutes)


class HandoverRules(StrictModel):
    escalate_after: int = Field(default=30, ge=0, le=24 * 60)

    _durations = field_validator("escalate_after", mode="before")(_minutes)


class DutySection(StrictModel):
    public_url: str = "http://127.0.0.1:8080"  # where the roll-call page is reached (in roll-call messages)
    office: list[_Identifier] = Field(default_factory=list)
    networks: list[str] = Field(default_factory=list)
    # Duty roles that check in and answer roll calls; empty means every role on the shift.
    roles: list[_Identifier] = Field(default_factory=list)
    checkin: CheckinRules = Field(default_factory=CheckinRules)
    rollcall: RollcallRules = Field(default_factory=RollcallRules)
    handover: HandoverRules = Field(default_factory=HandoverRules)

    @field_validator("networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        out = []
        for item in value:
            try:
                out.append(str(ipaddress.ip_network(item, strict=False)))
            except ValueError:
                raise ValueError(f"not an IP network such as 10.20.0.0/24: {item!r}") from None
        return out

    def on_site(self, address: str | None) -> bool | None:
        """True/False when the duty room's networks are named and the address is known; None otherwise."""
        if not self.networks or not address:
            return None
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in ipaddress.ip_network(net) for net in self.networks)

    def takes_part(self, role: str) -> bool:
        return not self.roles or role in self.roles

    def check_references(self, bureau) -> list[tuple[tuple, str]]:  # noqa: ANN001
        people = {p.id for p in bureau.people}
        roles = {r.id for r in bureau.roles}
        errors: list[tuple[tuple, str]] = []
        for i, person in enumerate(self.office):
            if person not in people:
                errors.append((("duty", "office", i), f"no person {person!r}"))
        for i, role in enumerate(self.roles):
            if role not in roles:
                errors.append((("duty", "roles", i), f"no role {role!r}"))
        return errors


# BureauFile.duty: DutySection | None (listed in roster/admin/sections.py)
SECTION = Section("duty", DutySection, DutySection.check_references)
