"""Applying the admin file: idempotent, exact change reports, inactive instead of deleted, all-or-nothing."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

import roster.admin.apply
from roster.admin.apply import apply_bureau, apply_file, normalized_sha256
from roster.admin.current import current_bureau
from roster.admin.loader import parse_bureau
from roster.cli import app
from roster.storage import open_session
from roster.storage.models.people import BureauConfig, Group, GroupMembership, Leave, Person
from roster.storage.models.shifts import AuditEntry
from tests.admin_helpers import NOW, SEED, SEED_TEXT, dump, line_of, replace_once

runner = CliRunner()
LATER = NOW + dt.timedelta(days=1)


def write(tmp_path: Path, text: str, name: str = "bureau.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def count(url: str, model) -> int:  # noqa: ANN001
    with open_session(url) as s:
        return s.scalar(select(func.count()).select_from(model))


def test_first_apply_then_same_file_changes_nothing(any_db_url: str) -> None:
    first = apply_file(SEED, NOW, any_db_url)
    assert first.changes[0] == "bureau configuration created: 楚雄市住房和城乡建设局"
    assert "person p01 (徐超) added" in first.changes
    assert "group construction (建筑工地防控组) added" in first.changes
    assert "person p03 joined group construction" in first.changes
    assert "leave added: p09 2026-11-30..2026-12-06 (年休假)" in first.changes
    assert (count(any_db_url, Person), count(any_db_url, Group), count(any_db_url, Leave)) == (44, 6, 3)
    assert count(any_db_url, GroupMembership) == 42
    with open_session(any_db_url) as s:
        assert current_bureau(s) == parse_bureau(SEED_TEXT)
        assert s.get(Person, "p04").locale == "en" and s.get(Person, "p01").locale == "zh-CN"
        assert s.get(Group, "water").leader_id == "p08"
        audit = s.scalars(select(AuditEntry)).one()
        assert audit.action == "admin_apply" and audit.details["sha256"] == first.sha256

    before = dump(any_db_url)
    second = apply_file(SEED, LATER, any_db_url)
    assert second.changes == [] and second.summary() == "no changes"
    assert second.sha256 == first.sha256 and second.config_id == first.config_id
    assert dump(any_db_url) == before  # no new BureauConfig row, no audit entry, nothing touched


def test_formatting_and_comments_do_not_count_as_changes(db_url: str, tmp_path: Path) -> None:
    first = apply_file(SEED, NOW, db_url)
    text = "# reformatted by hand\n" + SEED_TEXT.replace("  locale: zh-CN\n", "  locale: 'zh-CN'   # quoted\n")
    text = text.replace(
        "requirements:\n  leader_on_duty: 1\n  duty_officer: 2\n",
        "requirements: {duty_officer: 2, leader_on_duty: 1}\n",
    )
    report = apply_file(write(tmp_path, text), LATER, db_url)
    assert report.changes == [] and report.sha256 == first.sha256
    assert count(db_url, BureauConfig) == 1


def test_changed_file_reports_exactly_what_changed(any_db_url: str, tmp_path: Path) -> None:
    apply_file(SEED, NOW, any_db_url)
    text = SEED_TEXT
    edits = [
        ('phone: "15082760689"', 'phone: "15082760680"'),  # p01
        ("min_rest_hours: 48", "min_rest_hours: 36"),
        ("  - {person: p16, from: 2026-12-14, to: 2026-12-18, reason: 外出培训}\n", ""),
        ("  - {person: p04,", "  - {person: p10, from: 2026-12-24, to: 2026-12-24, reason: 事假}\n  - {person: p04,"),
        ("sector: water_supply, leader: p08}", "sector: water_supply, leader: p02}"),
        ('    rank: 副局长\n    phone: "13553146732"', '    rank: 局长助理\n    phone: "13553146732"'),  # p03
    ]
    for old, new in edits:
        text = replace_once(text, old, new)
    # p44 leaves the bureau: cut its block (the last person) up to the groups section.
    start = text.index("  - id: p44\n")
    text = text[:start] + text[text.index("\n# ==== groups (roster)") + 1 :]
    report = apply_file(write(tmp_path, text), LATER, any_db_url)
    assert sorted(report.changes) == sorted(
        [
            "rules.min_rest_hours: 48 → 36",
            "person p01 phone: '15082760689' → '15082760680'",
            "person p03 rank: '副局长' → '局长助理'",
            "person p44 (周国庆) removed (kept as inactive for history)",
            "group water leader: 'p08' → 'p02'",
            "person p44 left group water",
            "leave added: p10 2026-12-24 (事假)",
            "leave removed: p16 2026-12-14..2026-12-18 (外出培训)",
        ]
    )
    with open_session(any_db_url) as s:
        p44 = s.get(Person, "p44")
        assert p44 is not None and p44.active is False  # history keeps the person
        assert s.scalar(select(func.count()).select_from(Person).where(Person.active)) == 43
        assert s.scalar(select(func.count()).select_from(BureauConfig)) == 2
        assert current_bureau(s).rules.min_rest_hours == 36
        audits = s.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert len(audits) == 2 and audits[1].details["changes"] == report.changes

    # Back to the seed: p44 returns, everything reverts, and the report says so.
    report = apply_file(SEED, LATER + dt.timedelta(days=1), any_db_url)
    assert "person p44 (周国庆) re-activated" in report.changes
    assert "person p44 joined group water" in report.changes
    assert "rules.min_rest_hours: 36 → 48" in report.changes
    with open_session(any_db_url) as s:
        assert s.get(Person, "p44").active is True


def test_dry_run_reports_but_writes_nothing(db_url: str, tmp_path: Path) -> None:
    apply_file(SEED, NOW, db_url)
    before = dump(db_url)
    path = write(tmp_path, replace_once(SEED_TEXT, "max_duties_per_month: 8", "max_duties_per_month: 6"))
    result = runner.invoke(app, ["apply", str(path), "--dry-run", "--now", "2026-11-24T09:00"])
    assert result.exit_code == 0, result.output
    assert "rules.max_duties_per_month: 8 → 6" in result.output
    assert "dry run, nothing written" in result.output
    assert dump(db_url) == before


def test_cli_apply_json_and_no_changes(db_url: str) -> None:
    result = runner.invoke(app, ["apply", str(SEED), "--json", "--now", "2026-11-23T09:00+08:00"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["changed"] is True and data["people"] == 44 and data["groups"] == 6
    core = [line for line in data["changes"] if not line.startswith(("reports:", "calendar:", "inspections:"))]
    assert len(core) == 1 + 44 + 6 + 42 + 3  # created, people, groups, memberships, leave
    with open_session(db_url) as s:
        config = s.scalars(select(BureauConfig)).one()
        assert config.applied_at == dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)
    result = runner.invoke(app, ["apply", str(SEED)])
    assert result.exit_code == 0
    assert result.output.startswith("no changes (44 people, 6 groups")


def test_feature_hooks_run_in_the_same_transaction(any_db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def apply_section(session, bureau, now):  # noqa: ANN001, ANN202
        # The core rows are already flushed in this transaction when the feature runs.
        calls.append(session.get(Person, "p01") is not None)
        return ["inspections: 3 sites added"]

    monkeypatch.setattr(roster.admin.apply, "SECTION_STORES", (apply_section,))
    report = apply_file(SEED, NOW, any_db_url)
    assert calls == [True]
    assert "inspections: 3 sites added" in report.changes


def test_a_failing_feature_hook_leaves_the_database_exactly_as_before(
    any_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    apply_file(SEED, NOW, any_db_url)
    before = dump(any_db_url)

    def apply_section(session, bureau, now):  # noqa: ANN001, ANN202
        raise RuntimeError("inspections section broke half way")

    monkeypatch.setattr(roster.admin.apply, "SECTION_STORES", (*roster.admin.apply.SECTION_STORES, apply_section))
    changed = replace_once(SEED_TEXT, 'phone: "15082760689"', 'phone: "15082760680"')
    changed = changed[: changed.index("  - id: p44\n")] + changed[changed.index("\n# ==== groups (roster)") + 1 :]
    with pytest.raises(RuntimeError, match="half way"):
        apply_file(write(tmp_path, changed), LATER, any_db_url)
    assert dump(any_db_url) == before


def test_apply_bureau_in_callers_session_rolls_back(db_url: str) -> None:
    bureau = parse_bureau(SEED_TEXT)
    with open_session(db_url) as s:
        report = apply_bureau(s, bureau, NOW)
        assert report.sha256 == normalized_sha256(bureau)
        s.rollback()
    assert count(db_url, Person) == 0 and count(db_url, BureauConfig) == 0


def test_invalid_file_on_postgres_changes_nothing(any_db_url: str, tmp_path: Path) -> None:
    apply_file(SEED, NOW, any_db_url)
    before = dump(any_db_url)
    text = replace_once(SEED_TEXT, "{person: p16, from", "{person: p61, from")
    result = runner.invoke(app, ["apply", str(write(tmp_path, text))])
    assert result.exit_code == 1
    assert f"leave[1].person (line {line_of(text, 'person: p61')}): unknown person 'p61'" in result.output
    assert dump(any_db_url) == before


def test_removed_or_absent_people_holding_planned_shifts_are_warned_about(db_url: str, tmp_path: Path) -> None:
    from tests.admin_helpers import add_shift

    apply_file(SEED, NOW, db_url)
    with open_session(db_url) as s:
        for offset, officers in [(-3, ["p44", "p10"]), (2, ["p44", "p10"]), (8, ["p09", "p11"])]:
            day = dt.date(2026, 11, 23) + dt.timedelta(days=offset)
            starts = dt.datetime.combine(day, dt.time(0, 30), tzinfo=dt.UTC)
            add_shift(s, day, starts, 24, {"leader_on_duty": ["p02"], "duty_officer": officers})
        s.commit()
    text = SEED_TEXT[: SEED_TEXT.index("  - id: p44\n")] + SEED_TEXT[SEED_TEXT.index("\n# ==== groups (roster)") + 1 :]
    report = apply_file(write(tmp_path, text), LATER, db_url)
    assert report.warnings == [
        "person p09 is on leave but holds 1 planned shift(s) (2026-12-01): re-plan them",
        # The shift three days ago has ended: history, not a problem.
        "person p44 is no longer in the admin file but holds 1 planned shift(s) (2026-11-25): re-plan them",
    ]
    result = runner.invoke(app, ["apply", str(SEED), "--now", "2026-11-24T09:00"])
    assert result.exit_code == 0
    assert "warning: person p09 is on leave" in result.output
    assert "p44" not in result.output.split("warning:")[-1]


@pytest.mark.postgres
def test_concurrent_applies_on_postgres_serialize(pg_database: str) -> None:
    """Two applies of the same file at once: one creates everything, the other finds nothing left to do."""
    import threading

    from tests.conftest import _empty_postgres

    _empty_postgres(pg_database)
    barrier = threading.Barrier(2)
    reports = []
    errors = []

    def worker() -> None:
        try:
            bureau = parse_bureau(SEED_TEXT)
            barrier.wait()
            reports.append(apply_file_validated(bureau))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def apply_file_validated(bureau):  # noqa: ANN001, ANN202
        from roster.admin.apply import apply_validated

        return apply_validated(bureau, NOW, pg_database)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(len(r.changes) > 0 for r in reports) == [False, True]
    assert count(pg_database, BureauConfig) == 1 and count(pg_database, Person) == 44


def test_reordering_people_is_reported_as_such(db_url: str, tmp_path: Path) -> None:
    apply_file(SEED, NOW, db_url)
    start, end = SEED_TEXT.index("  - id: p43\n"), SEED_TEXT.index("\n# ==== groups (roster)") + 1
    p43_and_p44 = SEED_TEXT[start:end].rstrip("\n") + "\n"
    p44 = p43_and_p44[p43_and_p44.index("  - id: p44\n") :]
    p43 = p43_and_p44[: p43_and_p44.index("  - id: p44\n")]
    text = SEED_TEXT[:start] + p44 + p43 + "\n" + SEED_TEXT[end:]
    report = apply_file(write(tmp_path, text), LATER, db_url)
    assert report.changes == ["order of entries changed in people; nothing else"]
    with open_session(db_url) as s:
        assert [p.id for p in current_bureau(s).people][-2:] == ["p44", "p43"]


def test_cli_summarizes_a_long_report_per_kind_unless_verbose(db_url: str) -> None:
    result = runner.invoke(app, ["apply", str(SEED), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "people: 44 change(s)" in result.output and "  ... and 41 more" in result.output
    assert "memberships: 42 change(s)" in result.output and "leave: 3 change(s)" in result.output
    assert "person p44 (周国庆) added" not in result.output
    result = runner.invoke(app, ["apply", str(SEED), "--dry-run", "--verbose"])
    assert "+ person p44 (周国庆) added" in result.output and "... and" not in result.output
    assert count(db_url, Person) == 0  # dry runs both
