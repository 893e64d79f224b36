"""The HTTP API against a real server on loopback: tokens, submission, signed ack links, and schemathesis."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from reports_helpers import LoopbackServer, install_bureau, replay_document, seed_bureau
from sqlalchemy import func, select

from roster.reports import links
from roster.reports.escalation import check
from roster.storage import open_session
from roster.storage.models.outbox import OutboxMessage
from roster.storage.models.reports import ReportAck, ReportExpectation, ReportSubmission
from roster.timeutil import local_date_of, utc_now


def _now() -> dt.datetime:
    return dt.datetime.fromtimestamp(utc_now().timestamp(), tz=dt.UTC)


@pytest.fixture
def server(any_db_url: str):  # noqa: ANN201
    with open_session(any_db_url) as s:
        install_bureau(s, seed_bureau(replay_document()), _now() - dt.timedelta(days=30))
    with LoopbackServer(any_db_url) as srv:
        srv.db_url = any_db_url  # type: ignore[attr-defined]
        yield srv


def _token(db_url: str, unit: str) -> str:
    with open_session(db_url) as s:
        token = links.issue_token(s, unit, _now())
        s.commit()
    return token


def test_submit_replay_correct_and_refuse_other_units(server) -> None:  # noqa: ANN001
    token = _token(server.db_url, "a-group")
    today = local_date_of(_now(), "Asia/Shanghai").isoformat()
    blob = "巡查记录".encode() * 100
    body = {
        "unit": "a-group",
        "date": today,
        "kind": "report",
        "text": "今日检查工地 5 处",
        "attachments": [
            {"filename": "记录.txt", "content_type": "text/plain", "content_base64": base64.b64encode(blob).decode()}
        ],
    }
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=server.base_url, timeout=10) as client:
        first = client.post("/reports", json=body, headers=auth)
        assert first.status_code == 201, first.text
        receipt = first.json()
        assert receipt["revision"] == 1 and receipt["attachments"][0]["sha256"] == hashlib.sha256(blob).hexdigest()
        again = client.post("/reports", json=body, headers=auth)
        assert again.status_code == 200 and again.json()["receipt"] == receipt["receipt"] and again.json()["replayed"]
        corrected = client.post("/reports", json={**body, "text": "今日检查工地 6 处"}, headers=auth)
        assert corrected.status_code == 201 and corrected.json()["revision"] == 2
        keyed = {**body, "kind": "zero", "text": "", "attachments": [], "idempotency_key": "k1"}
        assert client.post("/reports", json=keyed, headers=auth).status_code == 201
        conflict = client.post("/reports", json={**keyed, "text": "x", "kind": "report"}, headers=auth)
        assert conflict.status_code == 409 and conflict.json()["detail"][0]["loc"] == ["body", "idempotency_key"]

        other = client.post("/reports", json={**body, "unit": "b-firm"}, headers=auth)
        assert other.status_code == 403 and other.json()["detail"][0]["loc"] == ["body", "unit"]
        ghost = client.post("/reports", json={**body, "unit": "ghost"}, headers=auth)
        assert ghost.status_code == 404 and "ghost" in ghost.json()["detail"][0]["msg"]
        assert client.post("/reports", json=body).status_code == 401
        assert client.post("/reports", json=body, headers={"Authorization": "Bearer nope"}).status_code == 401

        future = client.post("/reports", json={**body, "date": "2099-01-01"}, headers=auth)
        assert future.status_code == 422 and future.json()["detail"][0]["loc"] == ["body", "date"]
        bad64 = {**body, "attachments": [{"filename": "a.txt", "content_base64": "***"}]}
        r = client.post("/reports", json=bad64, headers=auth)
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "attachments[0].content_base64"]
        r = client.post("/reports", json={**body, "colour": "red"}, headers=auth)
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "colour"]
        r = client.post("/reports", content=b"{not json", headers={**auth, "Content-Type": "application/json"})
        assert r.status_code == 422
        huge = client.post("/reports", content=b"x" * (30 * 1024 * 1024), headers=auth)
        assert huge.status_code == 413

    with open_session(server.db_url) as s:
        assert s.scalar(select(func.count()).select_from(ReportSubmission)) == 3

    with open_session(server.db_url) as s:
        links.revoke_tokens(s, "a-group", _now())
        s.commit()
    with httpx.Client(base_url=server.base_url, timeout=10) as client:
        assert client.post("/reports", json=body, headers=auth).status_code == 401


def _ack_url(db_url: str, person: str, day: dt.date) -> str:
    with open_session(db_url) as s:
        message = s.scalars(
            select(OutboxMessage).where(
                OutboxMessage.person_id == person, OutboxMessage.payload["date"].as_string() == day.isoformat()
            )
        ).first()
        assert message is not None
        return message.payload["ack_url"].rsplit("/ack/", 1)[1]


def _form_token(page: str) -> str | None:
    import re

    found = re.search(r'name=csrf value="([^"]+)"', page)
    return found.group(1) if found else None


def _acks(db_url: str, day: dt.date) -> tuple[int, str | None]:
    with open_session(db_url) as s:
        row = s.scalars(
            select(ReportExpectation).where(ReportExpectation.unit_id == "a-group", ReportExpectation.day == day)
        ).one()
        return s.scalar(select(func.count()).select_from(ReportAck)) or 0, row.acked_by


def test_ack_link_get_changes_nothing_and_a_one_time_post_acknowledges(server) -> None:  # noqa: ANN001
    """Issue 16 (1): scanners fetch links. GET only shows; the page's one-time form acknowledges."""
    now = _now()
    yesterday = local_date_of(now, "Asia/Shanghai") - dt.timedelta(days=1)
    with open_session(server.db_url) as s:
        check(s, now)
        s.commit()
    leader_link, contact_link = _ack_url(server.db_url, "p03", yesterday), _ack_url(server.db_url, "p09", yesterday)
    with httpx.Client(base_url=server.base_url, timeout=10) as client:
        for _ in range(3):  # a scanner, a chat preview and the person: nothing is acknowledged
            page = client.get(f"/ack/{leader_link}")
            assert page.status_code == 200 and "确认" in page.text and "Acknowledge" in page.text
            assert page.headers["cache-control"] == "no-store"
        assert _acks(server.db_url, yesterday) == (0, None)
        token = _form_token(page.text)
        assert token
        # the unit's own contact (step 1) is told how to stop escalation, and gets no form
        own = client.get(f"/ack/{contact_link}")
        assert own.status_code == 200 and _form_token(own.text) is None and "零报告" in own.text
        # a form token belongs to its link: p09 cannot borrow p03's, and cannot post without one
        assert client.post(f"/ack/{contact_link}", data={"csrf": token}).status_code == 403
        assert client.post(f"/ack/{contact_link}", data={}).status_code == 422
        tampered = leader_link[:-2] + ("AA" if not leader_link.endswith("AA") else "BB")
        assert client.get(f"/ack/{tampered}").status_code == 403
        assert client.get("/ack/garbage").status_code == 403
        assert _acks(server.db_url, yesterday) == (0, None)

        r = client.post(f"/ack/{leader_link}", data={"csrf": token})
        assert r.status_code == 200 and "后续催报已停止" in r.text
        assert client.post(f"/ack/{leader_link}", data={"csrf": token}).status_code == 409  # one time only
        # the JSON API takes the same one-time token
        fresh = _form_token(client.get(f"/ack/{leader_link}").text)
        assert client.post("/reports/ack", json={"signed": leader_link, "csrf": "x.1.y"}).status_code == 403
        r = client.post("/reports/ack", json={"signed": leader_link, "csrf": fresh})
        assert r.status_code == 200 and r.json()["acked_by"] == "p03" and r.json()["via"] == "link"
        assert client.post("/reports/ack", json={"signed": leader_link, "csrf": fresh}).status_code == 409
    assert _acks(server.db_url, yesterday) == (2, "p03")
    with open_session(server.db_url) as s:
        row = s.scalars(
            select(ReportExpectation).where(ReportExpectation.unit_id == "a-group", ReportExpectation.day == yesterday)
        ).one()
        assert row.next_check_at is None
    secret = links.server_secret()
    expired = links.sign_ack(secret, "a-group", yesterday, "p03", now - dt.timedelta(seconds=1))
    with httpx.Client(base_url=server.base_url, timeout=10) as client:
        assert client.get(f"/ack/{expired}").status_code == 410


def test_the_unit_contact_cannot_acknowledge_even_with_a_valid_form(server) -> None:  # noqa: ANN001
    """A unit contact who forges nothing but crafts the POST themselves is still refused."""
    now = _now()
    yesterday = local_date_of(now, "Asia/Shanghai") - dt.timedelta(days=1)
    with open_session(server.db_url) as s:
        check(s, now)
        s.commit()
    contact_link = _ack_url(server.db_url, "p09", yesterday)
    token = links.issue_form_token(links.server_secret(), contact_link, now)
    with httpx.Client(base_url=server.base_url, timeout=10) as client:
        r = client.post(f"/ack/{contact_link}", data={"csrf": token})
        assert r.status_code == 403 and "说明情况" in r.text
        assert client.post("/reports/ack", json={"signed": contact_link, "csrf": token}).status_code == 403
    assert _acks(server.db_url, yesterday) == (0, None)


def test_serve_listens_on_loopback_by_default() -> None:
    import inspect

    from roster.cli.serve import serve

    assert inspect.signature(serve).parameters["host"].default == "127.0.0.1"


# Only this feature's operations: other features' routes have their own tests.
schema = schemathesis.pytest.from_fixture("app_schema").include(path_regex="^/(reports|ack)")


@pytest.fixture
def api_token(db_url: str) -> str:
    with open_session(db_url) as s:
        install_bureau(s, seed_bureau(replay_document()), _now() - dt.timedelta(days=30))
    return _token(db_url, "a-group")


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_never_answers_5xx(case, api_token: str) -> None:  # noqa: ANN001
    headers = {"Authorization": f"Bearer {api_token}"} if not (case.headers or {}).get("authorization") else None
    response = case.call(headers=headers)
    assert response.status_code < 500, response.text
