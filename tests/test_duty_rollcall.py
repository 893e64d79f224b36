"""Roll calls: deterministic times, one-time codes, wrong code, answered twice, after the window, by hand,
and two checkers at once on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from duty_helpers import DAY, install, local
from sqlalchemy import func, select
from typer.testing import CliRunner

from roster.cli import app
from roster.duty.facts import ShiftFacts
from roster.duty.rollcall import draw_times
from roster.duty.schema import RollcallWindow
from roster.storage import open_session
from roster.storage.models.duty import DutyRollcall, DutyRollcallAttempt, DutyRollcallTarget
from roster.storage.models.outbox import OutboxMessage

runner = CliRunner()
NEXT = DAY + dt.timedelta(days=1)


def _shift(day: dt.date) -> ShiftFacts:
    start = local(day, 8, 30)
    return ShiftFacts(
        f"{day:%Y%m%d}-full@dutyflow", day, "full", start, start + dt.timedelta(days=1), (("p02", "leader_on_duty"),)
    )


def test_draw_times_are_deterministic_inside_the_window_and_secret_dependent() -> None:
    windows = [RollcallWindow.model_validate({"from": "22:00", "to": "06:00", "count": 2})]
    first = draw_times("s1", _shift(DAY), windows, "Asia/Shanghai")
    assert first == draw_times("s1", _shift(DAY), windows, "Asia/Shanghai")
    assert len(first) == 2 and first[0].at < first[1].at
    assert all(local(DAY, 22) <= c.at < local(NEXT, 6) for c in first)
    days = [draw_times(f"s{i}", _shift(DAY), windows, "Asia/Shanghai")[0].at for i in range(20)]
    assert len(set(days)) > 10  # another secret, other minutes: nobody can predict them from the file


def _run(*args: str) -> tuple[int, dict | str]:
    result = runner.invoke(app, ["duty", *args])
    try:
        return result.exit_code, json.loads(result.stdout)
    except ValueError:
        return result.exit_code, result.stdout + result.stderr


def _code(db_url: str, person: str) -> str:
    with open_session(db_url) as s:
        return s.scalars(
            select(DutyRollcallTarget.code)
            .where(DutyRollcallTarget.person_id == person)
            .order_by(DutyRollcallTarget.id.desc())
        ).first()


def test_manual_rollcall_wrong_code_twice_and_after_the_window(db_url: str) -> None:
    with open_session(db_url) as s:
        install(s)
    code, started = _run("rollcall", "start", "--by", "p02", "--now", "2026-11-23T15:00", "--json")
    assert code == 0, started
    with open_session(db_url) as s:
        sent = s.scalars(select(OutboxMessage).where(OutboxMessage.source == "duty-rollcall")).all()
    assert sorted(m.person_id for m in sent) == ["p02", "p22", "p23"]
    p22 = _code(db_url, "p22")
    assert p22 in next(m for m in sent if m.person_id == "p22").body

    wrong = "000000" if p22 != "000000" else "111111"
    code, out = _run("rollcall", "answer", wrong, "--by", "p22", "--now", "2026-11-23T15:01", "--json")
    assert code == 1 and out["outcome"] == "wrong_code"
    code, out = _run("rollcall", "answer", p22, "--by", "p22", "--now", "2026-11-23T15:02", "--json")
    assert code == 0 and out["outcome"] == "answered" and out["delay_seconds"] == 120
    code, out = _run("rollcall", "answer", p22, "--by", "p22", "--now", "2026-11-23T15:03", "--json")
    assert code == 0 and out["outcome"] == "already_answered"
    code, out = _run("rollcall", "answer", _code(db_url, "p23"), "--now", "2026-11-23T15:06")  # window is 5 min
    assert code == 1 and "已超过答复时限" in out
    with open_session(db_url) as s:
        targets = {t.person_id: t for t in s.scalars(select(DutyRollcallTarget))}
        outcomes = [a.outcome for a in s.scalars(select(DutyRollcallAttempt).order_by(DutyRollcallAttempt.id))]
    assert targets["p22"].answered_at == local(DAY, 15, 2) and targets["p22"].wrong_codes == 1
    assert targets["p23"].answered_at is None
    assert outcomes == ["wrong_code", "answered", "already_answered", "expired"]
    code, ledger = _run(
        "rollcall",
        "list",
        "--from",
        "2026-11-23",
        "--to",
        "2026-11-23",
        "--notice",
        "--now",
        "2026-11-23T15:10",
        "--json",
    )
    assert code == 0 and "周明（p23）" in ledger["notice"] and "吴翠萍" not in ledger["notice"]


def test_five_wrong_codes_lock_the_call(db_url: str) -> None:
    with open_session(db_url) as s:
        install(s)
    assert _run("rollcall", "start", "--by", "p02", "--now", "2026-11-23T15:00")[0] == 0
    right = _code(db_url, "p23")
    wrong = [f"{n:06d}" for n in range(6) if f"{n:06d}" != right][:5]
    for guess in wrong:
        assert _run("rollcall", "answer", guess, "--by", "p23", "--now", "2026-11-23T15:01")[0] == 1
    code, out = _run("rollcall", "answer", right, "--by", "p23", "--now", "2026-11-23T15:02", "--json")
    assert code == 1 and out["outcome"] == "locked"


def test_only_leaders_office_or_head_start_a_rollcall(db_url: str) -> None:
    with open_session(db_url) as s:
        install(s)
    code, out = _run("rollcall", "start", "--by", "p22", "--now", "2026-11-23T15:00")
    assert code == 2 and "--by" in out and "无权" in out
    with open_session(db_url) as s:
        assert s.scalar(select(func.count()).select_from(DutyRollcall)) == 0
    assert _run("rollcall", "start", "--by", "p44", "--now", "2026-11-23T15:00")[0] == 0  # the office


@pytest.mark.postgres
def test_two_concurrent_ticks_on_postgres_equal_one(pg_database: str, db_url: str) -> None:
    """Two threads tick the same clock against PostgreSQL: the calls, codes and messages of one checker."""
    import threading

    from conftest import _empty_postgres

    from roster.duty.checkin import check_in
    from roster.duty.jobs import check_duty
    from roster.storage import session_scope

    ticks = [local(DAY, 8) + dt.timedelta(minutes=30 * k) for k in range(49)]

    def prepare(url: str) -> None:
        with open_session(url) as s:
            install(s)
            from roster.duty.rollcall import rollcall_secret

            s.execute(DutyRollcall.__table__.delete())
            rollcall_secret(s, local(DAY, 0))
            from roster.storage.models.duty import DutySecret

            s.execute(DutySecret.__table__.update().values(secret="fixed-seed"))
            s.commit()
        with session_scope(url) as s:
            check_in(s, "p22", local(DAY, 8, 5), via="cli")

    def outcome(url: str) -> tuple[list, list]:
        with open_session(url) as s:
            keys = sorted(s.scalars(select(OutboxMessage.dedup_key)))
            calls = sorted((c.key, c.sent_at) for c in s.scalars(select(DutyRollcall)))
        return keys, calls

    prepare(db_url)
    for t in ticks:
        check_duty(t, database_url=db_url)
    expected = outcome(db_url)
    _empty_postgres(pg_database)
    prepare(pg_database)
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def worker() -> None:
        try:
            barrier.wait()
            for t in ticks:
                check_duty(t, database_url=pg_database)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    got = outcome(pg_database)
    assert len(expected[0]) >= 8 and len(expected[1]) >= 2
    assert got == expected  # no duplicate, none missing, same sending times
    with open_session(pg_database) as s:
        codes = s.execute(select(DutyRollcallTarget.rollcall_id, DutyRollcallTarget.person_id)).all()
    assert len(codes) == len(set(codes))
