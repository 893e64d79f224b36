"""换班与请假: request → colleague accepts → leader on duty / admin approves; refusals name the rule."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from roster.on_duty import on_duty_at
from roster.storage import open_session
from roster.storage.models.console import LeaveRequest, RosterDraft, SwapRequest
from roster.storage.models.people import Leave
from roster.storage.models.shifts import AuditEntry, Shift
from tests.web_helpers import WEB_NOW, duty_days, free_pair, holder, uid


def test_swap_request_accept_approve_changes_the_roster(client_for, web_db_url):
    x, colleague, y = free_pair(web_db_url, "p20")
    me = client_for("p20")
    form = {"shift": uid(x), "colleague": colleague, "colleague_date": y.isoformat(), "reason": "家里有事"}
    assert me.post("/requests/swap", form).headers["location"] == "/requests?done=sent"
    assert holder(web_db_url, x, "p20")  # nothing changes before the approval
    other = client_for(colleague)
    page = other.get("/requests").text
    assert 'data-testid="incoming"' in page and "家里有事" in page
    with open_session(web_db_url) as s:
        req = s.scalars(select(SwapRequest)).one()
    assert client_for("p02").post(f"/requests/{req.id}/accept").status_code == 400  # not the named colleague
    assert other.post(f"/requests/{req.id}/accept").headers["location"] == "/requests?done=accepted"
    with open_session(web_db_url) as s:
        leader = on_duty_at(s, WEB_NOW).leader_on_duty.person_id
    not_on_duty = next(p for p in ("p02", "p03", "p04", "p05") if p != leader)
    refused = client_for(not_on_duty).post(f"/requests/{req.id}/approve")
    assert refused.status_code == 400 and "只有当班带班领导或管理员可以审批" in refused.text
    assert client_for(leader).post(f"/requests/{req.id}/approve").headers["location"] == "/requests?done=approved"
    assert holder(web_db_url, x, colleague) and holder(web_db_url, y, "p20")
    assert not holder(web_db_url, x, "p20")
    with open_session(web_db_url) as s:
        actions = [
            a for (a,) in s.execute(select(AuditEntry.action).order_by(AuditEntry.id)) if "swap" in a or "request" in a
        ]
        assert actions == ["request.swap", "request.accept", "swap.exchange", "request.approve"]


def test_a_request_breaking_a_rule_is_refused_by_name_in_the_users_language(client_for, web_db_url):
    days = duty_days(web_db_url)
    x = days["p20"][0]
    # a colleague on duty the day after x: covering x would leave them less than 48 h of rest
    colleague = next(p for p, ds in days.items() if x + dt.timedelta(days=1) in ds)
    me = client_for("p20")
    refused = me.post("/requests/swap", {"shift": uid(x), "colleague": colleague, "reason": "培训"})
    assert refused.status_code == 409
    assert "违反“最短休息时间”规则" in refused.text and "48 小时" in refused.text
    me.http.cookies.set("dutyflow_lang", "en")
    refused = me.post("/requests/swap", {"shift": uid(x), "colleague": colleague, "reason": "training"})
    assert "rule “minimum rest”" in refused.text
    with open_session(web_db_url) as s:
        assert s.scalar(select(func.count()).select_from(SwapRequest)) == 0


def test_bad_swap_and_leave_input_is_named_beside_the_field(client_for, web_db_url):
    me = client_for("p20")
    empty = me.post("/requests/swap", {"shift": "", "colleague": "", "reason": ""})
    assert empty.status_code == 400 and 'id="e-shift"' in empty.text and 'id="e-colleague"' in empty.text
    x = duty_days(web_db_url)["p20"][0]
    no_shift = me.post(
        "/requests/swap", {"shift": uid(x), "colleague": "p21", "colleague_date": "2026-11-01", "reason": "x"}
    )
    assert no_shift.status_code == 400 and 'id="e-colleague_date"' in no_shift.text
    backwards = me.post("/requests/leave", {"first_day": "2026-12-10", "last_day": "2026-12-01", "leave_reason": "x"})
    assert backwards.status_code == 400 and 'id="e-last_day"' in backwards.text
    past = me.post("/requests/leave", {"first_day": "2026-11-01", "last_day": "2026-11-02", "leave_reason": "x"})
    assert past.status_code == 400 and 'id="e-first_day"' in past.text
    with open_session(web_db_url) as s:
        assert s.scalar(select(func.count()).select_from(SwapRequest)) == 0
        assert s.scalar(select(func.count()).select_from(LeaveRequest)) == 0


def test_leave_approval_offers_a_minimal_change_replan_draft(client_for, web_db_url, web_app):
    web_app.state.job_runner = lambda job: job()
    x = duty_days(web_db_url)["p20"][0]
    me = client_for("p20")
    assert (
        me.post(
            "/requests/leave", {"first_day": x.isoformat(), "last_day": x.isoformat(), "leave_reason": "病假"}
        ).status_code
        == 303
    )
    with open_session(web_db_url) as s:
        req = s.scalars(select(LeaveRequest)).one()
    assert client_for("p02").post(f"/requests/leave/{req.id}/approve").status_code == 403  # admins only
    approved = client_for("p12").post(f"/requests/leave/{req.id}/approve")
    assert approved.status_code == 303 and approved.headers["location"].startswith("/plan/drafts/")
    with open_session(web_db_url) as s:
        leave = s.scalars(select(Leave).where(Leave.person_id == "p20", Leave.source == "request")).one()
        assert leave.first_day == x
        draft = s.scalars(select(RosterDraft)).one()
        assert draft.kind == "leave" and draft.status == "ready"
        assert [m for m in draft.changes if m["old"] == "p20"] and len(draft.changes) == 1  # one seat moves
    assert holder(web_db_url, x, "p20")  # still on the published roster until the draft is published
    client_for("p12").post(approved.headers["location"] + "/publish")
    assert not holder(web_db_url, x, "p20")


def test_a_draft_whose_shift_has_started_is_not_published(client_for, web_db_url, web_app, web_clock):
    web_app.state.job_runner = lambda job: job()
    x = duty_days(web_db_url)["p20"][0]
    form = {"first_day": x.isoformat(), "last_day": x.isoformat(), "leave_reason": "病假"}
    assert client_for("p20").post("/requests/leave", form).status_code == 303
    with open_session(web_db_url) as s:
        req = s.scalars(select(LeaveRequest)).one()
    location = client_for("p12").post(f"/requests/leave/{req.id}/approve").headers["location"]
    with open_session(web_db_url) as s:
        starts = s.scalar(select(Shift.starts_at).where(Shift.duty_date == x))
    web_clock.now = starts + dt.timedelta(hours=1)
    refused = client_for("p12").post(location + "/publish")
    assert refused.status_code == 409 and "已经开始" in refused.text
    assert holder(web_db_url, x, "p20")  # nothing written
