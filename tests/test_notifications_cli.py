"""``dutyflow notifications deliver | list | show | retry`` in-process, against a real SMTP server."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from typer.testing import CliRunner

from notifications.outbox import enqueue
from roster.cli import app
from roster.storage import open_session
from tests.notifications_helpers import add_person, smtp_server

NOW = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)
runner = CliRunner()


@pytest.fixture
def smtp_env(monkeypatch: pytest.MonkeyPatch):
    with smtp_server() as (port, mails):
        monkeypatch.setenv("DUTYFLOW_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("DUTYFLOW_SMTP_PORT", str(port))
        monkeypatch.setenv("DUTYFLOW_SMTP_TLS", "none")
        monkeypatch.setenv("DUTYFLOW_SMTP_FROM", "duty@cxzjj.gov.cn")
        monkeypatch.setenv("DUTYFLOW_NOTIFY_MAX_ATTEMPTS", "1")
        yield port, mails


def _mail(db_url: str, key: str, to: str, person: str | None = None) -> None:
    with open_session(db_url) as s:
        enqueue(
            s,
            key=key,
            source="escalation",
            channel="email",
            address=to,
            subject="日报告提醒",
            body="请报送。",
            now=NOW,
            person_id=person,
        )
        s.commit()


def test_deliver_list_show(db_url: str, smtp_env) -> None:
    _port, mails = smtp_env
    _mail(db_url, "k1", "a@cxzjj.gov.cn")
    result = runner.invoke(app, ["notifications", "deliver", "--now", "2026-11-23T09:00:00+08:00", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["claimed"], summary["sent"]) == (1, 1)
    assert [m.rcpt_tos for m in mails] == [["a@cxzjj.gov.cn"]]

    listed = json.loads(runner.invoke(app, ["notifications", "list", "--json"]).stdout)
    assert [(m["dedup_key"], m["status"]) for m in listed] == [("k1", "sent")]
    assert json.loads(runner.invoke(app, ["notifications", "list", "--pending", "--json"]).stdout) == []
    shown = runner.invoke(app, ["notifications", "show", str(listed[0]["id"]), "--json"])
    assert json.loads(shown.stdout)["attempt_log"][0]["ok"] is True


def test_dead_letter_listed_then_retried(db_url: str, smtp_env, monkeypatch: pytest.MonkeyPatch) -> None:
    port, mails = smtp_env
    with open_session(db_url) as s:
        add_person(s, "p05", [{"kind": "email", "target": "p05@cxzjj.gov.cn"}])
        s.commit()
    _mail(db_url, "k-dead", "p05@cxzjj.gov.cn", person="p05")
    monkeypatch.setenv("DUTYFLOW_SMTP_PORT", "1")  # nobody listens there: the one allowed attempt fails
    result = runner.invoke(app, ["notifications", "deliver", "--now", "2026-11-23T09:00:00+08:00"])
    assert result.exit_code == 0, result.output
    assert "dead 1" in result.stdout
    assert "[notification -> operator] 通知无法送达：日报告提醒" in result.stdout  # the console notice

    failed = runner.invoke(app, ["notifications", "list", "--failed"])
    assert "dead" in failed.stdout and "p05@cxzjj.gov.cn" in failed.stdout and "last error" in failed.stdout
    dead = json.loads(runner.invoke(app, ["notifications", "list", "--failed", "--json"]).stdout)
    assert [m["dedup_key"] for m in dead] == ["k-dead"]

    retried = runner.invoke(app, ["notifications", "retry", str(dead[0]["id"]), "--now", "2026-11-23T10:00:00+08:00"])
    assert retried.exit_code == 0 and "queued again" in retried.stdout
    monkeypatch.setenv("DUTYFLOW_SMTP_PORT", str(port))  # the server is reachable again
    result = runner.invoke(app, ["notifications", "deliver", "--now", "2026-11-23T10:00:00+08:00", "--json"])
    assert json.loads(result.stdout)["sent"] == 1
    assert [m.rcpt_tos for m in mails] == [["p05@cxzjj.gov.cn"]]
    assert json.loads(runner.invoke(app, ["notifications", "list", "--failed", "--json"]).stdout) == []


def test_bad_arguments_are_named(db_url: str) -> None:
    result = runner.invoke(app, ["notifications", "retry", "999"])
    assert result.exit_code == 2 and "ID: no outbox message 999" in result.stderr
    result = runner.invoke(app, ["notifications", "deliver", "--now", "tomorrow-ish"])
    assert result.exit_code == 2 and "--now" in result.stderr
    result = runner.invoke(app, ["notifications", "show", "5"])
    assert result.exit_code == 2 and "ID: no outbox message 5" in result.stderr


def test_bad_environment_setting_is_named(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUTYFLOW_SMTP_TLS", "maybe")
    result = runner.invoke(app, ["notifications", "deliver"])
    assert result.exit_code == 2 and "DUTYFLOW_SMTP_TLS" in result.stderr
    monkeypatch.setenv("DUTYFLOW_SMTP_TLS", "ssl")
    monkeypatch.setenv("DUTYFLOW_NOTIFY_MAX_ATTEMPTS", "0")
    result = runner.invoke(app, ["notifications", "deliver"])
    assert result.exit_code == 2 and "DUTYFLOW_NOTIFY_MAX_ATTEMPTS must be at least 1" in result.stderr
