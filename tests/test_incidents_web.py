"""突发事件 pages through the real app (TestClient): register, draft, edit, sign, send, refusals, export (the
phone-sized browser run is in test_incidents_browser.py)."""

from __future__ import annotations

from sqlalchemy import func, select

from roster.storage import open_session
from roster.storage.models.incidents import Incident, IncidentReport
from roster.storage.models.outbox import OutboxMessage

FORM = {
    "title": "鹿城小区3号楼外墙脱落",
    "severity": "large",
    "received_at": "2026-11-23T08:40",
    "source": "群众来电",
    "place": "鹿城小区3号楼",
    "category": "房屋安全",
    "facts": "外墙瓷砖脱落，砸中2辆车",
}


def _count(url: str, model) -> int:  # noqa: ANN001
    with open_session(url) as s:
        return s.scalar(select(func.count()).select_from(model))


def test_officer_registers_drafts_and_the_leader_signs_and_sends(web_app, client_for) -> None:  # noqa: ANN001
    url = web_app.state.database_url
    officer, leader, other_leader = client_for("p20"), client_for("p01"), client_for("p02")

    bad = officer.post("/incidents/new", FORM | {"severity": "red", "title": ""})
    assert bad.status_code == 400 and 'aria-invalid="true"' in bad.text and _count(url, Incident) == 0

    created = officer.post("/incidents/new", FORM)
    assert created.status_code == 303
    page = officer.get(created.headers["location"])
    assert "鹿城小区3号楼外墙脱落" in page.text and "首报" in page.text
    assert "09:40" in page.text  # 较大: the 首报 is due 1 h after 08:40, when the news came in

    incident_id = int(created.headers["location"].rsplit("/", 1)[1])
    drafted = officer.post(f"/incidents/{incident_id}/draft")
    report_url = drafted.headers["location"]
    report_id = int(report_url.rsplit("/", 1)[1])
    form = officer.get(report_url)
    assert "事件经过" in form.text and 'id="sign"' not in form.text  # staff cannot sign: no button
    edited = officer.post(
        f"{report_url}/edit", {"version": "1", "casualties": "无人员伤亡", "measures": "已设置警戒区"}
    )
    assert edited.status_code == 303
    assert officer.post(f"{report_url}/sign", {"version": "2"}).status_code == 403  # role guard on the server

    stale = leader.post(f"{report_url}/sign", {"version": "1"})  # read before the officer's edit
    assert stale.status_code == 409 and "草稿已被修改" in stale.text
    assert leader.post(f"{report_url}/sign", {"version": "2"}).status_code == 303
    too_late = other_leader.post(f"{report_url}/sign", {"version": "2"})  # p02, a listed signer, one step late
    assert too_late.status_code == 409 and "已由 徐超（p01）于" in too_late.text

    before = _count(url, OutboxMessage)
    assert officer.post(f"{report_url}/send").status_code == 303
    with open_session(url) as s:
        report = s.get(IncidentReport, report_id)
        assert (report.status, report.on_time, report.signed_by) == ("sent", True, "p01")
        assert "伤亡和损失情况：无人员伤亡" in report.text
    assert _count(url, OutboxMessage) == before + 3  # city emergency office, prefecture office, bureau head
    shown = officer.get(f"/incidents/{incident_id}")
    assert "徐超 签发首报" in shown.text and shown.text.count("待发送") == 3

    listing = officer.get("/incidents")
    stats = listing.text.split('id="stats"', 1)[1].split("</dl>", 1)[0]
    assert "<dd>1</dd>" in stats and "1 / 1" in stats  # received this month; 首报 on time

    export = officer.get(f"/incidents/{incident_id}/export.docx")
    assert export.status_code == 200 and export.content[:2] == b"PK"
    assert client_for("grp-parks").get(f"/incidents/{incident_id}").status_code == 403


def test_ending_the_response_needs_the_confirmation_box(web_app, client_for) -> None:  # noqa: ANN001
    officer = client_for("p20")
    incident = officer.post("/incidents/new", FORM | {"severity": "general"}).headers["location"]
    refused = officer.post(f"{incident}/close")
    assert refused.status_code == 400 and "请勾选确认处置已结束" in refused.text
    assert officer.post(f"{incident}/close", {"confirm": "1"}).status_code == 303
    assert "已结案" in officer.get(incident).text  # 一般: no 终报 owed, closed at once
