"""The admin file's cross-reference checks that decide over a validated file alone (no YAML, no database)."""

from __future__ import annotations

from roster.admin.references import check_references, repeated_special_days, understaffed_roles
from roster.admin.schema import BureauFile, Holidays


def bureau(**extra: object) -> BureauFile:
    people = [
        {"id": "p01", "name": "徐超", "phone": "15082760689", "roles": ["leader_on_duty", "duty_officer"]},
        {"id": "p02", "name": "李明", "phone": "13812345678", "roles": ["duty_officer"]},
    ]
    return BureauFile.model_validate({"bureau": {"name": "楚雄局"}, "people": people} | extra)


def test_a_date_listed_twice_is_named_at_its_second_place() -> None:
    holidays = Holidays.model_validate(
        {
            "holidays": [{"date": "2026-10-01"}, {"date": "2026-10-02"}, {"date": "2026-10-01"}],
            "workdays": [{"date": "2026-10-02"}, {"date": "2026-10-11"}],
        }
    )
    assert repeated_special_days(holidays) == [
        (("holidays", "holidays", 2, "date"), "2026-10-01 is listed twice in holidays.holidays"),
        (
            ("holidays", "workdays", 0, "date"),
            "2026-10-02 is listed in holidays.holidays and again in holidays.workdays",
        ),
    ]
    assert repeated_special_days(Holidays()) == []


def test_a_role_with_too_few_holders_names_who_holds_it() -> None:
    short = bureau(requirements={"leader_on_duty": 2, "duty_officer": 2})
    role_ids = {"leader_on_duty", "duty_officer"}
    assert understaffed_roles(short, role_ids) == [
        (("requirements", "leader_on_duty"), "each shift needs 2 leader_on_duty but only 1 person has that role (p01)")
    ]
    roles = [{"id": "leader_on_duty", "name": "带班领导"}, {"id": "duty_officer", "name": "值班员"}]
    with_driver = bureau(roles=[*roles, {"id": "driver", "name": "驾驶员"}], requirements={"driver": 1})
    assert understaffed_roles(with_driver, role_ids | {"driver"}) == [
        (("requirements", "driver"), "each shift needs 1 driver but only 0 people have that role (nobody)")
    ]
    assert understaffed_roles(with_driver, role_ids) == []  # an unknown role is reported as unknown, not short


def test_references_are_reported_in_file_order_of_their_sections() -> None:
    broken = bureau(
        bureau={"name": "楚雄局", "head": "p99"},
        admins=["p01", "p01", "p98"],
        groups=[{"id": "water", "name": "水务组", "leader": "p97"}],
        leave=[{"person": "p96", "from": "2026-11-01", "to": "2026-11-02"}],
    )
    assert [loc for loc, _ in check_references(broken)] == [
        ("bureau", "head"),
        ("admins", 1),
        ("admins", 2),
        ("groups", 0, "leader"),
        ("leave", 0, "person"),
    ]
