"""The duty pages through the real app (TestClient per role): check-in, roll-call answers (a GET answers
nothing), the log with an attachment and its export, a handover signed by two users, the scorecard."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import select

from roster.storage import open_session, session_scope
from roster.storage.models.duty import DutyLogEntry, DutyRollcallTarget

UTC = dt.UTC


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """Local (Asia/Shanghai) wall-clock time on 2026-11-<day> as UTC."""
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=UTC) - dt.timedelta(hours=8)


def ensure_accounts(url: str, *logins: str) -> None:
    from roster.accounts.service import ensure_account, subject_for
    from roster.admin.current import current_bureau

    with session_scope(url) as session:
        bureau = current_bureau(session)
        for login in logins:
            ensure_account(session, bureau, subject_for(bureau, login), at(23, 0))


@pytest.fixture
def users(web_app, web_db_url, client_for):  # noqa: ANN001, ANN201
    # 23rd's shift: p07 (leader), p17, p18; the 24th's: p08, p19, p20 (tests/web_helpers.fill_roster).
    ensure_accounts(web_db_url, "p17", "p18")
    return client_for


def test_checkin_and_rollcall_answer_by_typing_the_code(users, web_clock, web_db_url) -> None:  # noqa: ANN001
    p20 = users("p20")
    web_clock.now = at(24, 8, 10)
    page = p20.get("/duty")
    assert page.status_code == 200 and "签到" in page.text
    done = p20.post("/duty/checkin")
    assert done.status_code == 200 and "已签到（08:10）" in done.text
    assert "此前已签到" in p20.post("/duty/checkin").text

    web_clock.now = at(24, 15)
    leader = users("p01")  # admin + leader may start one by hand
    assert "已发起查岗" in leader.post("/duty/rollcall/start").text
    with open_session(web_db_url) as s:
        code = s.scalars(select(DutyRollcallTarget.code).where(DutyRollcallTarget.person_id == "p20")).one()
    # Opening the link (a scanner, a preview) answers nothing.
    assert p20.get(f"/duty/rollcall?code={code}").status_code == 200
    assert "待应答" in p20.get("/duty/rollcall").text
    wrong = p20.post("/duty/rollcall", {"code": "999999" if code != "999999" else "888888"})
    assert wrong.status_code == 400 and "查岗码不正确" in wrong.text
    web_clock.now = at(24, 15, 2)
    ok = p20.post("/duty/rollcall", {"code": code})
    assert ok.status_code == 200 and "已应答" in ok.text
    # Another person's code does not answer for them.
    with open_session(web_db_url) as s:
        other = s.scalars(select(DutyRollcallTarget.code).where(DutyRollcallTarget.person_id == "p19")).one()
    assert users("p17").post("/duty/rollcall", {"code": other}).status_code == 400
    staff = users("p20").post("/duty/rollcall/start")
    assert staff.status_code == 403  # staff may not start roll calls


def test_log_entry_with_attachment_bad_input_and_export(users, web_clock, web_db_url) -> None:  # noqa: ANN001
    p17 = users("p17")
    web_clock.now = at(23, 10, 30)
    files = {"files": ("现场.jpg", io.BytesIO(b"\xff\xd8jpeg"), "image/jpeg")}
    data = {"text": "锦绣家园水管爆裂，已通知物业", "category": "事件", "todo": "true", "at": "10:20",
            "csrf_token": p17.csrf}  # fmt: skip
    added = p17.http.post(f"/duty/log?csrf_token={p17.csrf}", data=data, files=files)
    assert added.status_code == 200 and "已记录第 1 条" in added.text and "现场.jpg" in added.text
    bad = p17.http.post(f"/duty/log?csrf_token={p17.csrf}", data={"text": "", "category": "事件"})
    assert bad.status_code == 400 and 'id="e-text"' in bad.text
    bad = p17.http.post(f"/duty/log?csrf_token={p17.csrf}", data={"text": "x", "at": "25:99"})
    assert bad.status_code == 400 and "HH:MM" in bad.text
    with open_session(web_db_url) as s:
        entries = s.scalars(select(DutyLogEntry)).all()
    assert [(e.seq, e.author_id, e.todo, e.at) for e in entries] == [(1, "p17", True, at(23, 10, 20))]
    docx = p17.get("/duty/log/export?date=2026-11-23&format=docx")
    assert docx.status_code == 200 and docx.content[:2] == b"PK"
    text = p17.get("/duty/log/export?date=2026-11-23&format=txt").text
    assert "#1 11-23 10:20 [事件] 【待办】锦绣家园水管爆裂" in text
    assert "日志完整" in users("p01").get("/duty/log").text  # leaders and admins see the chain check


def test_handover_between_two_users(users, web_clock) -> None:  # noqa: ANN001
    out, inc = users("p17"), users("p20")
    web_clock.now = at(24, 8, 15)
    assert "等待交班人" in inc.get("/duty/handover").text
    refused = inc.post("/duty/handover", {"ack": []})
    assert refused.status_code == 400 and "交班人尚未签字" in refused.text
    empty = out.post("/duty/handover", {"note": "  "})
    assert empty.status_code == 400 and "交班人须填写交接班记录" in empty.text
    signed = out.post("/duty/handover", {"note": "夜间平稳。"})
    assert signed.status_code == 200 and "已签字" in signed.text
    web_clock.now = at(24, 8, 35)
    form = inc.get("/duty/handover").text
    keys = [part.split('"', 1)[0] for part in form.split('name="ack" value="')[1:]]
    assert keys, "the reports owed on the 23rd and not filed are open items"
    partial = inc.post("/duty/handover", {"ack": keys[:1]})
    assert partial.status_code == 400 and "逐项确认" in partial.text
    outsider = users("p02").post("/duty/handover", {"ack": keys})
    assert outsider.status_code == 400 and "不在交班或接班班次中" in outsider.text
    done = inc.post("/duty/handover", {"ack": keys})
    assert done.status_code == 200 and "交接班完成" in done.text and "交接完成" in done.text


def test_scorecard_page(users, web_clock) -> None:  # noqa: ANN001
    web_clock.now = at(24, 12)
    page = users("p02").get("/duty/scorecard?month=2026-11")
    assert page.status_code == 200 and "值班考核" in page.text and "签到准时率" in page.text
    assert "查岗通报" in page.text
    assert users("p02").get("/duty/scorecard?month=2026-13").status_code == 400
    assert users("p20").get("/duty/scorecard").status_code == 403
