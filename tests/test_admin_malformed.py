"""Malformed admin files: each error names its location and line, and the database stays exactly as it was."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from roster.admin.apply import apply_file
from roster.admin.loader import AdminFileError, parse_bureau
from roster.cli import app
from roster.storage import reset_engines
from tests.admin_helpers import NOW, SEED, SEED_TEXT, dump, line_of, replace_once

runner = CliRunner()


@dataclass(frozen=True)
class Case:
    name: str
    text: Callable[[], str]
    location: str
    line: Callable[[str], int]
    message: str


def seed_with(old: str, new: str) -> Callable[[], str]:
    return lambda: replace_once(SEED_TEXT, old, new)


def at(needle: str, occurrence: int = 1) -> Callable[[str], int]:
    return lambda text: line_of(text, needle, occurrence)


CASES = [
    Case(
        "yaml syntax error",
        seed_with("  locale: zh-CN\n", "\tlocale: zh-CN\n"),
        "(file)",
        at("\tlocale: zh-CN"),
        "YAML syntax: found character '\\t' that cannot start any token",
    ),
    Case(
        "unclosed flow sequence",
        seed_with("    - [p01, p02]", "    - [p01, p02"),
        "(file)",
        at("fairness:"),  # the parser notices at the next key
        "YAML syntax: expected ',' or ']'",
    ),
    Case(
        "duplicate key",
        seed_with("  timezone: Asia/Shanghai\n", "  timezone: Asia/Shanghai\n  timezone: Asia/Urumqi\n"),
        "bureau.timezone",
        at("timezone: Asia/Urumqi"),
        "duplicate key 'timezone' (first at line 8)",
    ),
    Case(
        "unknown field",
        seed_with('    phone: "13952885511"\n', '    phone: "13952885511"\n    phon: "13952885511"\n'),
        "people[1].phon",
        at('phon: "13952885511"'),
        "unknown field 'phon'; did you mean 'phone'?",
    ),
    Case(
        "bad phone",
        seed_with('"15083496675"', '"1508349667"'),
        "people[3].phone",
        at('"1508349667"'),
        "not a mainland mobile (13812345678) or landline (0878-3123456) number: '1508349667'",
    ),
    Case(
        "bad email",
        seed_with("    email: yonghong.ma02@cxzjj.gov.cn", "    email: yonghong.ma02-at-cxzjj.gov.cn"),
        "people[1].email",
        at("email: yonghong.ma02-at-cxzjj.gov.cn"),
        "value is not a valid email address",
    ),
    Case(
        "unknown time zone",
        seed_with("timezone: Asia/Shanghai", "timezone: Asia/Chuxiong"),
        "bureau.timezone",
        at("Asia/Chuxiong"),
        "unknown IANA time zone 'Asia/Chuxiong'",
    ),
    Case(
        "unknown role in requirements",
        seed_with("  duty_officer: 2\n", "  duty_officer: 2\n  cook: 1\n"),
        "requirements.cook",
        at("  cook: 1"),
        "unknown role 'cook'; define it under roles:",
    ),
    Case(
        "leave to before from",
        seed_with("from: 2026-11-30, to: 2026-12-06", "from: 2026-11-30, to: 2026-11-06"),
        "leave[0]",
        at("to: 2026-11-06"),
        "'to' is before 'from'",
    ),
    Case(
        "leave for unknown person",
        seed_with("{person: p16, from", "{person: p61, from"),
        "leave[1].person",
        at("{person: p61"),
        "unknown person 'p61'; define it under people:",
    ),
    Case(
        "duplicate person id",
        seed_with("  - id: p44\n", "  - id: p43\n"),
        "people[43].id",
        at("  - id: p43", 2),
        "duplicate person id 'p43' (first at people[42])",
    ),
    Case(
        "not_together with the same person twice",
        seed_with("    - [p01, p02]", "    - [p01, p01]"),
        "rules.not_together[0]",
        at("- [p01, p01]"),
        "lists 'p01' twice; a pair needs two people",
    ),
    Case(
        "unknown group",
        seed_with("    groups: [construction]\n", "    groups: [construktion]\n"),
        "people[2].groups[0]",
        at("groups: [construktion]"),
        "unknown group 'construktion'; did you mean 'construction'?",
    ),
    Case(
        "bad handover time",
        seed_with('  handover: "08:30"', '  handover: "08:75"'),
        "shift_pattern.handover",
        at('handover: "08:75"'),
        "expected a local time HH:MM, got '08:75'",
    ),
    Case(
        "night_starts with kind full",
        seed_with('  handover: "08:30"\n', '  handover: "08:30"\n  night_starts: "18:00"\n'),
        "shift_pattern",
        at("shift_pattern:"),
        "night_starts only applies when kind is day_night",
    ),
    Case(
        "too few eligible people for a role",
        seed_with("  leader_on_duty: 1\n", "  leader_on_duty: 9\n"),
        "requirements.leader_on_duty",
        at("leader_on_duty: 9"),
        "each shift needs 9 leader_on_duty but only 8 people have that role",
    ),
    Case(
        "wrong version",
        seed_with("version: 1\n", "version: 2\n"),
        "version",
        at("version: 2"),
        "unsupported admin file version 2; this dutyflow reads version 1",
    ),
    Case(
        "unknown group leader",
        seed_with("sector: construction_sites, leader: p03}", "sector: construction_sites, leader: p93}"),
        "groups[0].leader",
        at("leader: p93"),
        "unknown person 'p93'",
    ),
    Case(
        "unknown bureau head",
        seed_with("  head: p01", "  head: p00"),
        "bureau.head",
        at("head: p00"),
        "unknown person 'p00'",
    ),
    Case(
        "fairness ledger for unknown person",
        seed_with("    p08: {duties: 7", "    p88: {duties: 7"),
        "fairness.ledger.p88",
        at("p88: {duties"),
        "unknown person 'p88'",
    ),
    Case(
        "unknown channel kind",
        seed_with("      - {kind: email, target: chao.xu01@cxzjj.gov.cn}", "      - {kind: sms, target: x}"),
        "people[0].channels[0].kind",
        at("{kind: sms"),
        "Input should be 'email', 'wecom', 'dingtalk', 'feishu', 'webhook' or 'console'",
    ),
    Case(
        "missing required field",
        seed_with("    name: 马永红\n", ""),
        "people[1].name",
        at("  - id: p02"),
        "required field is missing",
    ),
    Case(
        "bad id",
        seed_with("  - id: p44\n", "  - id: P44\n"),
        "people[43].id",
        at("id: P44"),
        "not a valid id 'P44'",
    ),
    Case(
        "a day listed twice",
        seed_with("  workdays: []\n", "  workdays: [{date: 2030-01-05}, {date: 2030-01-05}]\n"),
        "holidays.workdays[1].date",
        at("workdays: [{date"),
        "2030-01-05 is listed twice in holidays.workdays",
    ),
    Case(
        "feature section reference (reports unit with an unknown group)",
        seed_with("contact: p09, group: construction,", "contact: p09, group: constructio,"),
        "reports.units[0].group",
        at("group: constructio,"),
        "no group 'constructio'",
    ),
    Case(
        "a group listed twice on a person",
        seed_with("    groups: [construction]\n", "    groups: [construction, construction]\n"),
        "people[2].groups[1]",
        at("groups: [construction, construction]"),
        "group 'construction' is listed twice",
    ),
    Case(
        "top level is a list",
        lambda: "- id: p01\n",
        "(file)",
        lambda text: 1,
        "the admin file must be a mapping",
    ),
]


@pytest.fixture(scope="module")
def seeded_template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("admin-seeded") / "seeded.db"
    shutil.copy(sqlite_template, path)
    apply_file(SEED, NOW, f"sqlite:///{path}")
    reset_engines()
    return path


@pytest.fixture
def seeded_url(seeded_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    path = tmp_path / "db.sqlite"
    shutil.copy(seeded_template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("DUTYFLOW_DATABASE_URL", url)
    monkeypatch.setenv("DUTYFLOW_HOME", str(tmp_path / "home"))
    yield url
    reset_engines()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_malformed_file_is_rejected_with_location_and_line(case: Case, seeded_url: str, tmp_path: Path) -> None:
    text = case.text()
    expected_line = case.line(text)
    with pytest.raises(AdminFileError) as raised:
        parse_bureau(text)
    matching = [i for i in raised.value.issues if i.location == case.location and case.message in i.message]
    assert matching, raised.value.issues
    assert matching[0].line == expected_line, matching[0]

    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    before = dump(seeded_url)
    result = runner.invoke(app, ["apply", str(path), "--now", "2026-11-24T09:00"])
    assert result.exit_code == 1, result.output
    assert f"{case.location} (line {expected_line}): " in result.output
    assert case.message in result.output
    assert "nothing was applied" in result.output
    assert dump(seeded_url) == before

    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1
    assert case.message in result.output


def test_every_error_is_reported_at_once(tmp_path: Path) -> None:
    text = SEED_TEXT
    for old, new in [
        ('"15083496675"', '"1508349667"'),
        ("timezone: Asia/Shanghai", "timezone: Asia/Chuxiong"),
        ("    email: yonghong.ma02@cxzjj.gov.cn", "    email: nope"),
    ]:
        text = replace_once(text, old, new)
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["validate", str(path), "--json"])
    assert result.exit_code == 1
    import json

    errors = json.loads(result.stdout)["errors"]
    assert [(e["location"], e["line"]) for e in errors] == [
        ("bureau.timezone", line_of(text, "Asia/Chuxiong")),
        ("people[1].email", line_of(text, "email: nope")),
        ("people[3].phone", line_of(text, '"1508349667"')),
    ]


def test_reference_errors_are_all_reported(tmp_path: Path) -> None:
    text = replace_once(SEED_TEXT, "  head: p01", "  head: p00")
    text = replace_once(text, "{person: p16, from", "{person: p61, from")
    text = replace_once(text, "    groups: [construction]\n", "    groups: [construktion]\n")
    with pytest.raises(AdminFileError) as raised:
        parse_bureau(text)
    assert [i.location for i in raised.value.issues] == ["bureau.head", "people[2].groups[0]", "leave[1].person"]
    assert "3 error(s)" in str(raised.value)


def test_missing_and_empty_files(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1
    assert "no such file" in result.output
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing\n", encoding="utf-8")
    result = runner.invoke(app, ["validate", str(empty)])
    assert result.exit_code == 1
    assert "the admin file is empty" in result.output


def test_unquoted_mobile_number_is_accepted_as_text() -> None:
    bureau = parse_bureau(replace_once(SEED_TEXT, 'phone: "15082760689"', "phone: 15082760689"))
    assert bureau.people[0].phone == "15082760689"


def test_seed_validates() -> None:
    result = runner.invoke(app, ["validate", str(SEED)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: 44 people, 6 groups, 2 roles, 3 leave spans")


def test_a_union_value_reports_the_matching_member_only() -> None:
    text = replace_once(SEED_TEXT, "contact: p09, group: construction,", "contact: 5, group: construction,")
    text = replace_once(text, "        name: 李红梅\n", "        nam: 李红梅\n")
    with pytest.raises(AdminFileError) as raised:
        parse_bureau(text)
    issues = [(i.location, i.line, i.message) for i in raised.value.issues]
    assert len(issues) == 3, issues
    location, line, message = issues[0]
    assert (location, line) == ("reports.units[0].contact", line_of(text, "contact: 5,"))
    assert message.startswith("expected ") and message.endswith("(got int 5)")
    assert issues[1][0] == "reports.units[6].contact.name" and issues[1][2] == "required field is missing"
    assert issues[2][:2] == ("reports.units[6].contact.nam", line_of(text, "nam: 李红梅"))


def test_reference_errors_are_reported_together_with_shape_errors() -> None:
    text = replace_once(SEED_TEXT, '"15083496675"', '"150834"')  # shape: bad phone (p04)
    text = replace_once(text, "    name: 马永红\n", "")  # shape: p02 has no name
    text = replace_once(text, "    groups: [construction]\n", "    groups: [construktion]\n")  # reference
    text = replace_once(text, "{person: p16, from", "{person: p61, from")  # reference
    text = replace_once(text, "  leader_on_duty: 1\n", "  leader_on_duty: 9\n")  # reference: too few
    with pytest.raises(AdminFileError) as raised:
        parse_bureau(text)
    assert [(i.location, i.line) for i in raised.value.issues] == [
        ("requirements.leader_on_duty", line_of(text, "leader_on_duty: 9")),
        ("people[1].name", line_of(text, "  - id: p02")),
        ("people[2].groups[0]", line_of(text, "groups: [construktion]")),
        ("people[3].phone", line_of(text, '"150834"')),
        ("leave[1].person", line_of(text, "person: p61")),
    ]


def test_a_broken_element_does_not_also_raise_reference_errors() -> None:
    # The leave span's person is not text: one shape error, not a second "unknown person" for the same place.
    text = replace_once(SEED_TEXT, "{person: p16, from", "{person: [p16], from")
    with pytest.raises(AdminFileError) as raised:
        parse_bureau(text)
    assert [i.location for i in raised.value.issues] == ["leave[1].person"]


def test_a_day_both_holiday_and_workday() -> None:
    text = (
        "version: 1\nbureau: {name: X}\npeople:\n  - {id: p1, name: A, phone: '13812345678', roles: [leader_on_duty]}\n"
    )
    text += "requirements: {leader_on_duty: 1}\nholidays:\n  holidays: [{date: 2027-01-01}]\n"
    text += "  workdays:\n    - {date: 2027-01-02}\n    - {date: 2027-01-01}\n"
    with pytest.raises(AdminFileError) as raised:
        parse_bureau(text)
    assert [tuple(i) for i in raised.value.issues] == [
        ("holidays.workdays[1].date", 10, "2027-01-01 is listed in holidays.holidays and again in holidays.workdays")
    ]
