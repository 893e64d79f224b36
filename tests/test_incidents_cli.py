"""``dutyflow incidents …`` end to end on a real database: --now, --json, clean errors, the .docx file."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from roster.cli import app
from roster.storage.models.incidents import Incident
from roster.storage.models.outbox import OutboxMessage
from tests.incidents_helpers import utc

pytest_plugins = ["tests.incidents_fixtures"]
runner = CliRunner()


def run(*args: str, code: int = 0):  # noqa: ANN201
    result = runner.invoke(app, ["incidents", *args])
    assert result.exit_code == code, result.output + (result.stderr if code == 0 else "")
    return result


def as_json(*args: str) -> dict:
    return json.loads(run(*args, "--json").stdout)


def test_register_draft_sign_send_and_close_from_the_cli(incidents_db: Session, tmp_path: Path) -> None:
    opened = as_json(
        "open", "--severity", "grave", "--title", "在建工地塔吊倒塌", "--received-at", "2026-11-29T14:05+08:00",
        "--place", "鹿城镇开发区工地", "--category", "建筑施工", "--source", "工地安全员", "--by", "p10",
        "--now", "2026-11-29T14:12+08:00",
    )  # fmt: skip
    assert opened["received_at"] == "2026-11-29T06:05:00+00:00" and opened["severity_name"] == "特别重大"
    assert [c["clock"] for c in opened["clocks"]] == ["phone", "first"]
    assert opened["clocks"][1]["due_at"] == "2026-11-29T06:35:00+00:00"  # 30 min from 接报, not from 登记

    run("phone", opened["code"], "--to", "市应急局总值班室", "--now", "2026-11-29T14:15+08:00")
    at = "2026-11-29T14:20+08:00"
    report = as_json("draft", opened["code"], "--casualties", "2人受伤", "--by", "p10", "--now", at)
    assert report["name"] == "首报" and report["fields"]["casualties"] == "2人受伤"
    assert "事发地点：鹿城镇开发区工地" in report["text"]

    refused = run("sign", str(report["id"]), "--as", "p20", "--now", "2026-11-29T14:25+08:00", code=2)
    assert "--as: p20 不是当前带班领导" in refused.stderr
    signed = as_json("sign", str(report["id"]), "--as", "p03", "--now", "2026-11-29T14:25+08:00")
    assert signed["status"] == "signed" and "签发人：陈超" in signed["text"]
    again = run("sign", str(report["id"]), "--as", "p02", "--version", "1", "--now", "2026-11-29T14:26+08:00", code=2)
    assert "已由 陈超（p03）于 2026年11月29日 14时25分 签发" in again.stderr

    sent = as_json("send", str(report["id"]), "--by", "p10", "--now", "2026-11-29T14:30+08:00")
    assert sent["on_time"] is True and sent["messages_enqueued"] == 5  # 3 offices, the head, the leader on duty
    first = as_json("check", "--now", "2026-11-29T14:30+08:00")
    assert first["clocks_overdue"] == 0 and first["clocks_open"] == 1  # 续报一, 2 h after the 首报

    late = as_json("check", "--now", "2026-11-29T16:45+08:00")
    assert late["clocks_overdue"] == 1 and late["messages_enqueued"] > 0
    assert as_json("check", "--now", "2026-11-29T16:45+08:00")["messages_enqueued"] == 0

    shown = as_json("show", opened["code"], "--now", "2026-11-29T16:50+08:00")
    kinds = [e["kind"] for e in shown["timeline"]]
    for kind in ("received", "registered", "phone", "drafted", "signed", "sent", "delivery", "alert"):
        assert kind in kinds
    assert {e["delivery"] for e in shown["timeline"] if e["kind"] == "delivery"} == {"pending"}

    listed = as_json("list", "--now", "2026-11-29T16:50+08:00")
    assert [i["code"] for i in listed] == [opened["code"]]

    out = tmp_path / "incident.docx"
    run("export", opened["code"], "--out", str(out), "--now", "2026-11-29T17:00+08:00")
    from docx import Document

    text = "\n".join(p.text for p in Document(str(out)).paragraphs)
    assert "突发事件信息报送档案：在建工地塔吊倒塌" in text and "伤亡和损失情况：2人受伤" in text

    stats = as_json("stats", "--month", "2026-11")
    assert (stats["incidents"], stats["first_sent"], stats["first_on_time"]) == (1, 1, 1)
    assert stats["by_level"] == {"grave": 1}


def test_bad_arguments_name_the_option_and_change_nothing(incidents_db: Session) -> None:
    before = incidents_db.scalar(select(func.count()).select_from(OutboxMessage))
    bad = [
        (["open", "--severity", "red", "--title", "x", "--received-at", "2026-11-29T10:00"], "--severity:"),
        (["open", "--severity", "grave", "--title", "x", "--received-at", "yesterday"], "--received-at:"),
        (["open", "--severity", "grave", "--title", "x", "--received-at", "2026-11-29T10:00", "--now", "x"], "--now:"),
        (["show", "2026-11-999"], "incident:"),
        (["sign", "42", "--as", "p03"], "report:"),
        (["stats", "--month", "2026-13"], "--month:"),
    ]
    for args, prefix in bad:
        result = run(*args, code=2)
        assert result.stderr.startswith(f"error: {prefix}") and "Traceback" not in result.output
    assert incidents_db.scalar(select(func.count()).select_from(Incident)) == 0
    assert incidents_db.scalar(select(func.count()).select_from(OutboxMessage)) == before


def test_a_duty_log_entry_joins_the_incident_timeline(incidents_db: Session) -> None:
    from roster.duty import log as duty_log

    opened = as_json(
        "open", "--severity", "general", "--title", "井盖缺失", "--received-at", "2026-11-29T10:00+08:00",
        "--now", "2026-11-29T10:05+08:00",
    )  # fmt: skip
    entry = duty_log.append(
        incidents_db,
        utc(2026, 11, 29, 2, 3),
        author="p10",
        text="接市民来电：鹿城南路井盖缺失，已通知市政",
        category="事件",
        at=utc(2026, 11, 29, 2, 0),
    )
    incidents_db.commit()
    assert "linked" in run("link", opened["code"], "--log", str(entry.seq), "--by", "p10").stdout
    assert "already linked" in run("link", opened["code"], "--log", str(entry.seq)).stdout
    assert run("link", opened["code"], "--log", "999", code=2).stderr.startswith("error: --log:")
    timeline = as_json("show", opened["code"], "--now", "2026-11-29T10:10+08:00")["timeline"]
    logged = [e for e in timeline if e["kind"] == "log"]
    assert len(logged) == 1 and logged[0]["at"] == "2026-11-29T02:00:00+00:00"
    assert logged[0]["summary"] == f"值班日志 #{entry.seq}（事件）：接市民来电：鹿城南路井盖缺失，已通知市政"
