"""The pages' view models, chart, .docx and chunked blob storage, tested directly on the seed bureau."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from reports_helpers import add_full_shift, install_bureau, seed_bureau
from sqlalchemy import select, update

from roster.inspections.assign import assign
from roster.inspections.daily_report import build_daily_report
from roster.inspections.daily_report_docx import daily_report_docx, docx_text
from roster.inspections.photos import photo_bytes, record_with_photos
from roster.inspections.results import ResultRejected
from roster.inspections.views import groups_day, mine_first, supervision_board
from roster.reports.board import monthly_stats
from roster.reports.escalation import check
from roster.reports.ledger import Attachment, acknowledge, attachment_bytes, excuse, history, submit
from roster.reports.views import board, humanize_left, month_lines, unit_day
from roster.storage import open_session
from roster.storage.blobs import SpooledFile, file_sha256, insert_with_blob
from roster.storage.models.inspection_photos import InspectionPhoto
from roster.storage.models.outbox import OutboxMessage
from roster.storage.models.reports import ReportAttachment
from roster.web.svgchart import punctuality_chart

UTC = dt.UTC
DAY = dt.date(2026, 11, 23)  # a Monday
MORNING = dt.datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 Shanghai


@pytest.fixture
def bureau_session(db_url: str):  # noqa: ANN201
    """SQLite; the one test whose SQL differs by database (chunked blobs) runs on PostgreSQL too."""
    with open_session(db_url) as s:
        install_bureau(s, seed_bureau(), dt.datetime(2026, 11, 1, tzinfo=UTC))
        add_full_shift(s, DAY, "p02", ("p20", "p21"))
        yield s


def spooled(tmp_path: Path, name: str, data: bytes, ctype: str = "image/jpeg") -> SpooledFile:
    path = tmp_path / f"staged-{name}"
    path.write_bytes(data)
    return SpooledFile(name, ctype, path, len(data), hashlib.sha256(data).hexdigest())


def test_board_states_and_time_left(bureau_session) -> None:  # noqa: ANN001
    s = bureau_session
    first = board(s, DAY, MORNING)
    assert len(first.rows) == 11 and first.counts["pending"] == 11
    water = next(r for r in first.rows if r.unit_id == "water-company")
    assert water.deadline == "15:00" and water.time_left == dt.timedelta(hours=6)
    submit(s, unit_id="grp-water", day=DAY, kind="zero", now=MORNING)
    excuse(s, unit_id="pm-jinxiu", day=DAY, by="p01", reason="停业", now=MORNING)
    s.commit()
    # 15:30 local: the 15:00 firms are late (grace 1 h → 30 min left), the 16:00 groups still pending.
    at = dt.datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
    rows = {r.unit_id: r for r in board(s, DAY, at).rows}
    assert rows["grp-water"].state == "zero_report" and rows["grp-water"].time_left is None
    assert rows["pm-jinxiu"].state == "excused" and rows["pm-jinxiu"].excuse_reason == "停业"
    assert rows["water-company"].state == "late" and rows["water-company"].time_left == dt.timedelta(minutes=30)
    assert rows["grp-parks"].state == "pending" and humanize_left(rows["grp-parks"].time_left) == "30分钟"
    submit(s, unit_id="grp-parks", day=DAY, kind="report", text="巡查公园 2 处", now=at + dt.timedelta(hours=1))
    s.commit()
    late = board(s, DAY, at + dt.timedelta(hours=3))
    rows = {r.unit_id: r for r in late.rows}
    assert rows["grp-parks"].state == "submitted" and rows["grp-parks"].late_submission
    assert rows["water-company"].state == "missing" and rows["grp-construction"].state == "missing"
    assert late.counts == {"pending": 0, "submitted": 1, "zero_report": 1, "late": 0, "missing": 8, "excused": 1}
    assert [r.unit_id for r in board(s, DAY, at, unit_ids={"grp-water"}).rows] == ["grp-water"]


def test_unit_day_history_and_escalation_timeline(bureau_session, tmp_path: Path) -> None:  # noqa: ANN001
    s = bureau_session
    at = dt.datetime(2026, 11, 23, 9, 10, tzinfo=UTC)  # 17:10 local: groups 1 h 10 past their 16:00 deadline
    check(s, at)
    s.commit()
    today = OutboxMessage.dedup_key.like("escalation|grp-parks|2026-11-23|%")
    keys = list(s.scalars(select(OutboxMessage).where(today)))
    assert keys, "the tick alerted grp-parks"
    s.execute(update(OutboxMessage).where(OutboxMessage.id == keys[0].id)
              .values(status="sent", sent_at=at + dt.timedelta(minutes=1)))  # fmt: skip
    if len(keys) > 1:
        s.execute(update(OutboxMessage).where(OutboxMessage.id == keys[1].id)
                  .values(status="dead", last_error="smtp: 550 no such user"))  # fmt: skip
    acknowledge(s, unit_id="grp-parks", day=DAY, by="p07", now=at + dt.timedelta(minutes=5), via="cli")
    submit(s, unit_id="grp-parks", day=DAY, kind="report", text="第一次", now=at + dt.timedelta(minutes=20),
           attachments=[Attachment("a.txt", "text/plain", b"abc")])  # fmt: skip
    submit(s, unit_id="grp-parks", day=DAY, kind="report", text="更正", now=at + dt.timedelta(minutes=30))
    s.commit()
    view = unit_day(s, "grp-parks", DAY, at + dt.timedelta(hours=1))
    assert view is not None and view.row.state == "submitted" and view.row.late_submission
    assert [x["revision"] for x in view.submissions] == [1, 2] and view.submissions[1]["correction"]
    assert view.submissions[0]["attachments"][0]["filename"] == "a.txt"
    kinds = [t.kind for t in view.timeline]
    assert kinds.count("ack") == 1 and "notified" in kinds and "resolved" in kinds
    assert [t.at for t in view.timeline] == sorted(t.at for t in view.timeline)
    told = [t for t in view.timeline if t.kind == "notified"]
    sent = next(t for t in told if t.message_id == keys[0].id)
    assert sent.delivery == "sent" and sent.delivered_at == at + dt.timedelta(minutes=1)
    assert all(t.ack_path and t.ack_path.startswith("/ack/") for t in told if t.person_id)
    if len(keys) > 1:
        assert any(t.delivery == "dead" and "550" in (t.error or "") for t in told)
    ack = next(t for t in view.timeline if t.kind == "ack")
    assert ack.who == "李丽萍" or ack.person_id == "p07"
    assert unit_day(s, "nobody", DAY, at) is None


def test_month_lines_match_cli_stats_and_chart(bureau_session) -> None:  # noqa: ANN001
    s = bureau_session
    submit(s, unit_id="grp-water", day=DAY, kind="zero", now=MORNING)
    submit(s, unit_id="grp-parks", day=DAY, kind="report", text="x", now=dt.datetime(2026, 11, 23, 9, 30, tzinfo=UTC))
    s.commit()
    now = dt.datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    lines = month_lines(s, "2026-11", now)
    assert [(ln.unit_id, ln.on_time, ln.late, ln.missing) for ln in lines] == [
        (x["unit"], x["on_time"], x["late"], x["missing"]) for x in monthly_stats(s, "2026-11", now)
    ]
    water = next(ln for ln in lines if ln.unit_id == "grp-water")
    parks = next(ln for ln in lines if ln.unit_id == "grp-parks")
    assert water.on_time == 1 and parks.late == 1 and water.missing == parks.missing
    svg = punctuality_chart(lines)
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    bars = [r for r in root.iter(f"{ns}rect") if r.find(f"{ns}title") is not None]
    assert len(bars) == sum(bool(x) for ln in lines for x in (ln.on_time, ln.late, ln.missing, ln.excused))
    widths = {r.find(f"{ns}title").text: float(r.get("width")) for r in bars}  # type: ignore[union-attr]
    assert widths  # proportional: one day has the same width everywhere
    one_day = {round(float(r.get("width")) / int(r.find(f"{ns}title").text.split()[-1]), 1) for r in bars}  # type: ignore[union-attr]
    assert len(one_day) == 1
    assert "按时" in svg and "迟报" in svg and "on time" in punctuality_chart(lines, "en")


def test_spooled_attachment_is_stored_in_chunks_and_reads_back(any_db_url: str, tmp_path: Path) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)  # several chunks on both databases, not a multiple of any
    staged = spooled(tmp_path, "scan.jpg", data)
    assert file_sha256(staged.path) == staged.sha256
    with open_session(any_db_url) as s:
        install_bureau(s, seed_bureau(), dt.datetime(2026, 11, 1, tzinfo=UTC))
        receipt = submit(s, unit_id="grp-water", day=DAY, kind="report", text="附照片", attachments=[staged],
                         now=MORNING, via="web")  # fmt: skip
        s.commit()
        assert receipt.attachments == [{"filename": "scan.jpg", "size": len(data), "sha256": staged.sha256}]
        assert attachment_bytes(s, receipt=receipt.receipt, filename="scan.jpg") == data
        assert s.scalar(select(ReportAttachment.content_type)) == "image/jpeg"
        assert history(s, unit_id="grp-water", day=DAY)[0]["via"] == "web"
        row_id = insert_with_blob(s, InspectionPhoto, {"result_id": 1, "site_id": "x", "day": DAY, "filename": "b",
                                  "content_type": "image/png", "size": 3, "sha256": "0" * 64, "uploaded_at": MORNING},
                                  b"abc")  # fmt: skip
        assert s.get(InspectionPhoto, row_id).data == b"abc"


def test_inspector_records_own_group_with_photos_and_board(bureau_session, tmp_path: Path) -> None:  # noqa: ANN001
    s = bureau_session
    assign(s, DAY, MORNING)
    s.commit()
    water = groups_day(s, DAY, MORNING, {"water"})[0]
    assert water.sites and water.done == 0 and len(water.left) == len(water.sites)
    someone = water.sites[-1].inspector_ids[0]
    ordered = mine_first(water.sites, someone)
    mine = [x for x in ordered if someone in x.inspector_ids]
    assert ordered[: len(mine)] == mine and sorted(ordered, key=lambda x: x.site_id) == sorted(
        water.sites, key=lambda x: x.site_id
    )
    site = water.sites[0]
    other = next(g for g in groups_day(s, DAY, MORNING) if g.group_id == "parks").sites[0]
    photo = spooled(tmp_path, "水厂.jpg", b"\xff\xd8" + os.urandom(5000))
    at = MORNING + dt.timedelta(hours=2)
    with pytest.raises(ResultRejected) as refused:
        record_with_photos(s, site_id=other.site_id, day=DAY, outcome="ok", note="", by="p14", photos=[], now=at)
    assert refused.value.status == 403 and refused.value.field == "site"
    with pytest.raises(ResultRejected) as not_image:
        record_with_photos(s, site_id=site.site_id, day=DAY, outcome="ok", note="", by="p14", now=at,
                           photos=[spooled(tmp_path, "a.exe", b"MZ", "application/x-msdownload")])  # fmt: skip
    assert not_image.value.field == "photos[0]"
    s.rollback()
    rec = record_with_photos(s, site_id=site.site_id, day=DAY, outcome="issue", note="消毒记录缺失", by="p14",
                             photos=[photo], now=at)  # fmt: skip
    s.commit()
    water = groups_day(s, DAY, at, {"water"})[0]
    done = next(x for x in water.sites if x.site_id == site.site_id)
    assert done.outcome == "issue" and done.note == "消毒记录缺失" and len(done.photos) == 1
    assert water.done == 1 and water.issues == 1 and water.sites[-1].site_id == site.site_id  # recorded go last
    stored, data = photo_bytes(s, done.photos[0].id)
    assert data == photo.data and stored.filename == "水厂.jpg" and stored.result_id == rec.result_id
    names = {"p14": "张三"}
    assert sum(n for _, _, n in water.by_inspector(names)) == sum(len(x.inspector_ids) for x in water.sites)
    evening = dt.datetime(2026, 11, 23, 13, 0, tzinfo=UTC)  # 21:00 local: past the 20:00 results deadline
    sup = supervision_board(s, DAY, evening)
    assert sup.feed[0].site_id == site.site_id and sup.feed[0].photos == 1
    planned = sum(len(g.sites) for g in sup.groups)
    assert len(sup.overdue) == planned - 1 and sup.sentence.startswith("累计检查")


def test_daily_report_docx_says_what_the_text_says(bureau_session) -> None:  # noqa: ANN001
    s = bureau_session
    assign(s, DAY, MORNING)
    s.commit()
    report = build_daily_report(s, DAY, dt.datetime(2026, 11, 23, 13, 0, tzinfo=UTC))
    data = daily_report_docx(report.text)
    assert data[:2] == b"PK"
    text = docx_text(data)
    expected = [line.strip() for line in report.text.splitlines() if line.strip()]
    assert text.splitlines() == expected
    assert text.splitlines()[0].endswith("日报告") and "一、值班值守" in text
