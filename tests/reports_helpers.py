"""Fixtures for the reports tests: the seed bureau in the database (people, groups, admin document, units)
and shifts with a leader on duty, inserted directly until the admin engineer's ``apply`` is merged."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from roster.admin.apply import apply_bureau
from roster.admin.schema import BureauFile
from roster.storage.models.shifts import Shift, ShiftAssignment
from tests.admin_helpers import seed_data

UTC = dt.UTC


def seed_bureau(document: dict | None = None) -> BureauFile:
    return BureauFile.model_validate(document or seed_data())


def install_bureau(session: Session, bureau: BureauFile, now: dt.datetime) -> list[str]:
    """Apply the file as ``dutyflow apply`` does (people, groups, document, then this feature's section);
    returns the reports section's change lines."""
    report = apply_bureau(session, bureau, now)
    session.commit()
    return [line for line in report.changes if line.startswith("reports:")]


def add_full_shift(session: Session, day: dt.date, leader: str, officers: tuple[str, ...] = ()) -> None:
    """A 24 h shift from 08:30 Shanghai (00:30 UTC) on ``day``."""
    start = dt.datetime(day.year, day.month, day.day, 0, 30, tzinfo=UTC)
    shift = Shift(
        uid=f"{day:%Y%m%d}-full@dutyflow",
        duty_date=day,
        slot="full",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=24),
        changed_at=start,
    )
    shift.assignments = [ShiftAssignment(role="leader_on_duty", seat=0, person_id=leader)] + [
        ShiftAssignment(role="duty_officer", seat=i, person_id=o) for i, o in enumerate(officers)
    ]
    session.add(shift)
    session.commit()


def seed_document() -> dict:
    return seed_data()


# The replay's escalation policies and units (hand-checkable; times are local).
REPLAY_POLICIES = [
    {
        "id": "standard",
        "steps": [
            {"after": "0m", "targets": ["unit_contact"], "repeat": 2, "every": "30m"},
            {"after": "1h", "targets": ["group_leader"]},
            {"after": "2h", "targets": ["leader_on_duty"]},
            {"after": "3h", "targets": ["bureau_head"]},
        ],
    },
    {
        "id": "firms",
        "steps": [
            {"after": 0, "targets": ["unit_contact"]},
            {"after": "1h", "targets": ["group_leader", "leader_on_duty"]},
        ],
    },
    {
        "id": "night",
        "steps": [
            {"after": 0, "targets": ["unit_contact"]},
            {"after": "3h", "targets": ["leader_on_duty"]},
        ],
    },
    {
        "id": "skip",
        "steps": [
            {"after": 0, "targets": ["unit_contact"]},
            {"after": "2h", "targets": ["group_leader"]},
        ],
    },
]

REPLAY_UNITS = [
    {
        "id": "a-group",
        "name": "建筑工地防控组",
        "contact": "p09",
        "group": "construction",
        "deadline": "16:00",
        "grace": "1h",
    },
    {
        "id": "b-firm",
        "name": "锦绣物业",
        "kind": "firm",
        "group": "water",
        "deadline": "15:00",
        "grace": "30m",
        "policy": "firms",
        "contact": {
            "name": "李红梅",
            "phone": "13887801234",
            "channels": [{"kind": "email", "target": "safety@jinxiu.example.cn"}],
        },
    },
    {
        "id": "c-night",
        "name": "夜间组",
        "contact": "p15",
        "group": "communities",
        "deadline": "06:00",
        "grace": "30m",
        "policy": "night",
    },
    {"id": "e-ontime", "name": "按时组", "contact": "p16", "group": "communities", "deadline": "12:00"},
    {
        "id": "f-skip",
        "name": "公园组",
        "contact": "p40",
        "group": "parks",
        "deadline": "10:00",
        "policy": "skip",
    },
]


def replay_document() -> dict:
    """The seed's people and groups with a small, hand-checkable reports section (times are local)."""
    import copy

    doc = seed_document()
    for person in doc["people"]:
        if person["id"] == "p40":
            person["channels"] = []  # nobody can reach p40: their step is skipped
        if person["id"] == "p08":
            person["locale"] = "en"
    doc["reports"] = {
        "default_policy": "standard",
        "public_url": "https://duty.example.cn",
        "policies": copy.deepcopy(REPLAY_POLICIES),
        "units": copy.deepcopy(REPLAY_UNITS),
    }
    return doc


class LoopbackServer:
    """``dutyflow serve``'s app under uvicorn on 127.0.0.1 and a free port, in a thread."""

    def __init__(self, database_url: str) -> None:
        import socket
        import threading

        import uvicorn

        from roster.web.app import create_app

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(create_app(database_url), host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LoopbackServer:
        import time

        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
