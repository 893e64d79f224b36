"""The web console: server time per page at the seed's size (target ≤ 50 ms each) and a 200-person month
grid (target ≤ 100 ms), each against the same data through the JSON API (``/api/roster``) in the same run.

In-process ASGI requests (httpx's ASGITransport on one event loop, as uvicorn would call the app): the time
is the server's work for one request, without a network hop or a client thread. Median of the runs after a
warm-up; a logged-in admin (the seed's p01) requests every page.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench import quick

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "chuxiong.yaml"
NOW = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)
PAGE_TARGET_S, GRID_TARGET_S = 0.050, 0.100
PASSWORD = "bench password 1"
PAGES = [
    ("今日值班 /", "/"),
    ("排班表 month grid", "/roster?month=2026-12"),
    ("排班表 by day", "/roster?month=2026-12&view=day"),
    ("排班 /plan", "/plan"),
    ("换班与请假 /requests", "/requests"),
    ("我的班次 /me", "/me"),
    ("管理 /admin", "/admin"),
    ("审计日志 /audit", "/audit"),
]


def _bureau_with(people: int):  # noqa: ANN202
    """The seed bureau, with officers added (copies of the last one) up to ``people`` people."""
    from roster.admin.loader import load_bureau

    bureau = load_bureau(SEED)
    if people <= len(bureau.people):
        return bureau
    template = bureau.people[-1]
    extra = [
        template.model_copy(update={"id": f"x{n:03d}", "name": f"值班员{n:03d}", "phone": f"139{n:08d}"})
        for n in range(people - len(bureau.people))
    ]
    return bureau.model_copy(update={"people": [*bureau.people, *extra]})


def _setup(url: str, people: int) -> None:
    from roster.accounts.service import ensure_account, set_password, subject_for
    from roster.admin.apply import apply_validated
    from roster.admin.current import current_bureau
    from roster.storage import session_scope

    apply_validated(_bureau_with(people), NOW - dt.timedelta(days=30), url, actor="bench")
    with session_scope(url) as session:
        bureau = current_bureau(session)
        _fill(session, bureau, dt.date(2026, 11, 1), 61)
        account = ensure_account(session, bureau, subject_for(bureau, "p01"), NOW)
        set_password(session, account, PASSWORD, PASSWORD, NOW, actor="bench")


def _fill(session, bureau, first: dt.date, days: int) -> None:  # noqa: ANN001
    """A roster in rotation (no solver): every seat filled, people spread evenly."""
    from roster.shifts import generate_slots
    from roster.storage.models.shifts import Shift, ShiftAssignment

    pools = {role: [p.id for p in bureau.people if role in p.roles] for role in bureau.requirements}
    for n, slot in enumerate(generate_slots(first, days, bureau.shift_pattern, bureau.bureau.timezone)):
        shift = Shift(uid=slot.uid, duty_date=slot.duty_date, slot=slot.slot, starts_at=slot.starts_at,
                      ends_at=slot.ends_at, changed_at=NOW)  # fmt: skip
        for role, count in bureau.requirements.items():
            for seat in range(count):
                pid = pools[role][(n * count + seat) % len(pools[role])]
                shift.assignments.append(ShiftAssignment(role=role, seat=seat, person_id=pid))
        session.add(shift)
    session.flush()


class _Client:
    """A logged-in admin calling the app in process, one request at a time on one event loop."""

    def __init__(self, url: str) -> None:
        import asyncio

        import httpx

        from roster.web.app import create_app

        app = create_app(url)
        app.state.clock = lambda: NOW
        self.loop = asyncio.new_event_loop()
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench")
        page = self.get("/login").text
        csrf = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        form = {"login": "p01", "password": PASSWORD, "csrf_token": csrf}
        response = self.loop.run_until_complete(self.http.post("/login", data=form))
        assert response.status_code == 303, response.text

    def get(self, path: str):  # noqa: ANN201
        return self.loop.run_until_complete(self.http.get(path))

    def close(self) -> None:
        self.loop.run_until_complete(self.http.aclose())
        self.loop.close()


def _median(client: _Client, path: str, runs: int) -> float:
    for _ in range(3):
        assert client.get(path).status_code == 200, path
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200
    return statistics.median(times)


def _row(case: str, seconds: float, baseline: float, target: float, runs: int, note: str = "") -> dict:
    return {
        "benchmark": "web",
        "case": case,
        "seconds": round(seconds, 4),
        "baseline_seconds": round(baseline, 4),
        "ratio": round(seconds / baseline, 2) if baseline else None,
        "target": f"<= {target * 1000:g} ms",
        "ok": seconds <= target,
        "notes": f"median of {runs}; baseline: GET /api/roster (JSON) for the same month{note}",
    }


def run() -> list[dict]:
    from roster.storage import reset_engines

    runs = 7 if quick() else 25
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["DUTYFLOW_HOME"] = tmp  # the session signing key file goes here, not into the checkout
        seed_url = f"sqlite:///{Path(tmp) / 'seed.db'}"
        _setup(seed_url, 44)
        client = _Client(seed_url)
        api = _median(client, "/api/roster?month=2026-12", runs)
        for name, path in PAGES:
            rows.append(_row(f"{name} (seed, 44 people)", _median(client, path, runs), api, PAGE_TARGET_S, runs))
        big_url = f"sqlite:///{Path(tmp) / 'big.db'}"
        _setup(big_url, 200)
        client.close()
        client = _Client(big_url)
        api = _median(client, "/api/roster?month=2026-12", runs)
        grid = _median(client, "/roster?month=2026-12", runs)
        rows.append(_row("排班表 month grid, 200 people × 31 days", grid, api, GRID_TARGET_S, runs))
        client.close()
        reset_engines()
    return rows


if __name__ == "__main__":
    import json

    for row in run():
        print(json.dumps(row, ensure_ascii=False))
