"""Issue 16 (6, 7, 8): secrets at rest, an unreachable database, and backup/restore on both databases."""

from __future__ import annotations

import datetime as dt
import os
import stat
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from reports_helpers import install_bureau, seed_bureau
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from roster.cli import app
from roster.inspections.jobs import assign_day
from roster.reports import links
from roster.reports.escalation import check
from roster.reports.ledger import Attachment, submit
from roster.storage import get_engine, open_session, reset_engines
from tests.admin_helpers import dump
from tests.conftest import PG_ADMIN_URL

runner = CliRunner()
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)  # 18:00 in Shanghai: the 16:00 reports are late


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# ------------------------------------------------------------------------------------------- secrets (6)


def test_home_is_0700_database_0600_and_the_signing_key_is_not_in_the_database(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    home = tmp_path / "fresh" / "home"
    monkeypatch.setenv("DUTYFLOW_HOME", str(home))
    monkeypatch.delenv("DUTYFLOW_DATABASE_URL", raising=False)
    monkeypatch.delenv("DUTYFLOW_SECRET_KEY", raising=False)
    old = os.umask(0o022)
    try:
        from roster.config import database_url

        url = database_url()
        with open_session(url) as s:
            install_bureau(s, seed_bureau(), NOW - dt.timedelta(days=3))
            check(s, NOW)  # signs acknowledgement links
            s.commit()
        key = links.server_secret()
    finally:
        os.umask(old)
        reset_engines()
    assert _mode(home) == 0o700
    assert _mode(home / "dutyflow.db") == 0o600
    assert _mode(home / "signing-keys.json") == 0o600
    raw = (home / "dutyflow.db").read_bytes() + b"".join(
        p.read_bytes() for p in home.glob("dutyflow.db-*") if p.is_file()
    )
    assert key.encode() not in raw  # a reader of the database cannot forge a link
    with create_engine(url).connect() as conn:
        tables = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))}
    assert "report_secrets" not in tables


def test_the_key_can_come_from_the_environment(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("DUTYFLOW_HOME", str(tmp_path / "h"))
    monkeypatch.setenv("DUTYFLOW_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("DUTYFLOW_SECRET_KEY_PREVIOUS", "p" * 40)
    assert links.server_secret() == "k" * 40 and links.accepted_secrets() == ("k" * 40, "p" * 40)
    assert not (tmp_path / "h" / "signing-keys.json").exists()
    result = runner.invoke(app, ["secret", "rotate"])
    assert result.exit_code == 2 and "DUTYFLOW_SECRET_KEY_PREVIOUS" in result.output
    monkeypatch.setenv("DUTYFLOW_SECRET_KEY", "short")
    assert runner.invoke(app, ["secret", "show"]).exit_code == 2


def test_rotation_keeps_links_signed_with_the_previous_key_valid_until_they_expire(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("DUTYFLOW_HOME", str(tmp_path / "h"))
    monkeypatch.delenv("DUTYFLOW_SECRET_KEY", raising=False)
    day = dt.date(2026, 11, 22)
    old_key = links.server_secret()
    old_link = links.sign_ack(old_key, "grp-water", day, "p03", NOW + dt.timedelta(hours=48))
    result = runner.invoke(app, ["secret", "rotate", "--now", NOW.isoformat(), "--json"])
    assert result.exit_code == 0, result.output and '"retired_keys_accepted": 1' in result.output
    assert old_key not in result.output
    new_key = links.server_secret()
    assert new_key != old_key
    assert links.verify_ack(links.accepted_secrets(), old_link, NOW + dt.timedelta(hours=47)).person_id == "p03"
    with pytest.raises(links.LinkError, match="expired"):
        links.verify_ack(links.accepted_secrets(), old_link, NOW + dt.timedelta(hours=48))
    # a second rotation soon after still honours the first key; one long after drops it
    runner.invoke(app, ["secret", "rotate", "--now", (NOW + dt.timedelta(hours=1)).isoformat()])
    assert old_key in links.accepted_secrets()
    runner.invoke(app, ["secret", "rotate", "--now", (NOW + dt.timedelta(days=40)).isoformat()])
    assert old_key not in links.accepted_secrets() and new_key not in links.accepted_secrets()
    with pytest.raises(links.LinkError, match="signature"):
        links.verify_ack(links.accepted_secrets(), old_link, NOW)
    assert _mode(tmp_path / "h" / "signing-keys.json") == 0o600


def test_migration_moves_the_old_secret_out_of_the_database(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    from alembic import command

    from roster.storage.migrate import alembic_config, current_revisions, ensure_schema, head_revisions

    monkeypatch.setenv("DUTYFLOW_HOME", str(tmp_path / "h"))
    monkeypatch.delenv("DUTYFLOW_SECRET_KEY", raising=False)
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = get_engine(url, migrate=False)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        for revision in sorted(head_revisions() - {"0016_security"}) + ["0004_reports"]:
            command.upgrade(cfg, revision)
        conn.execute(
            text("INSERT INTO report_secrets (id, secret, created_at) VALUES (1, :s, '2026-01-01 00:00:00')"),
            {"s": "legacy-secret-" + "x" * 40},
        )
    assert "0016_security" not in current_revisions(engine)
    ensure_schema(engine)
    assert links.server_secret() == "legacy-secret-" + "x" * 40  # links already sent keep working
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM sqlite_master WHERE name='report_secrets'")).scalar() == 0
    reset_engines()


# ---------------------------------------------------------------------------------- unreachable database (7)


def test_an_unreachable_database_gives_one_line_naming_it_and_exit_2(tmp_path) -> None:  # noqa: ANN001
    env = {**os.environ, "DUTYFLOW_HOME": str(tmp_path / "h")}
    for url, shown in (
        (
            "postgresql+psycopg://duty:s3cret-pw@127.0.0.1:1/dutyflow",
            "postgresql+psycopg://duty:***@127.0.0.1:1/dutyflow",
        ),
        (f"sqlite:///{tmp_path}/no/such/dir/x.db", "no/such/dir/x.db"),
    ):
        result = subprocess.run(
            [sys.executable, "-m", "roster.cli", "reports", "status", "--date", "2026-11-23"],
            env={**env, "DUTYFLOW_DATABASE_URL": url},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 2, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and shown in lines[0] and "Traceback" not in result.stderr, result.stderr
        assert "s3cret-pw" not in result.stderr


@pytest.mark.postgres
def test_serve_waits_for_the_database_with_backoff(monkeypatch) -> None:  # noqa: ANN001
    from roster.cli.serve import wait_for_database

    name = f"dutyflow_wait_{uuid.uuid4().hex[:8]}"
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    monkeypatch.setenv("DUTYFLOW_DATABASE_URL", url)
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:  # the database comes up during the third wait
        sleeps.append(seconds)
        if len(sleeps) == 3:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))

    try:
        with pytest.raises(Exception, match="does not exist"):
            wait_for_database(0.0, sleep=sleep)  # no patience: fails at once
        assert sleeps == []
        wait_for_database(3600.0, sleep=sleep)
        assert sleeps == [0.5, 1.0, 2.0]
    finally:
        reset_engines()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# ------------------------------------------------------------------------------------- backup/restore (8)


def _populate(url: str) -> None:
    with open_session(url) as s:
        install_bureau(s, seed_bureau(), NOW - dt.timedelta(days=3))
        submit(
            s,
            unit_id="grp-water",
            day=dt.date(2026, 11, 23),
            kind="report",
            text="日报告 正文",
            attachments=[Attachment("表.bin", "application/octet-stream", bytes(range(256)) * 10)],
            now=NOW,
        )
        links.issue_token(s, "grp-water", NOW)
        check(s, NOW)  # outbox rows, escalation events with JSON payloads
        s.commit()
    assign_day(NOW, url)


@pytest.fixture
def second_database(any_db_url: str, tmp_path: Path):  # noqa: ANN201
    """An empty database of the same kind to restore into."""
    if any_db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    name = f"dutyflow_restore_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    reset_engines()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_backup_and_restore_round_trip_every_table_row_by_row(
    any_db_url: str, second_database: str, tmp_path: Path, monkeypatch
) -> None:  # noqa: ANN001
    _populate(any_db_url)
    original = dump(any_db_url)
    assert sum(len(rows) for rows in original.values()) > 300 and original["report_attachments"]
    out = tmp_path / "state.backup"
    result = runner.invoke(app, ["backup", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    assert _mode(out) == 0o600
    monkeypatch.setenv("DUTYFLOW_DATABASE_URL", second_database)
    result = runner.invoke(app, ["restore", str(out), "--json"])
    assert result.exit_code == 0, result.output
    restored = dump(second_database)
    assert restored.keys() == original.keys()
    for table, rows in original.items():
        assert restored[table] == rows, table
    # the restored database works on: new rows get fresh ids (sequences moved past the restored ones)
    with open_session(second_database) as s:
        links.issue_token(s, "grp-water", NOW)
        s.commit()
    # a database that holds data is refused, and left as it was
    before = dump(second_database)
    again = runner.invoke(app, ["restore", str(out)])
    assert again.exit_code == 2 and "not empty" in again.output
    assert dump(second_database) == before


def test_restore_refuses_what_is_not_a_backup(db_url: str, tmp_path: Path) -> None:
    junk = tmp_path / "junk"
    junk.write_text('{"hello": 1}\n', encoding="utf-8")
    result = runner.invoke(app, ["restore", str(junk)])
    assert result.exit_code == 2 and "neither a dutyflow backup" in result.output
    assert runner.invoke(app, ["restore", str(tmp_path / "missing")]).exit_code == 2
