"""The reporting clocks of an incident: a pure decision over its stored facts at ``now``.

Four kinds of clock, all from the incident's *current* severity level (a severity change recomputes them):
- ``phone``: the phone report, ``phone_within`` after 接报 (news received), until it or the 首报 is made;
- ``first``: the written 首报, ``first_within`` after 接报;
- ``followup-N``: 续报N once the 首报 is out and while the response goes on: ``followup_every`` after the
  last report sent, or ``followup_after_change`` after the first change since then, whichever is sooner;
- ``final``: the 终报, ``final_within`` after the response ended, when the level requires one.

A clock is open until the fact that satisfies it is stored. Facts later than ``now`` are ignored, so the
clocks of any past instant can be replayed from today's database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from roster.incidents.schema import SeverityLevel

FIRST, FOLLOWUP, FINAL = "first", "followup", "final"
_ZH_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 -> 一, 10 -> 十, 12 -> 十二, 21 -> 二十一 (续报 numbers)."""
    if n < 10:
        return _ZH_DIGITS[n]
    if n < 20:
        return "十" + (_ZH_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return _ZH_DIGITS[n // 10] + "十" + (_ZH_DIGITS[n % 10] if n % 10 else "")
    return str(n)


def report_name(kind: str, seq: int, locale: str = "zh-CN") -> str:
    """首报, 续报一, 续报二 …, 终报 (First report, Follow-up 1 …, Final report)."""
    if locale == "en":
        return {FIRST: "First report", FINAL: "Final report"}.get(kind, f"Follow-up {seq}")
    return {FIRST: "首报", FINAL: "终报"}.get(kind, f"续报{chinese_number(seq)}")


@dataclass(frozen=True)
class IncidentFacts:
    received_at: dt.datetime
    phone_reported_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None  # 处置结束: the response is over, the 终报 clock starts
    changes: tuple[dt.datetime, ...] = ()  # severity changes and developments after 接报


@dataclass(frozen=True)
class SentReport:
    kind: str  # first | followup | final
    seq: int  # 0 for the 首报 and the 终报, N for 续报N
    sent_at: dt.datetime


@dataclass(frozen=True)
class Clock:
    key: str  # phone | first | followup-N | final: with ``due_at``, the identity of its alerts
    kind: str  # phone | first | followup | final
    seq: int
    due_at: dt.datetime

    def overdue(self, now: dt.datetime) -> bool:
        return now >= self.due_at

    def label(self, locale: str = "zh-CN") -> str:
        if self.kind == "phone":
            return "Phone report" if locale == "en" else "电话报告"
        return report_name(self.kind, self.seq, locale)


def plain_utc(instant: dt.datetime) -> dt.datetime:
    """A plain aware UTC ``datetime`` (pendulum instants misbehave in arithmetic with plain timedeltas)."""
    if instant.tzinfo is None:
        raise ValueError("naive datetime given; pass an aware instant")
    return dt.datetime.fromtimestamp(instant.timestamp(), tz=dt.UTC)


def _minutes(n: int) -> dt.timedelta:
    return dt.timedelta(minutes=n)


def _followup_clock(
    incident: IncidentFacts, level: SeverityLevel, sent: list[SentReport], now: dt.datetime
) -> Clock | None:
    if not any(r.kind == FIRST for r in sent) or (incident.ended_at and incident.ended_at <= now):
        return None
    last = max(r.sent_at for r in sent if r.kind in (FIRST, FOLLOWUP))
    candidates = []
    if level.followup_every is not None:
        candidates.append(last + _minutes(level.followup_every))
    changes = [c for c in incident.changes if last < c <= now]
    if changes and level.followup_after_change is not None:
        candidates.append(min(changes) + _minutes(level.followup_after_change))
    if not candidates:
        return None
    seq = 1 + sum(1 for r in sent if r.kind == FOLLOWUP)
    return Clock(f"followup-{seq}", FOLLOWUP, seq, min(candidates))


def open_clocks(
    incident: IncidentFacts, level: SeverityLevel, reports: list[SentReport], now: dt.datetime
) -> list[Clock]:
    """Every clock still running at ``now`` (overdue or not), soonest first."""
    sent = [r for r in reports if r.sent_at <= now]
    received = incident.received_at
    clocks: list[Clock] = []
    phoned = incident.phone_reported_at is not None and incident.phone_reported_at <= now
    first_sent = any(r.kind == FIRST for r in sent)
    if level.phone_within is not None and not phoned and not first_sent:  # the 首报 supersedes a missed call
        clocks.append(Clock("phone", "phone", 0, received + _minutes(level.phone_within)))
    if not first_sent:
        clocks.append(Clock("first", FIRST, 0, received + _minutes(level.first_within)))
    followup = _followup_clock(incident, level, sent, now)
    if followup is not None:
        clocks.append(followup)
    ended = incident.ended_at is not None and incident.ended_at <= now
    if level.final_required and ended and not any(r.kind == FINAL for r in sent):
        assert incident.ended_at is not None
        clocks.append(Clock("final", FINAL, 0, incident.ended_at + _minutes(level.final_within)))
    return sorted(clocks, key=lambda c: (c.due_at, c.key))


def clocks_due(
    incident: IncidentFacts, level: SeverityLevel, reports: list[SentReport], now: dt.datetime
) -> list[Clock]:
    """The open clocks whose deadline has passed at ``now``."""
    return [c for c in open_clocks(incident, level, reports, now) if c.overdue(now)]


def clock_for_report(
    incident: IncidentFacts, level: SeverityLevel, reports: list[SentReport], kind: str, now: dt.datetime
) -> Clock | None:
    """The clock a report of ``kind`` sent at ``now`` satisfies (None: no clock was running for it)."""
    if kind == FINAL and (incident.ended_at is None or incident.ended_at > now):
        incident = IncidentFacts(incident.received_at, incident.phone_reported_at, now, incident.changes)
    for clock in open_clocks(incident, level, reports, now):
        if clock.kind == kind:
            return clock
    return None
