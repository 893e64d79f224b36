"""In real Chromium at 390×844: an officer registers an incident and drafts its 首报, the leader signs and
sends it; screenshots in out/screenshots/incidents-*-390.png."""

from __future__ import annotations

import re

import pytest

from tests.web_helpers import WEB_NOW, browser_login, shot

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]  # one Chromium, one server per run


def test_register_draft_sign_and_send_a_first_report_on_a_phone(browser, live_server) -> None:  # noqa: ANN001
    phone = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
    officer = browser.new_context(base_url=live_server.url, locale="zh-CN", **phone)
    leader = browser.new_context(base_url=live_server.url, locale="zh-CN", **phone)
    try:
        page = officer.new_page()
        browser_login(page, "p20")
        page.goto("/incidents/new")
        assert page.input_value("#f-received_at") == "2026-11-23T09:00"  # now, in Chuxiong
        page.fill("#f-title", "供水主管爆裂")
        page.select_option("#f-severity", "major")
        page.fill("#f-received_at", "2026-11-23T08:50")
        page.fill("#f-source", "供水公司调度")
        page.fill("#f-place", "鹿城南路与永安路口")
        page.select_option("#f-category", "城市供水")
        page.fill("#f-facts", "DN600 主管爆裂，周边停水")
        shot(page, "incidents-register-390")
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r"/incidents/\d+$"))
        assert page.locator("#clocks").inner_text().count("已超时") == 0
        shot(page, "incidents-page-390")
        page.click("text=起草首报")
        page.wait_for_url(re.compile(r"/incidents/reports/\d+$"))
        page.fill("#f-casualties", "无人员伤亡，约 3000 户停水")
        page.fill("#f-measures", "已关闭上游阀门，抢修队到场")
        page.click("text=保存草稿")
        shot(page, "incidents-draft-390")
        report_path = page.url.replace(live_server.url, "")

        lead = leader.new_page()
        browser_login(lead, "p01")
        lead.goto(report_path)
        lead.click("#sign")
        assert lead.locator("#report-status").inner_text() == "已签发"
        lead.click("#send")
        assert lead.locator("#report-status").inner_text() == "已报送"
        assert "签发人：徐超" in lead.locator(".report-text").inner_text()
        shot(lead, "incidents-sent-390")
        width = lead.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the report page scrolls sideways on a phone ({width}px)"
        lead.click("text=供水主管爆裂")
        timeline = lead.locator("#timeline").inner_text()
        assert "徐超 签发首报" in timeline and "报送首报" in timeline
        shot(lead, "incidents-timeline-390")
    finally:
        officer.close()
        leader.close()
    assert WEB_NOW.hour == 1  # 09:00 in Chuxiong: p01 is the bureau head, who may always sign
