"""Roles are derived from the admin file in force, never stored: applying a new file changes them at once.

- admin: listed under ``admins:``;
- leader: holds the leader-on-duty role;
- staff: every other person in the file (an admin who is not a leader is also staff);
- unit: one login per reporting unit (``reports.units``).
"""

from __future__ import annotations

from dataclasses import dataclass

from roster.admin.schema import LEADER_ON_DUTY, BureauFile

ROLES = ("admin", "leader", "staff", "unit")
PERSON, UNIT = "person", "unit"


@dataclass(frozen=True)
class Subject:
    """Someone the admin file says may have an account."""

    kind: str  # PERSON or UNIT
    id: str
    name: str
    roles: frozenset[str]
    locale: str | None = None
    phone: str = ""


def person_roles(bureau: BureauFile, person_id: str) -> frozenset[str]:
    person = bureau.person(person_id)
    if person is None:
        return frozenset()
    roles = {"leader"} if LEADER_ON_DUTY in person.roles else {"staff"}
    if person_id in bureau.admins:
        roles.add("admin")
    return frozenset(roles)


def subjects(bureau: BureauFile) -> list[Subject]:
    """Every person and reporting unit of the file, in file order (people first)."""
    out = [Subject(PERSON, p.id, p.name, person_roles(bureau, p.id), p.locale, p.phone) for p in bureau.people]
    units = bureau.reports.units if bureau.reports is not None else []
    out.extend(Subject(UNIT, u.id, u.name, frozenset({"unit"})) for u in units)
    return out


def find_subject(bureau: BureauFile, kind: str, subject_id: str) -> Subject | None:
    return next((s for s in subjects(bureau) if s.kind == kind and s.id == subject_id), None)


def resolve_login(bureau: BureauFile, name: str) -> Subject | None:
    """``p05`` is a person, ``grp-parks`` a unit; ``unit:ID`` forces a unit when a person has the same id."""
    name = name.strip()
    if name.startswith("unit:"):
        return find_subject(bureau, UNIT, name.removeprefix("unit:"))
    return find_subject(bureau, PERSON, name) or find_subject(bureau, UNIT, name)


def login_name(bureau: BureauFile, subject: Subject) -> str:
    """The login typed on the form: the id, with ``unit:`` only where a person already uses that id."""
    if subject.kind == UNIT and bureau.person(subject.id) is not None:
        return f"unit:{subject.id}"
    return subject.id
