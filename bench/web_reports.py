"""Benchmark: the 报送 board page for 200 units, and a 10 MB photo streamed through the unit page.

1. ``GET /reports/board`` logged in as an admin, on the seed bureau with its 11 units plus 189 generated ones
   (200 reporting units; a third have filed, some corrections, the rest pending/late). Timed in process
   (Starlette TestClient, no network): median of 30 requests after a warm-up. Baseline, same run: the CLI's
   board (``roster.reports.report_status``) on the same data — the query alone, nothing rendered. Target:
   ≤ 50 ms per page.
2. A 10 MB photo uploaded as multipart to the unit page (``POST /unit/t/{token}/report``) on a real uvicorn
   server in a child process, on SQLite and on PostgreSQL. Peak memory growth of the server process during
   the request: its VmHWM (peak RSS) is reset through /proc/<pid>/clear_refs just before, and read after.
   Baseline, same run: the same 10 MB file through the JSON API (``POST /reports``, base64 in JSON).
   Target: growth ≤ 20 MB.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from bench.now import _postgres_database

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "examples" / "chuxiong.yaml"
NOW = dt.datetime(2026, 11, 23, 7, 30, tzinfo=dt.UTC)  # 15:30 Shanghai: firms late, groups pending
DAY = dt.date(2026, 11, 23)
UNITS = 200
PASSWORD = "bench password 42"
BOARD_TARGET_S = 0.050
UPLOAD_TARGET_MB = 20.0
PHOTO_MB = 10


def _document() -> dict:
    doc = yaml.safe_load(SEED.read_text(encoding="utf-8"))
    units = doc["reports"]["units"]
    groups = [g["id"] for g in doc["groups"]]
    for i in range(UNITS - len(units)):
        units.append(
            {
                "id": f"firm-{i:03d}",
                "name": f"物业服务企业{i:03d}",
                "kind": "firm",
                "group": groups[i % len(groups)],
                "deadline": "15:00" if i % 2 else "16:00",
                "grace": "1h",
                "policy": "firms",
                "contact": {
                    "name": "联系人",
                    "phone": "0878-3120000",
                    "channels": [{"kind": "email", "target": f"f{i}@example.cn"}],
                },
            }  # fmt: skip
        )
    return doc


def _build(url: str, tmp: Path) -> None:
    from roster.accounts.passwords import hash_password
    from roster.accounts.service import ensure_account, subject_for
    from roster.admin.apply import apply_validated
    from roster.admin.current import current_bureau
    from roster.admin.loader import load_bureau
    from roster.reports.ledger import submit
    from roster.storage import session_scope

    path = tmp / "bench.yaml"
    path.write_text(yaml.safe_dump(_document(), allow_unicode=True), encoding="utf-8")
    apply_validated(load_bureau(path), NOW - dt.timedelta(days=30), url, actor="bench")
    with session_scope(url) as session:
        bureau = current_bureau(session)
        account = ensure_account(session, bureau, subject_for(bureau, "p01"), NOW)
        account.password_hash = hash_password(PASSWORD)
        account.password_set_at = NOW
        for i, unit in enumerate(u.id for u in bureau.reports.units):
            if i % 3 == 0:
                at = NOW - dt.timedelta(hours=2)
                submit(session, unit_id=unit, day=DAY, kind="zero" if i % 2 else "report", text="巡查无异常", now=at)
                if i % 9 == 0:
                    submit(session, unit_id=unit, day=DAY, kind="report", text="更正：巡查 3 处", now=at)


def _board_case(url: str) -> dict:
    from fastapi.testclient import TestClient

    from roster.reports import report_status
    from roster.storage import session_scope
    from roster.web.app import create_app

    app = create_app(url)
    app.state.clock = lambda: NOW
    with TestClient(app, follow_redirects=False) as client:
        login = client.get("/login")
        csrf = login.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        answer = client.post("/login", data={"login": "p01", "password": PASSWORD, "csrf_token": csrf, "next": "/"})
        assert answer.status_code == 303, answer.status_code
        page = client.get(f"/reports/board?date={DAY.isoformat()}")
        assert page.status_code == 200 and page.text.count("data-unit=") == UNITS, page.status_code
        times = []
        for _ in range(30):
            started = time.perf_counter()
            client.get(f"/reports/board?date={DAY.isoformat()}")
            times.append(time.perf_counter() - started)
    base = []
    for _ in range(30):
        with session_scope(url) as session:
            started = time.perf_counter()
            rows = report_status(session, DAY, NOW)
            base.append(time.perf_counter() - started)
    assert len(rows) == UNITS
    seconds, baseline = statistics.median(times), statistics.median(base)
    return {
        "benchmark": "web_reports",
        "case": f"GET /reports/board, {UNITS} units (SQLite, in process)",
        "seconds": round(seconds, 4),
        "baseline_seconds": round(baseline, 4),
        "ratio": round(seconds / baseline, 2),
        "peak_mb": None,
        "target": f"<= {BOARD_TARGET_S * 1000:.0f} ms",
        "ok": seconds <= BOARD_TARGET_S,
        "notes": f"median of 30 (min {min(times) * 1000:.1f} ms); baseline: report_status() alone",
    }


def _vm(pid: int, key: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(key)


def _peak_growth(pid: int, send) -> float:  # noqa: ANN001
    """Peak RSS growth (MB) of process ``pid`` while ``send()`` runs."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    before = _vm(pid, "VmRSS")
    send()
    return _vm(pid, "VmHWM") - before


def _start_server(url: str, tmp: Path) -> tuple[subprocess.Popen, str]:
    """The real HTTP server (uvicorn) on a free port, once it answers /healthz; with its base URL."""
    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "DUTYFLOW_DATABASE_URL": url, "DUTYFLOW_HOME": str(tmp)}
    command = [sys.executable, "-m", "uvicorn", "--factory", "roster.web.app:create_app", "--port", str(port)]
    server = subprocess.Popen([*command, "--log-level", "warning"], env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.get(f"{base}/healthz", timeout=5)
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    return server, base


def _upload_case(url: str, tmp: Path, database: str = "SQLite") -> list[dict]:
    import httpx

    from roster.reports.links import issue_token
    from roster.storage import session_scope

    with session_scope(url) as session:
        token = issue_token(session, "grp-water", NOW)
    server, base = _start_server(url, tmp)
    photo = tmp / "photo.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(PHOTO_MB * 1024 * 1024 - 4))
    today = dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=8))).date().isoformat()
    try:
        with httpx.Client(base_url=base, timeout=60) as client:

            def page_upload(name: str, data: bytes | None = None) -> None:
                with photo.open("rb") as handle:
                    files = {"photos": (name, data if data is not None else handle, "image/jpeg")}
                    form = {"kind": "report", "date": today, "text": f"现场照片 {name}"}
                    answer = client.post(f"/unit/t/{token}/report", data=form, files=files)
                assert answer.status_code == 303, (answer.status_code, answer.text[:300])

            def api_upload(name: str) -> None:
                body = {"unit": "grp-water", "date": today, "kind": "report", "text": f"现场照片 {name}",
                        "attachments": [{"filename": name, "content_type": "image/jpeg",
                                         "content_base64": base64.b64encode(photo.read_bytes()).decode()}]}  # fmt: skip
                answer = client.post("/reports", json=body, headers={"Authorization": f"Bearer {token}"})
                assert answer.status_code == 201, (answer.status_code, answer.text[:300])

            page_upload("warm.jpg", b"\xff\xd8small")  # warm the code paths
            api_upload("warm-api.jpg")
            page = _peak_growth(server.pid, lambda: page_upload("photo-1.jpg"))
            api = _peak_growth(server.pid, lambda: api_upload("photo-api.jpg"))
    finally:
        server.terminate()
        server.wait(timeout=20)
    return [
        {
            "benchmark": "web_reports",
            "case": f"{PHOTO_MB} MB photo, multipart to the unit page: server peak RSS growth ({database})",
            "seconds": None,
            "baseline_seconds": None,
            "ratio": round(page / api, 3) if api > 0 else None,
            "peak_mb": round(page, 1),
            "target": f"growth <= {UPLOAD_TARGET_MB:.0f} MB",
            "ok": page <= UPLOAD_TARGET_MB,
            "notes": f"baseline: the same file as base64 JSON to POST /reports grew {api:.1f} MB",
        }
    ]


def run() -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        _build(url, Path(tmp))
        rows = [_board_case(url)]
        rows += _upload_case(url, Path(tmp))
        pg = _postgres_database()
        if pg is not None:
            pg_url, drop = pg
            try:
                _build(pg_url, Path(tmp))
                rows += _upload_case(pg_url, Path(tmp), "PostgreSQL")
            finally:
                drop()
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
