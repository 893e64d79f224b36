"""The monthly scorecard: check-in on time, roll-call answer rate and delay, handover completeness, and the
on-time rate of daily reports from the reports ledger; per person and for the bureau. Reads only."""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
import re
from dataclasses import asdict, dataclass, field
from statistics import median

from sqlalchemy import select
from sqlalchemy.orm import Session

from roster.duty.checkin import LATE, MISSING, ON_TIME, checkins_of, seat_states
from roster.duty.facts import DutyError, DutySettings, contacts, shifts_between
from roster.storage.models.duty import DutyHandover, DutyRollcall, DutyRollcallTarget
from roster.timeutil import local_wall_clock_to_utc


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


@dataclass
class PersonScore:
    person: str
    name: str
    checkins_owed: int = 0
    checkins_on_time: int = 0
    checkins_late: int = 0
    checkins_missed: int = 0
    checkins_off_site: int = 0
    rollcalls: int = 0
    rollcalls_answered: int = 0
    answer_delays: list[float] = field(default_factory=list)
    handovers_out: int = 0
    handovers_out_complete: int = 0

    @property
    def checkin_on_time_rate(self) -> float | None:
        return _rate(self.checkins_on_time, self.checkins_owed)

    @property
    def answer_rate(self) -> float | None:
        return _rate(self.rollcalls_answered, self.rollcalls)

    @property
    def median_delay_seconds(self) -> float | None:
        return round(median(self.answer_delays), 1) if self.answer_delays else None

    def as_dict(self) -> dict:
        data = asdict(self)
        data.pop("answer_delays")
        return data | {
            "checkin_on_time_rate": self.checkin_on_time_rate,
            "answer_rate": self.answer_rate,
            "median_delay_seconds": self.median_delay_seconds,
        }

    def text_line(self) -> str:
        delay = "—" if self.median_delay_seconds is None else f"{self.median_delay_seconds:.0f}s"
        return (
            f"{self.person:<6} {self.name:<6} 签到 {self.checkins_on_time}/{self.checkins_owed} 准时"
            f"（迟 {self.checkins_late}，缺 {self.checkins_missed}，离岗 {self.checkins_off_site}）  "
            f"查岗 {self.rollcalls_answered}/{self.rollcalls} 应答，中位 {delay}  "
            f"交班 {self.handovers_out_complete}/{self.handovers_out} 完整"
        )


@dataclass
class Scorecard:
    month: str
    people: list[PersonScore]
    handovers: int
    handovers_complete: int
    reports_owed: int
    reports_on_time: int

    def _sum(self, name: str) -> int:
        return sum(getattr(p, name) for p in self.people)

    def bureau(self) -> dict:
        delays = [d for p in self.people for d in p.answer_delays]
        return {
            "checkins_owed": self._sum("checkins_owed"),
            "checkin_on_time_rate": _rate(self._sum("checkins_on_time"), self._sum("checkins_owed")),
            "checkins_missed": self._sum("checkins_missed"),
            "rollcalls": self._sum("rollcalls"),
            "answer_rate": _rate(self._sum("rollcalls_answered"), self._sum("rollcalls")),
            "median_delay_seconds": round(median(delays), 1) if delays else None,
            "handovers": self.handovers,
            "handover_complete_rate": _rate(self.handovers_complete, self.handovers),
            "reports_owed": self.reports_owed,
            "report_on_time_rate": _rate(self.reports_on_time, self.reports_owed),
        }

    def summary_line(self) -> str:
        """The scorecard's line in the monthly summary."""
        b = self.bureau()
        delay = "" if b["median_delay_seconds"] is None else f"（中位 {b['median_delay_seconds'] / 60:.1f} 分钟）"
        return (
            f"{self.month} 值班考核：签到准时率 {_pct(b['checkin_on_time_rate'])}，查岗应答率 {_pct(b['answer_rate'])}"
            f"{delay}，交接班完整率 {_pct(b['handover_complete_rate'])}，日报按时率 {_pct(b['report_on_time_rate'])}。"
        )

    def as_dict(self) -> dict:
        return {
            "month": self.month,
            "bureau": self.bureau(),
            "summary": self.summary_line(),
            "people": [p.as_dict() for p in self.people],
        }


def month_bounds(month: str, tz: str) -> tuple[dt.datetime, dt.datetime]:
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        raise DutyError("--month", f"月份格式应为 YYYY-MM：{month!r}", f"expected YYYY-MM, got {month!r}")
    year, mon = (int(x) for x in month.split("-"))
    first = dt.date(year, mon, 1)
    after = first + dt.timedelta(days=_calendar.monthrange(year, mon)[1])
    return local_wall_clock_to_utc(first, dt.time(0), tz), local_wall_clock_to_utc(after, dt.time(0), tz)


def monthly_scorecard(session: Session, settings: DutySettings, month: str, now: dt.datetime) -> Scorecard:
    """Shifts starting in the month (up to ``now``) count; a roll call counts once its window is over."""
    start, end = month_bounds(month, settings.timezone)
    shifts = [s for s in shifts_between(session, start, min(end, now)) if start <= s.starts_at < min(end, now)]
    people = {c.person_id: c for c in contacts(session).values()}
    scores: dict[str, PersonScore] = {}

    def score(pid: str) -> PersonScore:
        return scores.setdefault(pid, PersonScore(pid, people[pid].name if pid in people else pid))

    for seat in seat_states(shifts, checkins_of(session, [s.uid for s in shifts]), settings.section, now):
        if seat.state in (ON_TIME, LATE, MISSING):
            s = score(seat.person_id)
            s.checkins_owed += 1
            s.checkins_on_time += seat.state == ON_TIME
            s.checkins_late += seat.state == LATE
            s.checkins_missed += seat.state == MISSING
            s.checkins_off_site += seat.on_site is False
    calls = session.execute(
        select(
            DutyRollcall.sent_at, DutyRollcall.reply_until, DutyRollcallTarget.person_id, DutyRollcallTarget.answered_at
        )
        .join(DutyRollcallTarget, DutyRollcallTarget.rollcall_id == DutyRollcall.id)
        .where(DutyRollcall.sent_at >= start, DutyRollcall.sent_at < end)
    ).all()
    for call in calls:
        if call.answered_at is None and call.reply_until > now:
            continue  # still open
        s = score(call.person_id)
        s.rollcalls += 1
        if call.answered_at is not None:
            s.rollcalls_answered += 1
            s.answer_delays.append((call.answered_at - call.sent_at).total_seconds())
    handovers, complete = _handovers(session, shifts, settings, now, score)
    owed, on_time = _reports(session, month, now)
    return Scorecard(month, sorted(scores.values(), key=lambda p: p.person), handovers, complete, owed, on_time)


def _handovers(session, shifts, settings, now, score) -> tuple[int, int]:  # noqa: ANN001
    """Each handover whose escalation delay is over counts for the outgoing shift's people."""
    rows = {
        r.shift_uid: r
        for r in session.scalars(select(DutyHandover).where(DutyHandover.shift_uid.in_([s.uid for s in shifts])))
    }
    delay = dt.timedelta(minutes=settings.section.handover.escalate_after)
    total = complete = 0
    for prev, shift in zip(shifts, shifts[1:], strict=False):
        if prev.ends_at != shift.starts_at or shift.starts_at + delay > now:
            continue
        row = rows.get(shift.uid)
        done = bool(row and row.incoming_signed_at and row.incoming_signed_at <= shift.starts_at + delay)
        total += 1
        complete += done
        for pid, _role in prev.people:
            s = score(pid)
            s.handovers_out += 1
            s.handovers_out_complete += done
    return total, complete


def _reports(session: Session, month: str, now: dt.datetime) -> tuple[int, int]:
    from roster.reports.board import monthly_stats

    rows = monthly_stats(session, month, now)
    return sum(r["owed"] for r in rows), sum(r["on_time"] for r in rows)
