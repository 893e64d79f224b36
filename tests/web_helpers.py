"""Web console test fixtures, loaded for every test module as a pytest plugin (``-p tests.web_helpers``).

- ``web_template``: a SQLite file with the seed bureau applied and Nov–Dec 2026 filled by a rule-abiding
  rotation (no solver), built once per run; ``web_db_url`` is a private copy for one test.
- ``web_app`` / ``client_for(login)``: the real app on that copy with the clock at ``WEB_NOW``, and a TestClient
  logged in as a person or unit (``client_for("p01")``, ``client_for("grp-parks")``, ``client_for(None)``).
  ``ACCOUNTS`` lists one login per role mix of the seed.
- ``live_server``: the app served by uvicorn on a free loopback port (one per run, its own database copy);
  ``browser``: one Chromium per test module (/usr/bin/chromium); ``page``: a fresh context per test;
  ``shot(page, name)`` saves out/screenshots/<name>.png.
"""

from __future__ import annotations

import datetime as dt
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import func, select

from roster.storage.models.shifts import Shift, ShiftAssignment

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "chuxiong.yaml"
SCREENSHOTS = ROOT / "out" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
WEB_NOW = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)  # Monday 09:00 in Chuxiong, after the handover
FILL_FROM, FILL_DAYS = dt.date(2026, 11, 1), 61  # November and December 2026
PASSWORD = "correct horse 42"
# login -> roles it has in the seed (the role matrix uses each mix)
ACCOUNTS = {
    "p01": {"admin", "leader"},
    "p12": {"admin", "staff"},
    "p02": {"leader"},
    "p20": {"staff"},
    "grp-parks": {"unit"},
}


def fill_roster(session, first: dt.date, days: int, now: dt.datetime) -> None:  # noqa: ANN001
    """Store a roster the hard rules accept, without the solver: leaders and officers in rotation, skipping
    anyone on leave or off duty for less than the rest time (seed: 48 h after a 24 h duty)."""
    from roster.admin.current import current_bureau
    from roster.planning.build import day_kinds, slot_categories
    from roster.shifts import generate_slots
    from roster.storage.models.people import Leave
    from roster.storage.models.shifts import Shift, ShiftAssignment

    bureau = current_bureau(session)
    leaves = list(session.query(Leave))
    kinds = day_kinds(bureau, first, days)
    pools = {role: [p.id for p in bureau.people if role in p.roles] for role in bureau.requirements}
    last_day: dict[str, dt.date] = {}
    cursor = dict.fromkeys(pools, 0)
    for slot in generate_slots(first, days, bureau.shift_pattern, bureau.bureau.timezone):
        shift = Shift(
            uid=slot.uid,
            duty_date=slot.duty_date,
            slot=slot.slot,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            changed_at=now,
        )
        flags = slot_categories(slot, kinds[slot.duty_date])
        shift.is_night, shift.is_weekend, shift.is_holiday = flags["nights"], flags["weekends"], flags["holidays"]
        for role, needed in bureau.requirements.items():
            pool, taken = pools[role], 0
            while taken < needed:
                pid = pool[cursor[role] % len(pool)]
                cursor[role] += 1
                away = any(lv.person_id == pid and lv.first_day <= slot.duty_date <= lv.last_day for lv in leaves)
                rested = pid not in last_day or (slot.duty_date - last_day[pid]).days >= 3
                if away or not rested:
                    continue
                shift.assignments.append(ShiftAssignment(role=role, seat=taken, person_id=pid))
                last_day[pid] = slot.duty_date
                taken += 1
        session.add(shift)
    session.flush()


def build_seeded_db(path: Path) -> str:
    from roster.admin.apply import apply_validated
    from roster.admin.loader import load_bureau
    from roster.storage import reset_engines, session_scope

    url = f"sqlite:///{path}"
    apply_validated(load_bureau(SEED), WEB_NOW - dt.timedelta(days=30), url, actor="test")
    with session_scope(url) as session:
        fill_roster(session, FILL_FROM, FILL_DAYS, WEB_NOW - dt.timedelta(days=30))
        for login in ACCOUNTS:
            _ensure_password(session, login)
    reset_engines()
    return url


_HASH: list[str] = []


def _ensure_password(session, login: str) -> None:  # noqa: ANN001
    """Every test account gets PASSWORD (hashed once per run: argon2 is slow on purpose)."""
    from roster.accounts.passwords import hash_password
    from roster.accounts.service import ensure_account, subject_for
    from roster.admin.current import current_bureau

    if not _HASH:
        _HASH.append(hash_password(PASSWORD))
    bureau = current_bureau(session)
    account = ensure_account(session, bureau, subject_for(bureau, login), WEB_NOW)
    account.password_hash = _HASH[0]
    account.password_set_at = WEB_NOW


@pytest.fixture(scope="session")
def web_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("web") / "seeded.db"
    build_seeded_db(path)
    return path


@pytest.fixture
def web_db_url(web_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    from roster.storage import reset_engines

    path = tmp_path / "web.db"
    shutil.copy(web_template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("DUTYFLOW_DATABASE_URL", url)
    monkeypatch.setenv("DUTYFLOW_HOME", str(tmp_path / "home"))
    yield url
    reset_engines()


@dataclass
class Clock:
    now: dt.datetime = WEB_NOW

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def web_clock() -> Clock:
    return Clock()


@pytest.fixture
def web_app(web_db_url: str, web_clock: Clock):  # noqa: ANN201
    from roster.web.app import create_app

    app = create_app(web_db_url)
    app.state.clock = web_clock
    return app


def login_cookie(app, login: str) -> str:  # noqa: ANN001
    """A valid signed session cookie for ``login`` (as if it had just logged in), without argon2's cost."""
    from itsdangerous import URLSafeTimedSerializer

    from roster.accounts.service import ensure_account, subject_for
    from roster.admin.current import current_bureau
    from roster.signing import load_keys
    from roster.storage import session_scope

    with session_scope(app.state.database_url) as session:
        bureau = current_bureau(session)
        account = ensure_account(session, bureau, subject_for(bureau, login), WEB_NOW)
        payload = {"a": account.id, "e": account.session_epoch, "c": f"csrf-{login}"}
    return URLSafeTimedSerializer(load_keys().current, salt="dutyflow.session").dumps(payload)


class WebClient:
    """A TestClient as one user; ``post`` adds the CSRF token unless ``csrf=None`` or another is given."""

    def __init__(self, app, login: str | None) -> None:  # noqa: ANN001
        from fastapi.testclient import TestClient

        from roster.web.session import COOKIE

        self.login = login
        self.http = TestClient(app, follow_redirects=False)
        self.csrf = f"csrf-{login}" if login else None
        if login is not None:
            self.http.cookies.set(COOKIE, login_cookie(app, login))

    def get(self, url: str, **kw):  # noqa: ANN003, ANN201
        return self.http.get(url, **kw)

    def post(self, url: str, data: dict | None = None, csrf: str | None | bool = True, **kw):  # noqa: ANN003, ANN201
        data = dict(data or {})
        if csrf is True:
            if self.csrf is None:  # anonymous: take the token the login page hands out
                page = self.http.get("/login")
                self.csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            data["csrf_token"] = self.csrf
        elif isinstance(csrf, str):
            data["csrf_token"] = csrf
        return self.http.post(url, data=data, **kw)

    def request(self, method: str, url: str, csrf: bool = True, **kw):  # noqa: ANN003, ANN201
        headers = dict(kw.pop("headers", {}) or {})
        if csrf and self.csrf:
            headers["X-CSRF-Token"] = self.csrf
        return self.http.request(method, url, headers=headers, **kw)


@pytest.fixture
def client_for(web_app) -> Callable[[str | None], WebClient]:  # noqa: ANN001
    return lambda login: WebClient(web_app, login)


# ------------------------------------------------------------------------------------------ roster facts


def duty_days(url: str, role: str = "duty_officer") -> dict[str, list[dt.date]]:
    with _open(url) as s:
        rows = s.execute(
            select(ShiftAssignment.person_id, Shift.duty_date)
            .join(Shift, Shift.id == ShiftAssignment.shift_id)
            .where(ShiftAssignment.role == role, Shift.duty_date > dt.date(2026, 11, 24))
            .order_by(Shift.duty_date)
        ).all()
    out: dict[str, list[dt.date]] = {}
    for pid, day in rows:
        out.setdefault(pid, []).append(day)
    return out


def free_pair(url: str, me: str) -> tuple[dt.date, str, dt.date]:
    """My next duty X, and a colleague with a duty Y such that trading X and Y breaks no rule."""
    days = duty_days(url)
    x = days[me][0]

    def near(person: str, day: dt.date, skip: dt.date) -> bool:
        return any(abs((d - day).days) < 3 for d in days[person] if d != skip)

    for other, theirs in sorted(days.items()):
        for y in theirs:
            if other != me and abs((y - x).days) >= 3 and not near(other, x, y) and not near(me, y, x):
                return x, other, y
    raise AssertionError("no free pair in the seeded roster")


def holder(url: str, day: dt.date, person: str) -> bool:
    with _open(url) as s:
        return (
            s.scalar(
                select(func.count())
                .select_from(ShiftAssignment)
                .join(Shift, Shift.id == ShiftAssignment.shift_id)
                .where(Shift.duty_date == day, ShiftAssignment.person_id == person)
            )
            == 1
        )


def uid(day: dt.date) -> str:
    return f"{day:%Y%m%d}-full@dutyflow"


def _open(url: str):  # noqa: ANN202
    from roster.storage import open_session

    return open_session(url)


# ------------------------------------------------------------------------------------------- browser


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    database_url: str
    clock: Clock
    app: object = field(repr=False)


@pytest.fixture(scope="session")
def live_server(web_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    import secrets

    import uvicorn
    from itsdangerous import URLSafeTimedSerializer

    from roster.web.app import create_app

    path = tmp_path_factory.mktemp("live") / "live.db"
    shutil.copy(web_template, path)
    url = f"sqlite:///{path}"
    clock = Clock()
    app = create_app(url)
    app.state.clock = clock
    # Its own signing key: the server must not create a key file wherever DUTYFLOW_HOME happens to point.
    app.state.session_serializer = URLSafeTimedSerializer([secrets.token_urlsafe(32)], salt="dutyflow.session")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    yield LiveServer(f"http://127.0.0.1:{port}", url, clock, app)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():  # noqa: ANN201
    # Module scope, not session: while sync_playwright() is open its asyncio loop runs on this thread, and
    # Prefect's sync-compatible calls in any later test of the same worker would get coroutines back.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server: LiveServer):  # noqa: ANN001, ANN201
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    pg = context.new_page()
    yield pg
    context.close()


def shot(page, name: str, full_page: bool = True) -> Path:  # noqa: ANN001
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def browser_login(page, login: str, password: str = PASSWORD) -> None:  # noqa: ANN001
    """Log in through the real form."""
    page.goto("/login")
    page.fill("#f-login", login)
    page.fill("#f-password", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
