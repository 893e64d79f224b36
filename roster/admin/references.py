"""The admin file's third pass: ids that must exist elsewhere in the file (people, groups, roles, feature
sections), unique ids, and enough eligible people per role. Pure decisions over a validated ``BureauFile``
(or the loader's lenient view of a file that failed the shape pass), each returning ``(location, message)``.
"""

from __future__ import annotations

import difflib
from typing import Any

from roster.admin.issues import Location
from roster.admin.schema import BureauFile
from roster.admin.sections import SECTIONS


def check_references(bureau: BureauFile, features: bool = True) -> list[tuple[Location, str]]:
    """Ids that must exist elsewhere in the file, unique ids, and enough eligible people per role."""
    errors: list[tuple[Location, str]] = []
    person_ids = _unique(errors, "people", [p.id for p in bureau.people], "person")
    group_ids = _unique(errors, "groups", [g.id for g in bureau.groups], "group")
    role_ids = _unique(errors, "roles", [r.id for r in bureau.roles], "role")
    errors += _role_and_group_references(bureau, person_ids, group_ids, role_ids)
    errors += _person_references(bureau, person_ids)
    errors += repeated_special_days(bureau.holidays)
    errors += understaffed_roles(bureau, role_ids)
    errors += _feature_reference_issues(bureau) if features else []
    return errors


def _unknown(ids: set[str], value: str, what: str, section: str) -> str | None:
    """Why ``value`` is not a known ``what`` (with a suggestion, or where to define it), or None if it is."""
    if value in ids:
        return None
    # Person ids (p07, p01 ...) all look alike, so only role and group names get a suggestion.
    hint = difflib.get_close_matches(value, sorted(ids), n=1) if what != "person" else []
    tail = f"; did you mean {hint[0]!r}?" if hint else f"; define it under {section}:"
    return f"unknown {what} {value!r}{tail}"


def _role_and_group_references(
    bureau: BureauFile, person_ids: set[str], group_ids: set[str], role_ids: set[str]
) -> list[tuple[Location, str]]:
    """The bureau head, the roles each shift requires, and each person's roles and groups."""
    errors: list[tuple[Location, str]] = []
    if bureau.bureau.head is not None and (msg := _unknown(person_ids, bureau.bureau.head, "person", "people")):
        errors.append((("bureau", "head"), msg))
    for role, count in bureau.requirements.items():
        if msg := _unknown(role_ids, role, "role", "roles"):
            errors.append((("requirements", role), msg))
        elif count < 0:
            errors.append((("requirements", role), f"must be 0 or more, got {count}"))
    for i, person in enumerate(bureau.people):
        for what, ids, section, listed in (
            ("role", role_ids, "roles", person.roles),
            ("group", group_ids, "groups", person.groups),
        ):
            for j, value in enumerate(listed):
                if msg := _unknown(ids, value, what, section):
                    errors.append((("people", i, section, j), msg))
                elif value in listed[:j]:
                    errors.append((("people", i, section, j), f"{what} {value!r} is listed twice"))
    return errors


def _person_references(bureau: BureauFile, person_ids: set[str]) -> list[tuple[Location, str]]:
    """Every other place that names a person: admins, group leaders, leave, not-together pairs, the ledger."""
    errors: list[tuple[Location, str]] = []
    for i, admin in enumerate(bureau.admins):
        if msg := _unknown(person_ids, admin, "person", "people"):
            errors.append((("admins", i), msg))
        elif admin in bureau.admins[:i]:
            errors.append((("admins", i), f"person {admin!r} is listed twice"))
    named = [(("groups", i, "leader"), g.leader) for i, g in enumerate(bureau.groups) if g.leader is not None]
    named += [(("leave", i, "person"), span.person) for i, span in enumerate(bureau.leave)]
    errors += [(loc, msg) for loc, person_id in named if (msg := _unknown(person_ids, person_id, "person", "people"))]
    for i, pair in enumerate(bureau.rules.not_together):
        for j, person_id in enumerate(pair):
            if msg := _unknown(person_ids, person_id, "person", "people"):
                errors.append((("rules", "not_together", i, j), msg))
        if pair[0] == pair[1]:
            errors.append((("rules", "not_together", i), f"lists {pair[0]!r} twice; a pair needs two people"))
    for person_id in bureau.fairness.ledger:
        if msg := _unknown(person_ids, person_id, "person", "people"):
            errors.append((("fairness", "ledger", person_id), msg))
    return errors


def repeated_special_days(holidays: Any) -> list[tuple[Location, str]]:
    """Pure: a date listed twice among ``holidays.holidays`` and ``holidays.workdays`` (each after its first)."""
    errors: list[tuple[Location, str]] = []
    seen_days: dict = {}
    for kind in ("holidays", "workdays"):
        for i, day in enumerate(getattr(holidays, kind)):
            if day.date in seen_days:
                first = seen_days[day.date]
                where = (
                    f"twice in holidays.{kind}"
                    if first == kind
                    else f"in holidays.{first} and again in holidays.{kind}"
                )
                errors.append((("holidays", kind, i, "date"), f"{day.date.isoformat()} is listed {where}"))
            else:
                seen_days[day.date] = kind
    return errors


def understaffed_roles(bureau: BureauFile, role_ids: set[str]) -> list[tuple[Location, str]]:
    """Pure: each known role a shift needs more holders of than there are people with that role."""
    errors: list[tuple[Location, str]] = []
    for role, needed in bureau.requirements.items():
        if role not in role_ids or needed <= 0:
            continue
        eligible = [p.id for p in bureau.people if role in p.roles]
        if len(eligible) < needed:
            who = ", ".join(eligible) if eligible else "nobody"
            have = "person has" if len(eligible) == 1 else "people have"
            message = f"each shift needs {needed} {role} but only {len(eligible)} {have} that role ({who})"
            errors.append((("requirements", role), message))
    return errors


def _feature_reference_issues(bureau: BureauFile) -> list[tuple[Location, str]]:
    """Each feature section's own reference checks, located under the section's field."""
    errors: list[tuple[Location, str]] = []
    for section in SECTIONS:
        validated = section.of(bureau)
        if section.check_references is None or validated is None:
            continue
        for loc, message in section.check_references(validated, bureau):
            loc = tuple(loc)
            errors.append((loc if loc[:1] == (section.field,) else (section.field, *loc), message))
    return errors


def _unique(errors: list[tuple[Location, str]], section: str, ids: list[str], what: str) -> set[str]:
    first: dict[str, int] = {}
    for index, value in enumerate(ids):
        if value in first:
            errors.append(
                ((section, index, "id"), f"duplicate {what} id {value!r} (first at {section}[{first[value]}])")
            )
        else:
            first[value] = index
    return set(first)
