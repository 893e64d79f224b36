"""Check-in (签到): each person on a shift checks in within its window; the rest is computed at ``now``.

A shift's window opens ``opens_before`` its start (the handover) and check-in is on time until ``grace``
after it. Later check-ins are still recorded, as late. Nobody checked in by the end of grace is a missed
check-in, which ``check`` escalates (state, not ticks: the decision is over stored check-ins only).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from roster.duty.facts import DutyError, ShiftFacts, duty_settings, person_or_error, shifts_between
from roster.duty.schema import CheckinRules, DutySection
from roster.storage.models.duty import DutyCheckin

ON_TIME, LATE, MISSING, PENDING, OPEN = "on_time", "late", "missing", "pending", "open"


@dataclass(frozen=True)
class CheckinReceipt:
    person: str
    shift: str
    role: str
    at: str
    late: bool
    on_site: bool | None
    via: str
    replayed: bool = False  # already checked in: nothing changed

    def as_dict(self) -> dict:
        return asdict(self)


def window(shift: ShiftFacts, rules: CheckinRules) -> tuple[dt.datetime, dt.datetime]:
    """(opens_at, on time until) of a shift's check-in."""
    return (
        shift.starts_at - dt.timedelta(minutes=rules.opens_before),
        shift.starts_at + dt.timedelta(minutes=rules.grace),
    )


def shift_to_check_in(
    shifts: list[ShiftFacts], person_id: str, rules: CheckinRules, now: dt.datetime, tz: str = "UTC"
) -> ShiftFacts:
    """The person's shift whose check-in is open at ``now`` (the one starting nearest to now)."""
    mine = [s for s in shifts if s.role_of(person_id) and window(s, rules)[0] <= now < s.ends_at]
    if not mine:
        upcoming = [s for s in shifts if s.role_of(person_id) and s.starts_at > now]
        if upcoming:
            opens = window(upcoming[0], rules)[0].astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")
            raise DutyError("now", f"签到尚未开放（{opens} 起）", f"check-in opens at {opens}", status=409)
        raise DutyError("person", f"{person_id} 此时没有值班", f"{person_id} is not on duty now", status=409)
    return min(mine, key=lambda s: abs((s.starts_at - now).total_seconds()))


def check_in(
    session: Session, person_id: str, now: dt.datetime, *, via: str, address: str | None = None
) -> CheckinReceipt:
    """Record ``person_id``'s check-in at ``now`` (idempotent: a second check-in returns the first)."""
    settings = duty_settings(session)
    section = settings.section
    person_or_error(session, person_id, "person")
    shifts = shifts_between(session, now - dt.timedelta(days=2), now + dt.timedelta(days=1))
    shift = shift_to_check_in(shifts, person_id, section.checkin, now, settings.timezone)
    role = shift.role_of(person_id) or ""
    if not section.takes_part(role):
        raise DutyError("person", f"{role} 角色无需签到", f"the role {role} does not check in", status=409)
    existing = _existing(session, shift.uid, person_id)
    if existing is not None:
        return _receipt(existing, settings.timezone, replayed=True)
    values = dict(
        shift_uid=shift.uid,
        duty_date=shift.duty_date,
        person_id=person_id,
        role=role,
        at=now,
        late=now > window(shift, section.checkin)[1],
        via=via,
        address=address,
        on_site=section.on_site(address),
    )
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(DutyCheckin).values(**values).on_conflict_do_nothing(index_elements=["shift_uid", "person_id"])
    )
    row = _existing(session, shift.uid, person_id)
    assert row is not None
    return _receipt(row, settings.timezone, replayed=row.at != values["at"])


def _existing(session: Session, shift_uid: str, person_id: str) -> DutyCheckin | None:
    stmt = select(DutyCheckin).where(DutyCheckin.shift_uid == shift_uid, DutyCheckin.person_id == person_id)
    return session.scalars(stmt.execution_options(populate_existing=True)).first()


def _receipt(row: DutyCheckin, tz: str, replayed: bool) -> CheckinReceipt:
    at = row.at.astimezone(ZoneInfo(tz)).isoformat(timespec="minutes")
    return CheckinReceipt(row.person_id, row.shift_uid, row.role, at, row.late, row.on_site, row.via, replayed)


@dataclass(frozen=True)
class SeatState:
    shift: ShiftFacts
    person_id: str
    role: str
    state: str  # on_time | late | missing | pending | open
    at: dt.datetime | None
    on_site: bool | None
    due_at: dt.datetime


def seat_states(
    shifts: list[ShiftFacts], checkins: dict[tuple[str, str], DutyCheckin], section: DutySection, now: dt.datetime
) -> list[SeatState]:
    """Pure: the check-in state of every seat that checks in, at ``now``. ``open`` is inside the window
    and not yet checked in; ``missing`` is past grace without a check-in (a later one turns it ``late``)."""
    out = []
    for shift in shifts:
        opens, due = window(shift, section.checkin)
        for person_id, role in shift.people:
            if not section.takes_part(role):
                continue
            row = checkins.get((shift.uid, person_id))
            if row is not None:
                state = LATE if row.late else ON_TIME
            elif now > due:
                state = MISSING
            else:
                state = OPEN if now >= opens else PENDING
            out.append(
                SeatState(shift, person_id, role, state, row.at if row else None, row.on_site if row else None, due)
            )
    return out


def checkins_of(session: Session, shift_uids: list[str]) -> dict[tuple[str, str], DutyCheckin]:
    if not shift_uids:
        return {}
    rows = session.scalars(select(DutyCheckin).where(DutyCheckin.shift_uid.in_(shift_uids)))
    return {(r.shift_uid, r.person_id): r for r in rows}
