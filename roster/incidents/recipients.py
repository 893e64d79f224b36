"""Who a report goes to and who an alert reaches, resolved at an instant (the roster says who is on duty)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from roster.incidents.schema import IncidentsSection, SeverityLevel
from roster.on_duty import OnDuty, on_duty_at
from roster.reports.steps import Recipient
from roster.storage.models.people import Person


class IncidentResolver:
    """People are loaded once; who is on duty is looked up per instant (cached)."""

    def __init__(self, session: Session, section: IncidentsSection, head_id: str | None) -> None:
        self.session = session
        self.section = section
        self.head_id = head_id
        self.people = {
            p.id: p
            for p in session.execute(select(Person.id, Person.name, Person.locale, Person.channels, Person.active))
        }
        self._on_duty: dict[dt.datetime, OnDuty] = {}
        self._shifts: list[OnDuty] = []

    def on_duty(self, instant: dt.datetime) -> OnDuty:
        if instant not in self._on_duty:
            # Alerts of many clocks fall in a few shifts: reuse a shift already read that covers the instant.
            shift = next(
                (d for d in self._shifts if d.starts_at and d.ends_at and d.starts_at <= instant < d.ends_at), None
            )
            self._on_duty[instant] = shift or on_duty_at(self.session, instant)
            if shift is None:
                self._shifts.append(self._on_duty[instant])
        return self._on_duty[instant]

    def person(self, target: str, person_id: str | None) -> list[Recipient]:
        person = self.people.get(person_id) if person_id else None
        if person is None or not person.active:
            return []
        channels = tuple((c["kind"], c["target"]) for c in person.channels or [])
        return [Recipient(target, person.id, person.name, person.locale or "zh-CN", channels)]

    def _one(self, target: str, instant: dt.datetime, registered_by: str | None) -> list[Recipient]:
        if target == "leader_on_duty":
            leader = self.on_duty(instant).leader_on_duty
            return self.person(target, leader.person_id if leader else None)
        if target == "duty_officers":
            return [r for p in self.on_duty(instant).officers for r in self.person(target, p.person_id)]
        if target == "bureau_head":
            return self.person(target, self.head_id)
        if target == "registered_by":
            return self.person(target, registered_by)
        if target.startswith("person:"):
            return self.person(target, target[7:])
        office = self.section.recipient(target)
        if office is None:
            return []
        channels = tuple((c.kind, c.target) for c in office.channels)
        return [Recipient(target, None, office.name, office.locale or "zh-CN", channels, office.id)]

    def resolve(self, targets: list[str], instant: dt.datetime, registered_by: str | None = None) -> list[Recipient]:
        found: dict[str, Recipient] = {}
        for target in targets:
            for r in self._one(target, instant, registered_by):
                found.setdefault(r.ident, r)  # the leader on duty may also be named: tell them once
        return list(found.values())

    def report_recipients(self, level: SeverityLevel, instant: dt.datetime) -> list[Recipient]:
        return self.resolve(level.recipients, instant)

    def may_sign(self, person_id: str, instant: dt.datetime) -> bool:
        """签发: the leader on duty at ``instant``, the bureau head, or a signer named in the admin file."""
        leader = self.on_duty(instant).leader_on_duty
        return person_id in {leader.person_id if leader else None, self.head_id, *self.section.signers}
