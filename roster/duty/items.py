"""The handover's open items: what an item source is given (``HandoverContext``) and returns (``HandoverItem``).

On a floor of its own so that a feature's source (``roster.incidents.links.awaiting_report``) and the
handover that lists it (``roster.duty.handover.ITEM_SOURCES``) both stand on it, without a circle.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass

from sqlalchemy.orm import Session

from roster.duty.facts import DutySettings, ShiftFacts


@dataclass(frozen=True)
class HandoverItem:
    key: str  # stable across calls: "log:12", "report:grp-water:2026-11-23", "rollcall:5:p10" …
    source: str  # log | reports | rollcall | inspections | (incidents …)
    title: str
    detail: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class HandoverContext:
    session: Session
    now: dt.datetime
    settings: DutySettings
    outgoing: ShiftFacts  # the shift handing over
    incoming: ShiftFacts  # the shift taking over (its start is the handover time)


ItemSource = Callable[[HandoverContext], list[HandoverItem]]
