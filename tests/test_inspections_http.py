"""POST /inspections/results on the real server (uvicorn on a loopback port): a member's token records for its
group's site, is refused for another group's site, and stops working once revoked."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from typer.testing import CliRunner

from roster.cli import app as cli
from roster.inspections.jobs import assign_day
from roster.storage import open_session
from roster.timeutil import local_date_of, utc_now
from roster.web.app import create_app
from tests.inspections_helpers import install_bureau, seed_bureau


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(db_url: str) -> Iterator[str]:
    now = utc_now()
    with open_session(db_url) as s:
        install_bureau(s, seed_bureau(), now - dt.timedelta(days=1))
    # Morning of today (local): the plan for today, which the member records against.
    assign_day(now, db_url)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(db_url), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def _issue(person: str) -> str:
    out = CliRunner().invoke(cli, ["inspections", "token", "issue", person])
    assert out.exit_code == 0, out.output
    return out.output.strip()


def test_member_token_records_own_group_only_until_revoked(server: str) -> None:
    today = local_date_of(utc_now(), "Asia/Shanghai").isoformat()
    token = _issue("p14")  # a member of the water group
    assert len(token) >= 43  # 32 random bytes, url-safe base64
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=server, timeout=10) as client:
        ok = client.post("/inspections/results", json={"site": "wp001", "date": today, "result": "issue",
                                                       "note": "余氯偏低"}, headers=auth)  # fmt: skip
        assert ok.status_code == 201, ok.text
        assert ok.json()["recorded_by"] == "p14" and ok.json()["result"] == "issue"

        other = client.post("/inspections/results", json={"site": "cs001", "date": today, "result": "ok"}, headers=auth)
        assert other.status_code == 403 and other.json()["detail"]["field"] == "site"

        bad = client.post("/inspections/results", json={"site": "wp001", "date": today, "result": "fine"}, headers=auth)
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "result"

        unknown = client.post("/inspections/results", json={"site": "zz1", "date": today, "result": "ok"}, headers=auth)
        assert unknown.status_code == 404 and unknown.json()["detail"]["field"] == "site"

        missing = client.post("/inspections/results", json={"site": "wp001", "date": today, "result": "ok"})
        assert missing.status_code == 401 and missing.json()["detail"]["field"] == "Authorization"

        revoked = CliRunner().invoke(cli, ["inspections", "token", "revoke", "p14"])
        assert revoked.exit_code == 0 and "revoked 1" in revoked.output
        after = client.post("/inspections/results", json={"site": "wp001", "date": today, "result": "ok"}, headers=auth)
        assert after.status_code == 401

        forged = client.post("/inspections/results", json={"site": "wp001", "date": today, "result": "ok"},
                             headers={"Authorization": "Bearer " + "A" * 43})  # fmt: skip
        assert forged.status_code == 401


def test_token_is_stored_hashed(db_url: str) -> None:
    from sqlalchemy import select

    from roster.storage.models.inspections import InspectionToken

    with open_session(db_url) as s:
        install_bureau(s, seed_bureau(), utc_now())
    token = _issue("p20")
    with open_session(db_url) as s:
        stored = s.scalars(select(InspectionToken.token_sha256)).all()
    assert token not in stored and len(stored) == 1 and len(stored[0]) == 64
    refused = CliRunner().invoke(cli, ["inspections", "token", "issue", "p01"])  # the head is in no group
    assert refused.exit_code == 2 and "PERSON" in refused.output
