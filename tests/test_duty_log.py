"""The duty log: append-only entries with corrections and 待办, tamper evidence on SQLite and PostgreSQL
(`dutyflow duty log verify` exits 1 naming the first changed entry), and the shift's .docx/.txt export."""

from __future__ import annotations

import io
import json

import pytest
from duty_helpers import DAY, install, local
from sqlalchemy import select, text
from typer.testing import CliRunner

from roster.cli import app
from roster.duty.log import append, check_chain, open_todos, verify
from roster.storage import open_session, session_scope
from roster.storage.models.duty import DutyLogEntry

runner = CliRunner()


def _duty(*args: str):  # noqa: ANN202
    return runner.invoke(app, ["duty", *args])


def _write_log(url: str) -> None:
    with open_session(url) as s:
        install(s)
    entries = [
        ("来电", "市应急局来电询问值班情况", False, "2026-11-23T09:12"),
        ("来文", "收到市住建局 2026 第 12 号通知", True, "2026-11-23T10:05"),
        ("事件", "锦绣家园报告一处水管爆裂，已通知物业", True, "2026-11-23T11:40"),
        ("检查", "抽查建筑工地 3 处，均正常", False, "2026-11-23T15:30"),
    ]
    for category, body, todo, at in entries:
        args = ["log", "add", "--text", body, "--category", category, "--now", at, "--json"]
        result = _duty(*args, *(["--todo"] if todo else []))
        assert result.exit_code == 0, result.output


@pytest.mark.parametrize("change", ["content", "order"])
def test_tampering_is_detected_and_named(any_db_url: str, change: str) -> None:
    _write_log(any_db_url)
    ok = _duty("log", "verify", "--json")
    assert ok.exit_code == 0 and json.loads(ok.stdout)["entries"] == 4
    with open_session(any_db_url) as s:  # behind dutyflow's back, straight SQL
        if change == "content":
            s.execute(text("UPDATE duty_log_entries SET text = '无事' WHERE seq = 3"))
        else:  # swap entries 2 and 3
            s.execute(text("UPDATE duty_log_entries SET seq = -1 WHERE seq = 2"))
            s.execute(text("UPDATE duty_log_entries SET seq = 2 WHERE seq = 3"))
            s.execute(text("UPDATE duty_log_entries SET seq = 3 WHERE seq = -1"))
        s.commit()
    result = _duty("log", "verify")
    assert result.exit_code == 1
    expected = "entry #3" if change == "content" else "entry #2"
    assert (
        expected in result.stderr and ("content changed" if change == "content" else "order changed") in result.stderr
    )
    data = json.loads(_duty("log", "verify", "--json").stdout)
    assert data["ok"] is False and data["first_bad"] == (3 if change == "content" else 2)


def test_entries_cut_from_the_end_are_caught_by_a_handover_anchor(db_url: str) -> None:
    _write_log(db_url)
    with open_session(db_url) as s:
        entries = list(s.scalars(select(DutyLogEntry).order_by(DutyLogEntry.seq)))
    assert check_chain(entries, [(4, entries[3].hash)]).ok
    cut = check_chain(entries[:3], [(4, entries[3].hash)])
    assert not cut.ok and cut.first_bad == 4 and "removed" in cut.reason


def test_corrections_and_todos_are_new_entries(db_url: str) -> None:
    _write_log(db_url)
    with session_scope(db_url) as s:
        assert [e.seq for e in open_todos(s)] == [2, 3]
        append(s, local(DAY, 16), author="p22", text="水管已修复", category="事件", resolves=3)
        append(
            s,
            local(DAY, 16, 5),
            author="p22",
            text="收到第 12 号通知（更正文号）",
            category="来文",
            todo=True,
            corrects=2,
        )
    with open_session(db_url) as s:
        assert [e.seq for e in open_todos(s)] == [6]  # 2 was corrected into 6 (still 待办); 3 was resolved
        assert verify(s).ok and verify(s).entries == 6
    bad = _duty("log", "add", "--text", "x", "--resolves", "1", "--now", "2026-11-23T16:10")
    assert bad.exit_code == 2 and "resolves" in bad.stderr and "不是待办" in bad.stderr
    bad = _duty("log", "add", "--text", "x", "--category", "闲聊", "--now", "2026-11-23T16:10")
    assert bad.exit_code == 2 and "category" in bad.stderr
    with open_session(db_url) as s:
        assert verify(s).entries == 6  # refusals wrote nothing


def test_export_one_shift_as_docx_and_txt(db_url: str, tmp_path) -> None:  # noqa: ANN001
    from docx import Document

    _write_log(db_url)
    assert _duty("log", "add", "--text", "次日记录", "--now", "2026-11-24T09:00").exit_code == 0  # next shift
    txt, docx = tmp_path / "log.txt", tmp_path / "log.docx"
    assert _duty("log", "export", "--date", "2026-11-23", "--out", str(txt)).exit_code == 0
    assert _duty("log", "export", "--date", "2026-11-23", "--out", str(docx)).exit_code == 0
    body = txt.read_text(encoding="utf-8")
    assert "值班日志" in body and "2026-11-23 08:30 至 2026-11-24 08:30" in body
    assert "#2 11-23 10:05 [来文] 【待办】收到市住建局" in body and "次日记录" not in body
    assert "带班领导：马永红" in body and "共 4 条" in body
    with open_session(db_url) as s:
        fourth = s.scalars(select(DutyLogEntry.hash).where(DutyLogEntry.seq == 4)).one()
    assert f"日志校验码（第 4 条）：{fourth}" in body
    table = Document(io.BytesIO(docx.read_bytes())).tables[0]
    rows = [[c.text for c in r.cells] for r in table.rows]
    assert rows[0] == ["序号", "时间", "类别", "内容", "记录人"] and len(rows) == 5
    assert rows[3][2] == "事件" and rows[3][3].startswith("【待办】锦绣家园") and rows[3][4] == "吴翠萍"
    bad = _duty("log", "export", "--date", "2026-11-23", "--out", str(tmp_path / "log.pdf"))
    assert bad.exit_code == 2 and "--out" in bad.stderr
