"""Real clicks in Chromium on the live server: a unit files from a 390 × 844 phone (a zero report, then a report
with a photo), the board changes, an inspector records an issue with a photo, an admin downloads the daily
report .docx and the test reads it with python-docx. Every page is kept as a screenshot in out/screenshots/."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from roster.inspections.assign import assign
from roster.inspections.daily_report_docx import docx_text
from roster.storage import session_scope
from roster.storage.models.inspection_photos import InspectionPhoto
from roster.storage.models.inspections import InspectionVisit
from tests.pages_helpers import png_bytes
from tests.web_helpers import WEB_NOW, browser_login, shot

PHONE = {"width": 390, "height": 844}
DAY = dt.date(2026, 11, 23)
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture(scope="module")
def planned(live_server):  # noqa: ANN001, ANN201
    with session_scope(live_server.database_url) as s:
        assign(s, DAY, WEB_NOW)
    return live_server


def _phone(browser, live_server):  # noqa: ANN001, ANN202
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport=PHONE, is_mobile=True,
                                  has_touch=True, device_scale_factor=2)  # fmt: skip
    context.set_default_timeout(10_000)
    return context, context.new_page()


def _photo(tmp_path, name: str = "现场.png", seed: int = 0):  # noqa: ANN001, ANN202
    path = tmp_path / name
    path.write_bytes(png_bytes(320, 240, seed))
    return path


def _state(page, unit: str) -> str:  # noqa: ANN001
    return page.locator(f'#board li[data-unit="{unit}"]').get_attribute("data-state")


def test_unit_files_from_a_phone_and_the_board_changes(browser, planned, page, tmp_path) -> None:  # noqa: ANN001
    browser_login(page, "p01")
    page.goto(f"/reports/board?date={DAY.isoformat()}")
    assert _state(page, "grp-parks") == "pending"
    shot(page, "reports-board-before")

    context, phone = _phone(browser, planned)
    try:
        browser_login(phone, "grp-parks")
        phone.goto("/unit")
        shot(phone, "unit-page")
        phone.click("#zero-form button[type=submit]")
        phone.wait_for_selector("#receipt")
        assert "零报告" in phone.inner_text("#receipt")
        shot(phone, "unit-receipt-zero")
        phone.fill("#f-text", "今日巡查西山公园、龙江公园，发现一处护栏破损，已拍照。")
        phone.set_input_files("#f-photos", str(_photo(tmp_path)))
        phone.click("#report-form button[type=submit]")
        phone.wait_for_selector("#receipt")
        receipt = phone.inner_text("#receipt")
        assert "日报告" in receipt and "更正" in phone.inner_text("main")
        shot(phone, "unit-receipt-correction")
    finally:
        context.close()

    page.goto(f"/reports/board?date={DAY.isoformat()}")
    assert _state(page, "grp-parks") == "submitted"
    shot(page, "reports-board-after")
    page.click('#board li[data-unit="grp-parks"] a.name')
    page.wait_for_selector("#rev-2")
    assert "现场.png" in page.inner_text("#rev-2")
    shot(page, "reports-unit-day")
    page.goto("/reports/stats?month=2026-11")
    assert page.locator("#chart svg").count() == 1
    shot(page, "reports-stats")


def test_inspector_records_an_issue_with_a_photo(browser, planned, tmp_path) -> None:  # noqa: ANN001
    with session_scope(planned.database_url) as s:
        site = s.scalars(
            select(InspectionVisit.site_id).where(InspectionVisit.day == DAY, InspectionVisit.group_id == "water")
            .order_by(InspectionVisit.site_id)
        ).first()  # fmt: skip
    context, phone = _phone(browser, planned)
    try:
        browser_login(phone, "p20")
        phone.goto("/inspect")
        shot(phone, "inspect-page", full_page=False)
        card = phone.locator(f"#s-{site}")
        card.locator("summary").click()
        shot(phone, "inspect-form", full_page=False)
        card.locator("input[value=issue]").check()
        card.locator("textarea[name=note]").fill("二次供水水箱未加盖")
        card.locator("input[name=photos]").set_input_files(str(_photo(tmp_path, "水箱.png", 90)))
        card.locator("button[type=submit]").click()
        phone.wait_for_selector("#saved")
        assert "发现问题" in phone.inner_text(f"#s-{site}")
        shot(phone, "inspect-recorded", full_page=False)
    finally:
        context.close()
    with session_scope(planned.database_url) as s:
        assert s.scalars(select(InspectionPhoto.filename).where(InspectionPhoto.site_id == site)).one() == "水箱.png"


def test_admin_downloads_the_daily_report_docx(planned, page) -> None:  # noqa: ANN001
    browser_login(page, "p01")
    page.goto(f"/inspections/board?date={DAY.isoformat()}")
    preview = page.inner_text("#report")
    shot(page, "inspections-board")
    with page.expect_download() as info:
        page.click("#dl-docx")
    download = info.value
    assert download.suggested_filename.endswith(".docx")
    text = docx_text(open(download.path(), "rb").read())  # noqa: PTH123, SIM115
    assert text.splitlines()[0] == preview.splitlines()[0] and "二、行业检查" in text and "三、累计情况" in text
    from roster.reports.escalation import check

    evening = dt.datetime(2026, 11, 23, 9, 10, tzinfo=dt.UTC)  # 17:10 local: groups past their 16:00 deadline
    with session_scope(planned.database_url) as s:
        check(s, evening)
    planned.clock.now = evening
    try:
        page.goto(f"/reports/board/grp-water/{DAY.isoformat()}")
        assert page.locator("#timeline li.k-notified").count() >= 2
        assert page.locator("a#ack[href^='/ack/']").count() == 1 and "组长" in page.inner_text("#timeline")
        shot(page, "reports-unit-day-escalation")
    finally:
        planned.clock.now = WEB_NOW
    page.goto("/notifications?status=pending")
    shot(page, "notifications")
    page.locator("#messages li a.name").first.click()
    page.wait_for_selector("#body")
    assert "/ack/" in page.inner_text("#body")
    shot(page, "notification-message")
