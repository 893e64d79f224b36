"""The admin file's reports section: validation with named fields, references, and an idempotent apply."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError
from reports_helpers import install_bureau, seed_bureau, seed_document
from sqlalchemy import select

from roster.reports.admin_apply import apply_section
from roster.reports.schema import ReportsSection, parse_minutes
from roster.storage import open_session
from roster.storage.models.reports import ReportUnit

NOW = dt.datetime(2026, 11, 22, 16, 0, tzinfo=dt.UTC)  # 2026-11-23 00:00 in Shanghai


def test_seed_section_is_valid_and_complete() -> None:
    bureau = seed_bureau()
    section = bureau.reports
    assert section is not None and section.check_references(bureau) == []
    ids = {u.id for u in section.units}
    assert {"grp-construction", "grp-communities", "grp-real-estate", "grp-affordable", "grp-parks", "grp-water"} <= ids
    assert {u.kind for u in section.units} == {"group", "firm", "team"}
    assert any(u.days == "workdays" for u in section.units)


@pytest.mark.parametrize(("value", "minutes"), [(0, 0), ("30m", 30), ("2h", 120), ("1h30m", 90), ("45", 45)])
def test_durations(value: object, minutes: int) -> None:
    assert parse_minutes(value) == minutes


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"units": [{"id": "x", "name": "x", "contact": "p01", "deadline": "25:00"}]}, "HH:MM"),
        ({"units": [{"id": "x", "name": "x", "contact": "p01", "grace": "soon"}]}, "duration"),
        ({"units": [{"id": "x", "name": "x", "contact": "p01", "policy": "nope"}]}, "unknown policy"),
        (
            {
                "policies": [
                    {
                        "id": "p",
                        "steps": [
                            {"after": "2h", "targets": ["group_leader"]},
                            {"after": "1h", "targets": ["bureau_head"]},
                        ],
                    }
                ]
            },
            "in order",
        ),
        ({"policies": [{"id": "p", "steps": [{"targets": ["the_mayor"]}]}]}, "unknown target"),
        ({"units": [{"id": "x", "name": "x", "contact": "p01", "colour": "red"}]}, "Extra inputs"),
    ],
)
def test_invalid_sections_name_the_problem(patch: dict, message: str) -> None:
    section = {"default_policy": "p", "policies": [{"id": "p", "steps": [{"targets": ["unit_contact"]}]}]}
    section.update(patch)
    if "policies" in patch and patch["policies"][0]["id"] != "p":
        section["default_policy"] = None
    with pytest.raises(ValidationError) as err:
        ReportsSection.model_validate(section)
    assert message in str(err.value)


def test_references_to_unknown_people_and_groups_are_located() -> None:
    doc = seed_document()
    doc["reports"]["units"][0]["contact"] = "p99"
    doc["reports"]["units"][1]["group"] = "nowhere"
    doc["reports"]["policies"][0]["steps"][0]["targets"] = ["person:p98"]
    bureau = seed_bureau(doc)
    errors = bureau.reports.check_references(bureau)
    assert (("reports", "units", 0, "contact"), "no person 'p99'") in errors
    assert (("reports", "units", 1, "group"), "no group 'nowhere'") in errors
    assert (("reports", "policies", 0, "steps", 0, "targets"), "no person 'p98'") in errors


def test_apply_is_idempotent_and_tracks_changes(db_url: str) -> None:
    bureau = seed_bureau()
    with open_session(db_url) as s:
        changes = install_bureau(s, bureau, NOW)
        assert len(changes) == len(bureau.reports.units)
        assert apply_section(s, bureau, NOW) == []
        unit = s.get(ReportUnit, "water-company")
        assert unit.contact["name"] == "杨丽" and unit.contact_person_id is None
        assert unit.active_from == dt.date(2026, 11, 23) and unit.steps[0]["targets"] == ["unit_contact"]

        doc = seed_document()
        doc["reports"]["units"] = [u for u in doc["reports"]["units"] if u["id"] != "pm-lucheng"]
        doc["reports"]["units"][0]["deadline"] = "17:30"
        changed = apply_section(s, seed_bureau(doc), NOW + dt.timedelta(days=3))
        s.commit()
        assert "reports: changed unit grp-construction: deadline" in changed
        assert any("removed unit pm-lucheng" in line for line in changed)
        assert s.get(ReportUnit, "pm-lucheng").active is False
        assert s.get(ReportUnit, "grp-construction").active_from == dt.date(2026, 11, 23)  # kept
        assert len(s.scalars(select(ReportUnit).where(ReportUnit.active.is_(True))).all()) == 10
