"""Issue 16 over the real HTTP server: bounded bodies (2), text the databases store alike (4), attachment
names (5) and /healthz while the database is down (7)."""

from __future__ import annotations

import base64
import datetime as dt
import socket
import uuid

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reports_helpers import LoopbackServer, install_bureau, seed_bureau
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from roster.cli import app as cli
from roster.inspections.jobs import assign_day
from roster.reports import links
from roster.storage import open_session
from roster.timeutil import local_date_of, utc_now
from tests.conftest import PG_ADMIN_URL

UNIT = "grp-water"  # a unit of examples/chuxiong.yaml; p14 is a member of the water group


def _now() -> dt.datetime:
    return dt.datetime.fromtimestamp(utc_now().timestamp(), tz=dt.UTC)


@pytest.fixture
def live(any_db_url: str):  # noqa: ANN201
    now = _now()
    with open_session(any_db_url) as s:
        install_bureau(s, seed_bureau(), now - dt.timedelta(days=2))
        unit_token = links.issue_token(s, UNIT, now)
        s.commit()
    assign_day(now, any_db_url)
    issued = CliRunner().invoke(cli, ["inspections", "token", "issue", "p14"])
    assert issued.exit_code == 0, issued.output
    with LoopbackServer(any_db_url) as srv:
        srv.unit_auth = {"Authorization": f"Bearer {unit_token}"}  # type: ignore[attr-defined]
        srv.member_auth = {"Authorization": f"Bearer {issued.output.strip()}"}  # type: ignore[attr-defined]
        srv.today = local_date_of(now, "Asia/Shanghai").isoformat()  # type: ignore[attr-defined]
        yield srv


def _raw_request(port: int, head: str) -> bytes:
    """Send only a request head (no body) and read the answer: a server that waits for the body hangs."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(head.encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        return data


@pytest.mark.parametrize("any_db_url", ["sqlite"], indirect=True)
def test_bodies_are_limited_before_reading_and_errors_do_not_echo(live) -> None:  # noqa: ANN001
    for path, auth in (
        ("/inspections/results", live.member_auth),
        ("/reports/ack", {}),
        ("/reports", live.unit_auth),
        ("/ack/x", {}),
    ):
        headers = "".join(f"{k}: {v}\r\n" for k, v in auth.items())
        answer = _raw_request(
            live.port,
            f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{headers}"
            f"Content-Length: {100 * 1024 * 1024}\r\n\r\n",
        )
        assert answer.startswith(b"HTTP/1.1 413"), (path, answer[:200])

    def chunks():  # noqa: ANN202 - chunked upload, no Content-Length: counted as it streams
        for _ in range(40):
            yield b"x" * 8192

    with httpx.Client(base_url=live.base_url, timeout=10) as client:
        r = client.post("/inspections/results", content=chunks(), headers=live.member_auth)
        assert r.status_code == 413 and "65536" in r.text
        huge = "注" * 20_000  # within the body limit, over the field's limit
        body = {"site": "wp001", "date": live.today, "result": "ok", "note": huge}
        r = client.post("/inspections/results", json=body, headers=live.member_auth)
        assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "note"
        assert huge[:100] not in r.text and len(r.content) < 2000  # the input is not echoed
        r = client.post("/reports/ack", json={"signed": "s" * 1999, "csrf": "c" * 5000})
        assert r.status_code == 422 and "s" * 100 not in r.text and "c" * 100 not in r.text
        # an unauthenticated upload is refused before its body is read
        r = client.post("/reports", content=b"{" + b" " * 2_000_000, headers={"Content-Type": "application/json"})
        assert r.status_code == 401


def _text_fields(today: str, value: str) -> list[tuple[str, dict, str]]:
    """(path, JSON body, the field holding ``value``) for every text field of the API."""
    attachment = {"filename": "a.txt", "content_type": "text/plain", "content_base64": base64.b64encode(b"x").decode()}
    return [
        ("/reports", {"unit": UNIT, "date": today, "kind": "report", "text": value}, "text"),
        ("/reports", {"unit": UNIT, "date": today, "kind": "zero", "idempotency_key": value}, "idempotency_key"),
        ("/reports", {"unit": value, "date": today, "kind": "zero"}, "unit"),
        (
            "/reports",
            {"unit": UNIT, "date": today, "kind": "zero", "attachments": [{**attachment, "content_type": value}]},
            "content_type",
        ),
        ("/inspections/results", {"site": "wp001", "date": today, "result": "issue", "note": value}, "note"),
        ("/inspections/results", {"site": value, "date": today, "result": "ok"}, "site"),
        ("/reports/ack", {"signed": value, "csrf": "x"}, "signed"),
    ]


def test_nul_and_control_characters_get_422_naming_the_field_on_both_databases(live) -> None:  # noqa: ANN001
    """Issue 16 (4): on PostgreSQL a NUL used to give 500 (SQLite stored it)."""
    with httpx.Client(base_url=live.base_url, timeout=10) as client:
        for path, body, field in _text_fields(live.today, "a\x00b"):
            auth = live.member_auth if path.startswith("/inspections") else live.unit_auth
            r = client.post(path, json=body, headers=auth)
            assert r.status_code == 422, (field, r.status_code, r.text)
            assert r.json()["detail"][0]["loc"][-1] == field and "U+0000" in r.text

        @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        # Any text a client can send: UTF-8 (a lone surrogate cannot be encoded into a request at all).
        @given(value=st.text(st.characters(codec="utf-8"), max_size=40), which=st.integers(0, 6))
        def random_text_never_gives_5xx(value: str, which: int) -> None:
            path, body, _field = _text_fields(live.today, value)[which]
            auth = live.member_auth if path.startswith("/inspections") else live.unit_auth
            r = client.post(path, json=body, headers=auth)
            assert r.status_code < 500, (path, value, r.text)

        random_text_never_gives_5xx()


@pytest.mark.parametrize("any_db_url", ["sqlite"], indirect=True)
def test_attachment_names_are_normalised_unique_and_retrievable(live, tmp_path) -> None:  # noqa: ANN001
    """Issue 16 (5): duplicate names and '..' were stored, then `history --save-attachments` crashed."""
    names = [
        "..",
        "报告.pdf",
        "报告.pdf",
        "../../etc/passwd",
        "CON.txt",
        "a\x01b.txt",
        " .hidden. ",
        "x" * 250 + ".doc",
    ]
    files = [
        {"filename": n, "content_base64": base64.b64encode(f"file {i}".encode()).decode()} for i, n in enumerate(names)
    ]
    body = {"unit": UNIT, "date": live.today, "kind": "report", "text": "附件", "attachments": files}
    with httpx.Client(base_url=live.base_url, timeout=10) as client:
        r = client.post("/reports", json=body, headers=live.unit_auth)
    assert r.status_code == 201, r.text
    stored = [a["filename"] for a in r.json()["attachments"]]
    assert stored[:5] == ["attachment", "报告.pdf", "报告 (2).pdf", "passwd", "_CON.txt"]
    assert stored[5] == "a_b.txt" and stored[6] == "hidden" and len(stored[7]) <= 120 and stored[7].endswith(".doc")
    assert len({s.lower() for s in stored}) == len(stored)
    out = tmp_path / "saved"
    saved = CliRunner().invoke(cli, ["reports", "history", UNIT, "--date", live.today, "--save-attachments", str(out)])
    assert saved.exit_code == 0, saved.output
    assert sorted(p.name for p in (out / "r1").iterdir()) == sorted(stored)
    assert [(out / "r1" / s).read_bytes() for s in stored] == [f"file {i}".encode() for i in range(len(names))]


@pytest.mark.postgres
def test_healthz_is_503_while_the_database_is_down_and_200_once_it_is_up() -> None:
    name = f"dutyflow_health_{uuid.uuid4().hex[:8]}"
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with LoopbackServer(url) as srv, httpx.Client(base_url=srv.base_url, timeout=10) as client:
            down = client.get("/healthz")
            assert down.status_code == 503 and down.json()["status"] == "database unavailable"
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            assert client.get("/healthz").status_code == 200
    finally:
        from roster.storage import reset_engines

        reset_engines()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
