"""Recording what a visit found, members' tokens, and what is overdue.

A result is recorded against the day's stored visit of a site (append-only: a correction is a new row).
A visit without a result by the evening deadline is overdue until the site gets a result again; the next
day's plan re-assigns it first (see planner.due_reason). Evaluation only: nobody is told here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from roster.admin.current import NoBureauApplied, current_bureau
from roster.config import DEFAULT_TIMEZONE
from roster.storage.models.inspections import InspectionResult, InspectionSite, InspectionToken, InspectionVisit
from roster.storage.models.people import Group, GroupMembership, Person
from roster.timeutil import local_wall_clock_to_utc

OUTCOMES = ("ok", "issue")


class ResultRejected(ValueError):
    """A result that cannot be recorded. ``field`` names the offending input; ``status`` is the HTTP code."""

    def __init__(self, field: str, message: str, status: int = 422) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.status = status


@dataclass(frozen=True)
class Recorded:
    result_id: int
    visit_id: int
    site_id: str
    day: dt.date
    outcome: str
    late: bool


def record_result(
    session: Session,
    *,
    site_id: str,
    day: dt.date,
    outcome: str,
    now: dt.datetime,
    note: str = "",
    by: str | None = None,
    via: str = "cli",
    only_group_of: str | None = None,
) -> Recorded:
    """Record ``outcome`` for the visit of ``site_id`` on ``day``. With ``only_group_of`` (a person id), the
    visit must belong to one of that person's groups (the HTTP path). Nothing is written on rejection."""
    if outcome not in OUTCOMES:
        raise ResultRejected("result", f"must be one of {', '.join(OUTCOMES)}, got {outcome!r}")
    if len(note) > 2000:
        raise ResultRejected("note", "at most 2000 characters")
    site = session.get(InspectionSite, site_id)
    if site is None:
        raise ResultRejected("site", f"unknown site {site_id!r}", 404)
    if by is not None and session.get(Person, by) is None:
        raise ResultRejected("by", f"unknown person {by!r}")
    visit = session.scalar(
        select(InspectionVisit).where(InspectionVisit.site_id == site_id, InspectionVisit.day == day)
    )
    if visit is None:
        raise ResultRejected("date", f"site {site_id} ({site.name}) was not assigned on {day.isoformat()}", 404)
    if _day_starts_at(session, day) > now:
        raise ResultRejected("date", f"{day.isoformat()} has not begun yet; results are recorded on or after the day")
    if only_group_of is not None:
        groups = set(
            session.scalars(select(GroupMembership.group_id).where(GroupMembership.person_id == only_group_of))
        )
        if visit.group_id not in groups:
            raise ResultRejected(
                "site", f"site {site_id} is assigned to group {visit.group_id} on {day.isoformat()}, not yours", 403
            )
    row = InspectionResult(
        visit_id=visit.id, site_id=site_id, day=day, outcome=outcome, note=note, recorded_by=by, recorded_at=now,
        via=via,
    )  # fmt: skip
    session.add(row)
    session.flush()
    return Recorded(row.id, visit.id, site_id, day, outcome, late=now > visit.due_at)


def _day_starts_at(session: Session, day: dt.date) -> dt.datetime:
    try:
        tz = current_bureau(session).bureau.timezone
    except NoBureauApplied:
        tz = DEFAULT_TIMEZONE
    return local_wall_clock_to_utc(day, dt.time(0, 0), tz)


@dataclass(frozen=True)
class OverdueInspection:
    visit_id: int
    day: dt.date
    site_id: str
    site_name: str
    group_id: str
    inspectors: tuple[str, ...]
    due_at: dt.datetime
    group_leader: str | None  # who answers for it: the group's leader (escalation starts there)


def overdue_inspections(session: Session, now: dt.datetime) -> list[OverdueInspection]:
    """Visits whose results deadline has passed with no result, and whose site has had no recorded visit
    since (a later result settles the site). Oldest first."""
    has_result = select(InspectionResult.visit_id)
    latest_done = (
        select(InspectionResult.site_id, func.max(InspectionResult.day).label("day"))
        .group_by(InspectionResult.site_id)
        .subquery()
    )
    rows = session.execute(
        select(InspectionVisit, InspectionSite.name, Group.leader_id)
        .join(InspectionSite, InspectionSite.id == InspectionVisit.site_id)
        .outerjoin(Group, Group.id == InspectionVisit.group_id)
        .outerjoin(latest_done, latest_done.c.site_id == InspectionVisit.site_id)
        .where(
            InspectionVisit.due_at <= now,
            InspectionVisit.id.not_in(has_result),
            (latest_done.c.day.is_(None)) | (latest_done.c.day < InspectionVisit.day),
        )
        .order_by(InspectionVisit.day, InspectionVisit.site_id)
    ).all()
    return [
        OverdueInspection(v.id, v.day, v.site_id, name, v.group_id, tuple(v.inspectors), v.due_at, leader)
        for v, name, leader in rows
    ]


# -- tokens -----------------------------------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, person_id: str, now: dt.datetime) -> str:
    """A new bearer token for a group member (256 random bits). Only its sha256 is stored: show it once."""
    person = session.get(Person, person_id)
    if person is None or not person.active:
        raise ResultRejected("PERSON", f"unknown or inactive person {person_id!r}", 404)
    if session.scalar(select(GroupMembership.id).where(GroupMembership.person_id == person_id).limit(1)) is None:
        raise ResultRejected("PERSON", f"{person_id} is in no work group; only group members record results")
    token = secrets.token_urlsafe(32)
    session.add(InspectionToken(person_id=person_id, token_sha256=_digest(token), created_at=now))
    session.flush()
    return token


def revoke_tokens(session: Session, person_id: str, now: dt.datetime) -> int:
    if session.get(Person, person_id) is None:
        raise ResultRejected("PERSON", f"unknown person {person_id!r}", 404)
    rows = session.scalars(
        select(InspectionToken).where(InspectionToken.person_id == person_id, InspectionToken.revoked_at.is_(None))
    ).all()
    for row in rows:
        row.revoked_at = now
    session.flush()
    return len(rows)


def person_of_token(session: Session, token: str) -> str | None:
    """The person a live token belongs to, or None (unknown or revoked tokens look the same)."""
    row = session.scalar(select(InspectionToken).where(InspectionToken.token_sha256 == _digest(token)))
    if row is None or row.revoked_at is not None:
        return None
    person = session.get(Person, row.person_id)
    return person.id if person is not None and person.active else None
