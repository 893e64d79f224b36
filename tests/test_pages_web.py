"""The report, inspection and notification pages over HTTP (TestClient on the real app, seed bureau, clock at
Monday 2026-11-23 09:00 in Chuxiong): authorisation beyond the role matrix, multipart filing and the ledger rows
it writes (the same as the API's and the CLI's), the inspector's 403, downloads, the outbox's retry."""

from __future__ import annotations

import datetime as dt
import os
import re

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from roster.cli import app as cli
from roster.inspections.assign import assign
from roster.inspections.daily_report_docx import docx_text
from roster.reports import links
from roster.storage import session_scope
from roster.storage.models.inspection_photos import InspectionPhoto
from roster.storage.models.inspections import InspectionResult, InspectionVisit
from roster.storage.models.outbox import OutboxMessage
from roster.storage.models.reports import ReportAttachment, ReportExpectation, ReportSubmission
from roster.web.access import route_guard
from tests.web_helpers import WEB_NOW

DAY = "2026-11-23"
JPEG = b"\xff\xd8\xff\xe0" + os.urandom(20_000)

# Who may open each page (registered here and proved for every role by tests/test_web_roles.py).
EXPECTED_ROLES = {
    ("GET", "/reports/board"): {"admin", "leader"},
    ("GET", "/reports/board/{unit_id}/{date}"): {"admin", "leader"},
    ("GET", "/reports/stats"): {"admin", "leader"},
    ("GET", "/reports/attachments/{receipt}/{filename}"): {"admin", "leader", "unit"},
    ("GET", "/unit"): {"unit"},
    ("POST", "/unit/report"): {"unit"},
    ("GET", "/inspect"): {"admin", "leader", "staff"},
    ("POST", "/inspect/{site_id}"): {"admin", "leader", "staff"},
    ("GET", "/inspect/photos/{photo_id}"): {"admin", "leader", "staff"},
    ("GET", "/inspections/board"): {"admin", "leader"},
    ("GET", "/inspections/daily-report.{ext}"): {"admin", "leader"},
    ("GET", "/notifications"): {"admin", "leader"},
    ("GET", "/notifications/{message_id}"): {"admin", "leader"},
    ("POST", "/notifications/{message_id}/retry"): {"admin"},
}


def test_pages_declare_the_expected_roles(web_app) -> None:  # noqa: ANN001
    from fastapi.routing import iter_route_contexts

    found = {}
    for ctx in iter_route_contexts(web_app.routes):
        for method in (ctx.methods or set()) - {"HEAD"}:
            if (method, ctx.path) in EXPECTED_ROLES:
                guard = route_guard(ctx.original_route)
                found[(method, ctx.path)] = set(guard.roles) if guard and guard.roles else None
    assert found == EXPECTED_ROLES


def _file(client, url: str, kind: str, text: str = "", photo: bytes | None = None):  # noqa: ANN001, ANN202
    files = {"photos": ("现场.jpg", photo, "image/jpeg")} if photo is not None else {"files": ("", b"", "")}
    return client.http.post(f"{url}?csrf_token={client.csrf}", data={"kind": kind, "date": DAY, "text": text},
                            files=files)  # fmt: skip


def test_zero_report_shows_on_the_board_at_once_and_unit_sees_only_itself(client_for) -> None:  # noqa: ANN001
    admin, unit = client_for("p01"), client_for("grp-parks")
    board = admin.get(f"/reports/board?date={DAY}")
    assert board.status_code == 200
    states = dict(re.findall(r'data-unit="([^"]+)" data-state="([^"]+)"', board.text))
    assert len(states) == 11 and set(states.values()) == {"pending"}
    answer = _file(unit, "/unit/report", "zero")
    assert answer.status_code == 303 and "receipt=" in answer.headers["location"]
    receipt_page = unit.get(answer.headers["location"])
    assert "已收到" in receipt_page.text and 'id="receipt"' in receipt_page.text
    states = dict(re.findall(r'data-unit="([^"]+)" data-state="([^"]+)"', admin.get("/reports/board").text))
    assert states["grp-parks"] == "zero_report" and states["grp-water"] == "pending"
    # the unit's own attachment is open to it; another unit's is not
    again = _file(unit, "/unit/report", "report", "巡查公园 2 处", JPEG)
    assert again.status_code == 303
    assert "第 1 次更正" in unit.get(again.headers["location"]).text
    with session_scope(unit.http.app.state.database_url) as s:
        receipt = s.scalars(select(ReportSubmission.receipt).where(ReportSubmission.revision == 2)).one()
        other = links.issue_token(s, "grp-water", WEB_NOW)
    assert unit.get(f"/reports/attachments/{receipt}/现场.jpg").content == JPEG
    water = _file(client_for(None), f"/unit/t/{other}/report", "zero")
    assert water.status_code == 303
    with session_scope(unit.http.app.state.database_url) as s:
        water_receipt = s.scalars(select(ReportSubmission.receipt).where(ReportSubmission.unit_id == "grp-water")).one()
    assert unit.get(f"/reports/attachments/{water_receipt}/x.jpg").status_code == 403
    assert admin.get(f"/reports/attachments/{receipt}/现场.jpg").status_code == 200
    assert unit.get(f"/reports/board?date={DAY}").status_code == 403


def test_bad_input_is_named_and_changes_nothing(client_for) -> None:  # noqa: ANN001
    unit = client_for("grp-parks")
    empty = _file(unit, "/unit/report", "report", "")
    assert empty.status_code == 422 and "日报告需填写情况说明" in empty.text
    future = unit.http.post(f"/unit/report?csrf_token={unit.csrf}", data={"kind": "zero", "date": "2026-11-30"},
                            files={"files": ("", b"", "")})  # fmt: skip
    assert future.status_code == 422 and "日期不能晚于今天" in future.text
    no_csrf = unit.http.post("/unit/report", data={"kind": "zero", "date": DAY}, files={"files": ("", b"", "")})
    assert no_csrf.status_code == 403
    with session_scope(unit.http.app.state.database_url) as s:
        assert s.scalar(select(ReportSubmission.id)) is None
    bad_token = client_for(None).get("/unit/t/not-a-token")
    assert bad_token.status_code == 404 and "报送链接无效" in bad_token.text


def _ledger_rows(url: str, unit: str) -> list[tuple]:
    """Everything the ledger wrote for a unit-day, without ids, the unit, the receipt and the channel."""
    with session_scope(url) as s:
        subs = s.scalars(select(ReportSubmission).where(ReportSubmission.unit_id == unit).order_by(ReportSubmission.id))
        rows = []
        for sub in subs:
            files = s.execute(
                select(ReportAttachment.filename, ReportAttachment.content_type, ReportAttachment.size,
                       ReportAttachment.sha256, ReportAttachment.data).where(ReportAttachment.submission_id == sub.id)
            ).all()  # fmt: skip
            rows.append((sub.day, sub.revision, sub.kind, sub.text, sub.idempotency_key, sub.content_sha256,
                         sub.received_at, sub.late, [tuple(f) for f in files]))  # fmt: skip
        exp = s.scalars(select(ReportExpectation).where(ReportExpectation.unit_id == unit)).one()
        rows.append((exp.day, exp.first_received_at, exp.latest_kind, exp.submissions, exp.resolved_at,
                     exp.next_check_at))  # fmt: skip
    return rows


def test_page_api_and_cli_write_the_same_ledger_rows(client_for, tmp_path, monkeypatch) -> None:  # noqa: ANN001
    import base64

    page = client_for("grp-parks")
    url = page.http.app.state.database_url
    monkeypatch.setenv("DUTYFLOW_DATABASE_URL", url)
    photo = tmp_path / "现场.jpg"
    photo.write_bytes(JPEG)
    now = WEB_NOW.isoformat()
    # the page (grp-parks)
    assert _file(page, "/unit/report", "zero").status_code == 303
    assert _file(page, "/unit/report", "report", "巡查公园 2 处", JPEG).status_code == 303
    # the API (grp-water)
    with session_scope(url) as s:
        token = links.issue_token(s, "grp-water", WEB_NOW)
    auth = {"Authorization": f"Bearer {token}"}
    api = client_for(None).http
    assert (
        api.post("/reports", json={"unit": "grp-water", "date": DAY, "kind": "zero"}, headers=auth).status_code == 201
    )
    body = {
        "unit": "grp-water",
        "date": DAY,
        "kind": "report",
        "text": "巡查公园 2 处",
        "attachments": [
            {"filename": "现场.jpg", "content_type": "image/jpeg", "content_base64": base64.b64encode(JPEG).decode()}
        ],
    }
    assert api.post("/reports", json=body, headers=auth).status_code == 201
    # the CLI (grp-construction)
    runner = CliRunner()
    for args in (["--zero"], ["--text", "巡查公园 2 处", "--file", str(photo)]):
        out = runner.invoke(cli, ["reports", "submit", "grp-construction", "--date", DAY, "--now", now, *args])
        assert out.exit_code == 0, out.output
    rows = {unit: _ledger_rows(url, unit) for unit in ("grp-parks", "grp-water", "grp-construction")}
    assert rows["grp-parks"] == rows["grp-water"] == rows["grp-construction"]
    assert len(rows["grp-parks"]) == 3 and rows["grp-parks"][1][8][0][4] == JPEG
    with session_scope(url) as s:
        vias = dict(s.execute(select(ReportSubmission.unit_id, ReportSubmission.via)).all())
    assert vias == {"grp-parks": "web", "grp-water": "http", "grp-construction": "cli"}


@pytest.fixture
def planned(web_app):  # noqa: ANN001, ANN201
    with session_scope(web_app.state.database_url) as s:
        assign(s, dt.date(2026, 11, 23), WEB_NOW)
    return web_app


def _site_of(url: str, group: str) -> str:
    with session_scope(url) as s:
        return s.scalars(
            select(InspectionVisit.site_id).where(InspectionVisit.day == dt.date(2026, 11, 23),
                                                  InspectionVisit.group_id == group).order_by(InspectionVisit.site_id)
        ).first()  # fmt: skip


def _account(url: str, login: str) -> None:
    from roster.accounts.service import ensure_account, subject_for
    from roster.admin.current import current_bureau

    with session_scope(url) as s:
        ensure_account(s, current_bureau(s), subject_for(current_bureau(s), login), WEB_NOW)


def test_inspector_records_own_group_only(planned, client_for) -> None:  # noqa: ANN001
    url = planned.state.database_url
    inspector = client_for("p20")  # water group
    page = inspector.get("/inspect")
    water, parks = _site_of(url, "water"), _site_of(url, "parks")
    assert page.status_code == 200 and f'data-site="{water}"' in page.text and f'data-site="{parks}"' not in page.text
    form = {"result": "issue", "note": "加氯记录缺失"}
    refused = inspector.http.post(f"/inspect/{parks}?date={DAY}&csrf_token={inspector.csrf}", data=form,
                                  files={"photos": ("a.jpg", JPEG, "image/jpeg")})  # fmt: skip
    assert refused.status_code == 403 and "不能记录" in refused.text
    post = f"/inspect/{water}?date={DAY}&csrf_token={inspector.csrf}"
    no_choice = inspector.http.post(post, data={"note": "x"}, files={"photos": ("", b"", "")})
    assert no_choice.status_code == 422 and f'id="error-{water}"' in no_choice.text and "请选择" in no_choice.text
    not_image = inspector.http.post(post, data=form, files={"photos": ("a.exe", b"MZ", "application/x-msdownload")})
    assert not_image.status_code == 422 and "照片须为图片" in not_image.text
    with session_scope(url) as s:
        assert s.scalar(select(InspectionResult.id)) is None
    done = inspector.http.post(f"/inspect/{water}?date={DAY}&csrf_token={inspector.csrf}", data=form,
                               files={"photos": ("水厂.jpg", JPEG, "image/jpeg")})  # fmt: skip
    assert done.status_code == 303
    with session_scope(url) as s:
        results = s.execute(select(InspectionResult.site_id, InspectionResult.recorded_by, InspectionResult.via)).all()
        photo_id = s.scalars(select(InspectionPhoto.id)).one()
    assert results == [(water, "p20", "web")]
    assert inspector.get(f"/inspect/photos/{photo_id}").content == JPEG
    _account(url, "p13")  # a member of the parks group
    assert client_for("p13").get(f"/inspect/photos/{photo_id}").status_code == 403
    assert client_for("p02").get(f"/inspect/photos/{photo_id}").status_code == 200  # a leader
    _account(url, "p08")  # the water group's leader sees the group's progress per inspector
    progress = client_for("p08").get("/inspect")
    assert 'id="progress-water"' in progress.text and 'id="progress-water"' not in page.text


def test_supervision_board_and_daily_report_downloads(planned, client_for) -> None:  # noqa: ANN001
    admin = client_for("p01")
    board = admin.get(f"/inspections/board?date={DAY}")
    assert board.status_code == 200 and "累计" in board.text and 'id="report"' in board.text
    txt = admin.get(f"/inspections/daily-report.txt?date={DAY}")
    assert txt.status_code == 200 and txt.headers["content-type"].startswith("text/plain")
    docx = admin.get(f"/inspections/daily-report.docx?date={DAY}")
    assert docx.status_code == 200 and "attachment" in docx.headers["content-disposition"]
    lines = [line.strip() for line in txt.text.splitlines() if line.strip()]
    assert docx_text(docx.content).splitlines() == lines
    assert admin.get(f"/inspections/daily-report.pdf?date={DAY}").status_code == 404
    assert admin.get("/inspections/board?date=2026-13-01").status_code == 422


def test_outbox_filters_message_and_retry(client_for) -> None:  # noqa: ANN001
    from roster.reports.escalation import check

    admin, leader = client_for("p01"), client_for("p02")
    url = admin.http.app.state.database_url
    with session_scope(url) as s:
        check(s, dt.datetime(2026, 11, 23, 9, 10, tzinfo=dt.UTC))
    with session_scope(url) as s:
        first = next(m.id for m in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)) if m.payload["ack_url"])
        s.execute(update(OutboxMessage).where(OutboxMessage.id == first).values(status="dead", last_error="550"))
    dead = admin.get("/notifications?status=dead")
    assert dead.status_code == 200 and re.findall(r'data-id="(\d+)"', dead.text) == [str(first)]
    assert admin.get("/notifications?status=bogus").status_code == 422
    message = leader.get(f"/notifications/{first}")
    assert message.status_code == 200 and 'id="retry"' not in message.text and "/ack/" in message.text
    assert leader.post(f"/notifications/{first}/retry").status_code == 403
    assert admin.post(f"/notifications/{first}/retry").status_code == 303
    with session_scope(url) as s:
        assert s.get(OutboxMessage, first).status == "pending"
    assert admin.post(f"/notifications/{first}/retry").status_code == 409  # no longer dead


def test_unit_day_page_links_messages_and_the_viewers_own_acknowledgement(client_for, web_clock) -> None:  # noqa: ANN001
    from roster.reports.escalation import check

    admin = client_for("p01")
    url = admin.http.app.state.database_url
    evening = dt.datetime(2026, 11, 23, 9, 10, tzinfo=dt.UTC)  # 17:10 local: the groups are missing
    with session_scope(url) as s:
        check(s, evening)
    web_clock.now = evening
    page = admin.get(f"/reports/board/grp-water/{DAY}")
    assert page.status_code == 200 and 'href="/notifications/' in page.text
    [own] = re.findall(r'id="ack" href="(/ack/[^"]+)"', page.text)
    # the confirm page (hardening issue) is reached from the timeline; a logged-in admin confirms it
    confirm = admin.get(own)
    assert confirm.status_code == 200
    form = dict(re.findall(r'name=([a-z_]+) value="([^"]*)"', confirm.text))
    assert admin.http.post(own, data=form).status_code == 200
    after = admin.get(f"/reports/board/grp-water/{DAY}").text
    assert 'id="ack"' not in after and "已确认知悉" in after and "徐超" in after
    assert admin.get(f"/reports/board/nobody/{DAY}").status_code == 404
    stats = admin.get("/reports/stats?month=2026-11")
    assert stats.status_code == 200 and "<svg" in stats.text and 'data-unit="grp-parks"' in stats.text
    assert admin.get("/reports/stats?month=2026-1").status_code == 422
