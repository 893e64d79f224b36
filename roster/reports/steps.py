"""Escalation steps: which step and repeat of a policy are due at an instant (``plan_unit_day``, pure), and
who a step's targets mean for a unit at that instant (``Resolver``). Report escalation and incident alerts
both plan with them; the timing rules are in ``roster.reports.escalation``'s docstring.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from roster.config import DEFAULT_LOCALE
from roster.on_duty import on_duty_at
from roster.storage.models.people import Group, Person
from roster.storage.models.reports import ReportUnit


@dataclass(frozen=True)
class Recipient:
    target: str
    person_id: str | None
    name: str
    locale: str
    channels: tuple[tuple[str, str], ...]  # (kind, target) in the person's order; the first is used
    contact_of: str | None = None  # outside contacts are identified by their unit (their name may change)

    @property
    def reachable(self) -> bool:
        return bool(self.channels)

    @property
    def ident(self) -> str:
        return self.person_id or f"contact:{self.contact_of}"


@dataclass(frozen=True)
class DueMessage:
    step: int
    repeat: int
    due_at: dt.datetime


@dataclass(frozen=True)
class Plan:
    """What one unit-day needs at ``now``: messages to send, unreachable steps, and the next check."""

    due: list[tuple[DueMessage, list[Recipient]]]
    unreachable: list[tuple[int, dt.datetime, list[str]]]
    next_check_at: dt.datetime | None


def plan_unit_day(
    steps: list[dict[str, Any]],
    deadline_at: dt.datetime,
    now: dt.datetime,
    resolve: Callable[[list[str], dt.datetime], list[Recipient]],
) -> Plan:
    """Pure timing: which (step, newest due repeat) fire at ``now``, given a recipient resolver."""
    due: list[tuple[DueMessage, list[Recipient]]] = []
    unreachable: list[tuple[int, dt.datetime, list[str]]] = []
    upcoming: list[dt.datetime] = []
    carried: dt.datetime | None = None  # start inherited from an unreachable previous step
    for index, step in enumerate(steps):
        start = deadline_at + dt.timedelta(minutes=int(step["after"]))
        if carried is not None:
            start = min(start, carried)
        carried = None
        if start > now:
            upcoming.append(start)  # steps are ordered by delay: later ones start later still
            break
        targets = list(step["targets"])
        if not any(r.reachable for r in resolve(targets, start)):
            unreachable.append((index, start, targets))
            carried = start
            continue
        every = dt.timedelta(minutes=max(int(step.get("every") or 0), 1))
        repeats = int(step.get("repeat") or 0)
        newest = min(repeats, int((now - start) / every)) if repeats else 0
        due_at = start + newest * every
        recipients = [r for r in resolve(targets, due_at) if r.reachable]
        if not recipients:  # e.g. no leader on duty at this repeat's time: fall back to the step's start
            recipients = [r for r in resolve(targets, start) if r.reachable]
        due.append((DueMessage(index, newest, due_at), recipients))
        if newest < repeats:
            upcoming.append(due_at + every)
    return Plan(due, unreachable, min(upcoming) if upcoming else None)


class Resolver:
    """Finds who a target means for a unit at an instant. People and groups are loaded once per tick; the
    leader on duty is looked up from the roster at the step's due time (cached per instant)."""

    def __init__(self, session: Session, head_id: str | None) -> None:
        self.session = session
        self.head_id = head_id
        self.people = {
            p.id: p
            for p in session.execute(select(Person.id, Person.name, Person.locale, Person.channels, Person.active))
        }
        self.group_leaders = dict(session.execute(select(Group.id, Group.leader_id)).all())
        self._leaders: dict[dt.datetime, str | None] = {}

    def _person(self, target: str, person_id: str | None) -> list[Recipient]:
        person = self.people.get(person_id) if person_id else None
        if person is None or not person.active:
            return []
        channels = tuple((c["kind"], c["target"]) for c in person.channels or [])
        return [Recipient(target, person.id, person.name, person.locale or DEFAULT_LOCALE, channels)]

    def leader_on_duty(self, instant: dt.datetime) -> str | None:
        if instant not in self._leaders:
            leader = on_duty_at(self.session, instant).leader_on_duty
            self._leaders[instant] = leader.person_id if leader else None
        return self._leaders[instant]

    def _unit_contact(self, unit: ReportUnit, target: str) -> list[Recipient]:
        if unit.contact_person_id:
            return self._person(target, unit.contact_person_id)
        contact = unit.contact or {}  # someone outside the bureau, reached by their own channels
        channels = tuple((c["kind"], c["target"]) for c in contact.get("channels", []))
        name, locale = contact.get("name", unit.name), contact.get("locale") or DEFAULT_LOCALE
        return [Recipient(target, None, name, locale, channels, unit.id)]

    def resolve(self, unit: ReportUnit, targets: list[str], instant: dt.datetime) -> list[Recipient]:
        found: dict[str, Recipient] = {}
        for target in targets:
            if target == "unit_contact":
                people = self._unit_contact(unit, target)
            elif target == "group_leader":
                people = self._person(target, self.group_leaders.get(unit.group_id) if unit.group_id else None)
            elif target == "leader_on_duty":
                people = self._person(target, self.leader_on_duty(instant))
            elif target == "bureau_head":
                people = self._person(target, self.head_id)
            else:  # person:<id>
                people = self._person(target, target.split(":", 1)[1])
            for r in people:
                found.setdefault(r.ident, r)  # the group leader may also be the leader on duty: tell them once
        return list(found.values())
