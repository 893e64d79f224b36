"""``dutyflow now``: the leader on duty and officers at an instant, local shift times, and a light import path."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

from typer.testing import CliRunner

from roster.admin.apply import apply_file
from roster.cli import app
from roster.storage import open_session
from roster.storage.migrate import _heads_from_files, alembic_config
from tests.admin_helpers import NOW, ROOT, SEED, SEED_TEXT, add_shift, replace_once

runner = CliRunner()
UTC = dt.UTC


def seed_two_days(url: str) -> None:
    apply_file(SEED, NOW, url)
    with open_session(url) as s:
        start = dt.datetime(2026, 11, 23, 0, 30, tzinfo=UTC)  # 08:30 in Shanghai
        add_shift(s, dt.date(2026, 11, 23), start, 24, {"leader_on_duty": ["p02"], "duty_officer": ["p09", "p10"]})
        add_shift(
            s,
            dt.date(2026, 11, 24),
            start + dt.timedelta(days=1),
            24,
            {"leader_on_duty": ["p03"], "duty_officer": ["p11", "p12"]},
        )
        s.commit()


def test_now_json_names_phones_and_local_shift_times(any_db_url: str) -> None:
    seed_two_days(any_db_url)
    result = runner.invoke(app, ["now", "--now", "2026-11-24T08:29:59+08:00", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["timezone"] == "Asia/Shanghai"
    assert data["shift"] == {
        "uid": "20261123-full@dutyflow",
        "starts_at": "2026-11-23T08:30:00+08:00",
        "ends_at": "2026-11-24T08:30:00+08:00",
    }
    assert data["leader_on_duty"] == {"id": "p02", "name": "马永红", "phone": "13952885511", "role": "leader_on_duty"}
    assert [o["id"] for o in data["officers"]] == ["p09", "p10"]
    assert all(o["phone"] and o["name"] for o in data["officers"])

    # At the handover the next shift takes over (end exclusive); a value without offset is bureau-local.
    result = runner.invoke(app, ["now", "--now", "2026-11-24T08:30", "--json"])
    assert json.loads(result.stdout)["leader_on_duty"]["id"] == "p03"


def test_now_text_uses_the_bureau_role_names(db_url: str) -> None:
    seed_two_days(db_url)
    result = runner.invoke(app, ["now", "--now", "2026-11-23T20:00+08:00"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "2026-11-23 20:00 Asia/Shanghai"
    assert lines[1] == "shift 2026-11-23 08:30 → 2026-11-24 08:30 (20261123-full@dutyflow)"
    assert lines[2] == "  带班领导: 马永红  13952885511"
    assert lines[3:] == [f"  值班员: {_name(db_url, p)}  {_phone(db_url, p)}" for p in ("p09", "p10")]


def test_now_in_english_and_another_zone(db_url: str, tmp_path) -> None:  # noqa: ANN001
    text = replace_once(
        SEED_TEXT, "  timezone: Asia/Shanghai\n  locale: zh-CN\n", "  timezone: Asia/Urumqi\n  locale: en\n"
    )
    path = tmp_path / "urumqi.yaml"
    path.write_text(text, encoding="utf-8")
    apply_file(path, NOW, db_url)
    with open_session(db_url) as s:
        start = dt.datetime(2026, 11, 23, 2, 30, tzinfo=UTC)  # 08:30 in Urumqi (UTC+6)
        add_shift(s, dt.date(2026, 11, 23), start, 24, {"leader_on_duty": ["p05"], "duty_officer": ["p13", "p14"]})
        s.commit()
    result = runner.invoke(app, ["now", "--now", "2026-11-23T03:00:00Z"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:3] == [
        "2026-11-23 09:00 Asia/Urumqi",
        "shift 2026-11-23 08:30 → 2026-11-24 08:30 (20261123-full@dutyflow)",
        "  Leader on duty: 何华  " + _phone(db_url, "p05"),
    ]


def _name(url: str, person_id: str) -> str:
    from roster.storage.models.people import Person

    with open_session(url) as s:
        return s.get(Person, person_id).name


def _phone(url: str, person_id: str) -> str:
    from roster.storage.models.people import Person

    with open_session(url) as s:
        return s.get(Person, person_id).phone


def test_nothing_planned_is_a_clear_message_and_exit_1(db_url: str) -> None:
    seed_two_days(db_url)
    result = runner.invoke(app, ["now", "--now", "2026-12-25T10:00+08:00"])
    assert result.exit_code == 1
    assert "nothing is planned for 2026-12-25 10:00 (Asia/Shanghai)" in result.output
    result = runner.invoke(app, ["now", "--now", "2026-12-25T10:00+08:00", "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["on_duty"] is False


def test_now_rejects_a_bad_instant(db_url: str) -> None:
    result = runner.invoke(app, ["now", "--now", "yesterday-ish"])
    assert result.exit_code == 2
    assert "--now: not an ISO 8601 date-time" in result.output


def test_now_import_path_stays_light(db_url: str) -> None:
    """The fast path imports neither Prefect, the solver, FastAPI, Alembic nor the admin-file validation."""
    code = (
        "import sys\n"
        "from roster.cli import app\n"
        "try:\n"
        "    app(['now', '--now', '2026-11-23T12:00+08:00', '--json'], standalone_mode=False)\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('prefect', 'ortools', 'fastapi', 'alembic', 'icalendar', 'apprise', 'uvicorn', 'ruamel',\n"
        "         'email_validator', 'roster.admin.schema', 'roster.planning')\n"
        "print(sorted({m for m in sys.modules if m.startswith(heavy)}))\n"
    )
    seed_two_days(db_url)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout


def test_heads_read_from_files_match_alembic() -> None:
    from alembic.script import ScriptDirectory

    assert _heads_from_files() == frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def test_the_console_fast_path_answers_like_the_typer_command_without_sqlalchemy_or_typer(db_url: str) -> None:
    """`dutyflow now --json --now ...` (roster.cli.main): same answer as the Typer command, plain reads only."""
    import os

    seed_two_days(db_url)
    argv = ["now", "--now", "2026-11-24T08:29:59+08:00", "--json"]
    code = (
        "import sys\n"
        f"sys.argv = ['dutyflow', *{argv!r}]\n"
        "from roster.cli import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exit:\n"
        "    heavy = ('sqlalchemy', 'typer', 'pydantic', 'pendulum', 'roster.storage.models', 'roster.admin')\n"
        "    print(sorted({m for m in sys.modules if m.startswith(heavy)}), exit.code)\n"
    )
    env = {**os.environ, "DUTYFLOW_DATABASE_URL": db_url}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    *answer, modules = out.stdout.strip().splitlines()
    assert modules == "[] 0", out.stdout
    assert json.loads("\n".join(answer)) == json.loads(runner.invoke(app, argv).stdout)


def test_a_database_never_migrated_takes_the_orm_path_and_is_migrated(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    monkeypatch.setenv("DUTYFLOW_DATABASE_URL", url)
    result = runner.invoke(app, ["now", "--now", "2026-11-23T12:00+08:00"])
    assert result.exit_code == 1 and "nothing is planned for 2026-11-23 12:00 (Asia/Shanghai)" in result.output
    from roster.storage.plain import connect_plain

    with connect_plain(url) as connection:  # migrated by the ORM path: the plain path now serves it
        assert connection.rows("SELECT count(*) FROM shifts") == [(0,)]


def test_answer_now_is_a_pure_decision() -> None:
    from roster.cli._now import answer_now
    from roster.on_duty import OnDuty, OnDutyPerson

    at = dt.datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
    document = {"bureau": {"locale": "en"}, "roles": [{"id": "duty_officer", "name": "值班员", "name_en": "Officer"}]}
    shift = OnDuty(
        at=at,
        shift_uid="u1",
        starts_at=dt.datetime(2026, 11, 23, 0, 30, tzinfo=UTC),
        ends_at=dt.datetime(2026, 11, 24, 0, 30, tzinfo=UTC),
        people=[OnDutyPerson("p09", "Li", "13800000000", "duty_officer")],
    )
    answer = answer_now(document, "Asia/Shanghai", shift)
    assert answer.exit_code == 0 and answer.data["leader_on_duty"] is None
    assert answer.lines == [
        "2026-11-23 11:00 Asia/Shanghai",
        "shift 2026-11-23 08:30 → 2026-11-24 08:30 (u1)",
        "  Leader on duty: (nobody assigned)",
        "  Officer: Li  13800000000",
    ]
    nothing = answer_now({}, "Asia/Urumqi", OnDuty(at=at, shift_uid=None, starts_at=None, ends_at=None))
    assert nothing.exit_code == 1 and nothing.data["on_duty"] is False
    assert nothing.lines[0].startswith("nothing is planned for 2026-11-23 09:00 (Asia/Urumqi)")
