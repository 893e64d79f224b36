"""排班: a draft is planned in the background, shown as a diff, and only publishing changes the roster."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import delete, func, select

from roster.storage import open_session
from roster.storage.models.console import RosterDraft
from roster.storage.models.shifts import AuditEntry, Shift, ShiftAssignment


@pytest.fixture
def inline_jobs(web_app):
    web_app.state.job_runner = lambda job: job()  # run the solve inside the request (deterministic)
    return web_app


def _seats(url: str, first: dt.date, last: dt.date) -> dict:
    with open_session(url) as s:
        rows = s.execute(
            select(Shift.duty_date, ShiftAssignment.role, ShiftAssignment.person_id)
            .join(ShiftAssignment, ShiftAssignment.shift_id == Shift.id)
            .where(Shift.duty_date >= first, Shift.duty_date <= last)
        ).all()
    return {(d, r, p) for d, r, p in rows}


def test_plan_draft_diff_publish(inline_jobs, client_for, web_db_url):
    day = dt.date(2026, 12, 2)
    with open_session(web_db_url) as s:  # 12-02 loses its shift: the draft must fill it
        s.execute(delete(Shift).where(Shift.duty_date == day))
        s.commit()
    before = _seats(web_db_url, dt.date(2026, 11, 30), dt.date(2026, 12, 6))
    admin = client_for("p12")
    response = admin.post("/plan", {"start": "2026-11-30", "days": "7", "time_limit": "5"})
    assert response.status_code == 303
    page = admin.get(response.headers["location"])
    assert 'data-testid="draft-status">待发布' in page.text
    assert _seats(web_db_url, dt.date(2026, 11, 30), dt.date(2026, 12, 6)) == before  # nothing published yet
    diff = page.text.split('data-testid="draft-diff"', 1)[1]
    assert diff.count("+2026-12-02") == 3  # three people gain the empty day's seats
    draft_id = int(re.search(r"/plan/drafts/(\d+)", response.headers["location"]).group(1))
    assert admin.post(f"/plan/drafts/{draft_id}/publish").status_code == 303
    after = _seats(web_db_url, dt.date(2026, 11, 30), dt.date(2026, 12, 6))
    assert {(d, r) for d, r, _ in after if d == day} == {(day, "leader_on_duty"), (day, "duty_officer")}
    assert before <= after  # minimal change: every stored seat kept
    with open_session(web_db_url) as s:
        draft = s.get(RosterDraft, draft_id)
        assert draft.status == "published" and draft.published_by == "p12"
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "draft.publish")).one()
        assert entry.actor == "p12" and len(entry.details["moves"]) == 3
    again = admin.post(f"/plan/drafts/{draft_id}/publish")
    assert again.status_code == 409  # published once only


def test_a_stale_draft_is_refused_and_changes_nothing(inline_jobs, client_for, web_db_url):
    admin = client_for("p01")
    location = admin.post("/plan", {"start": "2026-12-07", "days": "3", "time_limit": "3"}).headers["location"]
    draft_id = int(location.rsplit("/", 1)[1])
    with open_session(web_db_url) as s:  # someone changes the roster meanwhile
        s.execute(delete(Shift).where(Shift.duty_date == dt.date(2026, 12, 8)))
        s.commit()
    before = _seats(web_db_url, dt.date(2026, 12, 7), dt.date(2026, 12, 9))
    refused = admin.post(f"/plan/drafts/{draft_id}/publish")
    assert refused.status_code == 409 and "已过期" in refused.text
    assert _seats(web_db_url, dt.date(2026, 12, 7), dt.date(2026, 12, 9)) == before
    with open_session(web_db_url) as s:
        assert s.get(RosterDraft, draft_id).status == "stale"


def test_bad_plan_input_is_shown_beside_the_field_and_creates_nothing(client_for, web_db_url):
    admin = client_for("p12")
    response = admin.post("/plan", {"start": "2026-02-30", "days": "x", "time_limit": "0"})
    assert response.status_code == 400
    assert 'id="e-start"' in response.text and 'id="e-days"' in response.text
    past = admin.post("/plan", {"start": "2026-11-01", "days": "7", "time_limit": "5"})
    assert past.status_code == 400 and "不能早于今天的值班日" in past.text
    too_long = admin.post("/plan", {"start": "2026-12-01", "days": "999", "time_limit": "5"})
    assert too_long.status_code == 400 and 'id="e-days"' in too_long.text
    with open_session(web_db_url) as s:
        assert s.scalar(select(func.count()).select_from(RosterDraft)) == 0


def test_publish_announces_exactly_the_moves_through_the_notices_hook(inline_jobs, client_for, monkeypatch):
    """roster.planning.announce calls the notices feature's notify_shift_changes when it is installed."""
    import sys
    import types

    calls = []
    fake = types.ModuleType("roster.notices.changes")
    fake.notify_shift_changes = lambda session, changes, source, now, reason=None: calls.append(
        (list(changes), source, now)
    )
    monkeypatch.setitem(sys.modules, "roster.notices", types.ModuleType("roster.notices"))
    monkeypatch.setitem(sys.modules, "roster.notices.changes", fake)
    admin = client_for("p12")
    location = admin.post("/plan", {"start": "2027-01-04", "days": "2", "time_limit": "3"}).headers["location"]
    assert calls == []  # a draft tells nobody
    admin.post(location + "/publish")
    [(moves, source, _)] = calls
    assert source == "publish" and len(moves) == 6 and all(m["old"] is None and m["new"] for m in moves)
