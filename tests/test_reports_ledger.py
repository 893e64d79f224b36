"""The report ledger: submissions, corrections, idempotency, clear rejections, excuses, acks, board, stats."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from zoneinfo import ZoneInfo

import pytest
from reports_helpers import install_bureau, replay_document, seed_bureau
from sqlalchemy import func, select
from typer.testing import CliRunner

from roster.cli import app
from roster.reports import report_status
from roster.reports.board import monthly_stats
from roster.reports.ledger import Attachment, IdempotencyConflict, ReportError, UnknownUnit, acknowledge, excuse, submit
from roster.storage import open_session
from roster.storage.models.reports import ReportAck, ReportAttachment, ReportSubmission

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2026, 11, 23)
runner = CliRunner()


def local(hh: int, mm: int = 0, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hh, mm, tzinfo=SHANGHAI).astimezone(dt.UTC)


@pytest.fixture
def bureau_db(any_db_url: str) -> str:
    with open_session(any_db_url) as s:
        install_bureau(s, seed_bureau(replay_document()), local(0, day=DAY - dt.timedelta(days=30)))
    return any_db_url


def test_submission_then_correction_keeps_history(bureau_db: str) -> None:
    with open_session(bureau_db) as s:
        first = submit(s, unit_id="a-group", day=DAY, kind="report", text="检查工地 3 处，无异常", now=local(15))
        s.commit()
        again = submit(s, unit_id="a-group", day=DAY, kind="report", text="检查工地 3 处，无异常", now=local(15, 5))
        s.commit()
        corrected = submit(
            s, unit_id="a-group", day=DAY, kind="report", text="检查工地 4 处，无异常", now=local(16, 30)
        )
        s.commit()
        assert (first.revision, first.late, first.replayed) == (1, False, False)
        assert again.replayed and again.receipt == first.receipt  # identical content: a replay, not a correction
        assert (corrected.revision, corrected.correction, corrected.late) == (2, True, True)
        texts = s.scalars(select(ReportSubmission.text).order_by(ReportSubmission.revision)).all()
        assert texts == ["检查工地 3 处，无异常", "检查工地 4 处，无异常"]
        board = {r["unit"]: r for r in report_status(s, DAY, local(17))}
        assert board["a-group"]["state"] == "submitted"
        assert board["a-group"]["late_submission"] is False  # the first report was on time
        assert board["a-group"]["submissions"] == 2


def test_idempotency_key_replays_and_refuses_other_content(bureau_db: str) -> None:
    with open_session(bureau_db) as s:
        r1 = submit(s, unit_id="a-group", day=DAY, kind="zero", idempotency_key="k-1", now=local(9))
        s.commit()
        r2 = submit(s, unit_id="a-group", day=DAY, kind="zero", idempotency_key="k-1", now=local(10))
        s.commit()
        assert r2.replayed and r2.receipt == r1.receipt and r2.received_at == r1.received_at
        with pytest.raises(IdempotencyConflict) as err:
            submit(s, unit_id="a-group", day=DAY, kind="report", text="x", idempotency_key="k-1", now=local(10))
        assert err.value.field == "idempotency_key"
        s.rollback()
        assert s.scalar(select(func.count()).select_from(ReportSubmission)) == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"unit_id": "nope"}, "unit"),
        ({"day": DAY + dt.timedelta(days=1)}, "date"),  # tomorrow in Shanghai
        ({"day": DAY - dt.timedelta(days=400)}, "date"),  # before the unit existed
        ({"kind": "weekly"}, "kind"),
        ({"kind": "report", "text": "  "}, "text"),
        ({"attachments": [Attachment("a.txt", "text/\x00plain", b"x")]}, "attachments[0].content_type"),
        ({"kind": "report", "text": "note\x00"}, "text"),
        ({"attachments": [Attachment("big.bin", "application/octet-stream", b"x" * 2049)]}, "attachments[0]"),
        ({"idempotency_key": ""}, "idempotency_key"),
    ],
)
def test_bad_submissions_name_the_field_and_change_nothing(bureau_db: str, kwargs: dict, field: str) -> None:
    args = {"unit_id": "a-group", "day": DAY, "kind": "zero", "now": local(23, 59), "attachment_limit": 2048}
    args.update(kwargs)
    with open_session(bureau_db) as s:
        with pytest.raises(ReportError) as err:
            submit(s, **args)
        s.rollback()
        assert err.value.field == field
        assert isinstance(err.value, UnknownUnit) == (field == "unit")
        assert s.scalar(select(func.count()).select_from(ReportSubmission)) == 0


def test_future_date_is_relative_to_the_units_zone(bureau_db: str) -> None:
    # 2026-11-23 17:00 UTC is already 2026-11-24 01:00 in Shanghai: the 24th may be reported.
    with open_session(bureau_db) as s:
        receipt = submit(
            s,
            unit_id="a-group",
            day=DAY + dt.timedelta(days=1),
            kind="zero",
            now=dt.datetime(2026, 11, 23, 17, 0, tzinfo=dt.UTC),
        )
        assert receipt.date == "2026-11-24"


def test_attachment_stored_exactly_with_checksum(bureau_db: str) -> None:
    blob = bytes(range(256)) * 40
    with open_session(bureau_db) as s:
        receipt = submit(
            s,
            unit_id="b-firm",
            day=DAY,
            kind="report",
            attachments=[Attachment("巡查表.xlsx", "application/vnd.ms-excel", blob)],
            now=local(14),
        )
        s.commit()
        assert receipt.attachments == [
            {"filename": "巡查表.xlsx", "size": len(blob), "sha256": hashlib.sha256(blob).hexdigest()}
        ]
        stored = s.scalars(select(ReportAttachment)).one()
        assert stored.data == blob and hashlib.sha256(stored.data).hexdigest() == stored.sha256


def test_concurrent_submissions_with_one_key_make_one_record(bureau_db: str) -> None:
    from roster.reports.escalation import check

    with open_session(bureau_db) as s:  # the day's row exists already: nothing but the lock orders the writers
        check(s, local(1))
        s.commit()
    receipts: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def worker() -> None:
        try:
            barrier.wait()
            with open_session(bureau_db) as s:
                r = submit(
                    s,
                    unit_id="a-group",
                    day=DAY,
                    kind="report",
                    text="同一份报告",
                    idempotency_key="same-key",
                    now=local(15),
                )
                s.commit()
                receipts.append(r.receipt)
        except BaseException as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(receipts) == 6 and len(set(receipts)) == 1
    with open_session(bureau_db) as s:
        assert s.scalar(select(func.count()).select_from(ReportSubmission)) == 1


def test_concurrent_different_submissions_become_ordered_corrections(bureau_db: str) -> None:
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            with open_session(bureau_db) as s:
                submit(s, unit_id="a-group", day=DAY, kind="report", text=f"版本 {i}", now=local(15))
                s.commit()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with open_session(bureau_db) as s:
        assert sorted(s.scalars(select(ReportSubmission.revision))) == [1, 2, 3, 4, 5]


def test_board_states_through_the_day(bureau_db: str) -> None:
    with open_session(bureau_db) as s:
        excuse(s, unit_id="e-ontime", day=DAY, by="p01", reason="整改停工", now=local(8))
        submit(s, unit_id="c-night", day=DAY, kind="zero", now=local(5))
        s.commit()
        states = lambda now: {r["unit"]: r["state"] for r in report_status(s, DAY, now)}  # noqa: E731
        assert states(local(14)) == {
            "a-group": "pending",
            "b-firm": "pending",
            "c-night": "zero_report",
            "e-ontime": "excused",
            "f-skip": "missing",
        }
        assert states(local(16, 30))["a-group"] == "late"
        assert states(local(17))["a-group"] == "missing"  # the grace hour is over
        assert states(local(15, 10))["b-firm"] == "late" and states(local(15, 30))["b-firm"] == "missing"
        with pytest.raises(ReportError) as err:
            excuse(s, unit_id="e-ontime", day=DAY, by="p01", reason="again", now=local(9))
        assert err.value.field == "date"
        with pytest.raises(ReportError) as err:
            excuse(s, unit_id="a-group", day=DAY, by="nobody", reason="x", now=local(9))
        assert err.value.field == "by"


def test_ack_is_recorded_with_who_when_how(bureau_db: str) -> None:
    with open_session(bureau_db) as s:
        result = acknowledge(s, unit_id="a-group", day=DAY, by="p03", now=local(17, 5))
        acknowledge(s, unit_id="a-group", day=DAY, by="p02", now=local(17, 6), via="link")
        s.commit()
        assert result["first"] and result["acked_by"] == "p03"
        acks = s.execute(select(ReportAck.person_id, ReportAck.via).order_by(ReportAck.id)).all()
        assert [tuple(a) for a in acks] == [("p03", "cli"), ("p02", "link")]


def test_monthly_punctuality(bureau_db: str) -> None:
    days = [DAY - dt.timedelta(days=k) for k in range(1, 5)]  # 19..22 Nov
    with open_session(bureau_db) as s:
        submit(s, unit_id="a-group", day=days[0], kind="zero", now=local(15, day=days[0]))  # on time
        submit(s, unit_id="a-group", day=days[1], kind="report", text="迟报", now=local(20, day=days[1]))  # late
        excuse(s, unit_id="a-group", day=days[2], by="p01", reason="停电", now=local(8, day=days[2]))
        s.commit()  # days[3] missing
        rows = {r["unit"]: r for r in monthly_stats(s, "2026-11", local(12, day=DAY))}
        a = rows["a-group"]
        # active since 2026-10-24: 24 days owed in November before the 23rd, one excused
        assert (a["on_time"], a["late"], a["excused"], a["zero_reports"]) == (1, 1, 1, 1)
        assert a["owed"] == 21 and a["missing"] == 19
        assert a["punctuality"] == round(1 / 21, 4)


def test_cli_submit_status_ack_excuse_and_stats(bureau_db: str, tmp_path) -> None:  # noqa: ANN001
    now = local(16, 30).isoformat()
    attachment = tmp_path / "巡查.txt"
    attachment.write_bytes("今日巡查 5 处".encode())
    r = runner.invoke(
        app, ["reports", "submit", "a-group", "--date", "2026-11-23", "--file", str(attachment), "--now", now, "--json"]
    )
    assert r.exit_code == 0, r.output
    receipt = json.loads(r.stdout)
    assert receipt["late"] is True and receipt["attachments"][0]["filename"] == "巡查.txt"
    r = runner.invoke(app, ["reports", "submit", "b-firm", "--date", "2026-11-23", "--zero", "--now", now])
    assert r.exit_code == 0 and "zero report for b-firm" in r.stdout
    r = runner.invoke(app, ["reports", "submit", "ghost", "--date", "2026-11-23", "--zero", "--now", now])
    assert r.exit_code == 2 and "UNIT" in r.output and "ghost" in r.output
    r = runner.invoke(app, ["reports", "submit", "a-group", "--date", "2026-11-30", "--zero", "--now", now])
    assert r.exit_code == 2 and "--date" in r.output and "future" in r.output
    r = runner.invoke(app, ["reports", "submit", "a-group", "--date", "2026-11-23", "--now", now])
    assert r.exit_code == 2 and "--zero" in r.output
    r = runner.invoke(app, ["reports", "ack", "f-skip", "--date", "2026-11-23", "--by", "p07", "--now", now])
    assert r.exit_code == 0 and "acknowledged by p07" in r.stdout
    r = runner.invoke(
        app, ["reports", "excuse", "e-ontime", "--date", "2026-11-23", "--by", "p01", "--reason", "停工", "--now", now]
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["reports", "status", "--date", "2026-11-23", "--now", now, "--json"])
    board = {row["unit"]: row["state"] for row in json.loads(r.stdout)}
    assert board == {
        "a-group": "submitted",
        "b-firm": "zero_report",
        "c-night": "missing",
        "e-ontime": "excused",
        "f-skip": "missing",
    }
    r = runner.invoke(app, ["reports", "stats", "--month", "2026-11", "--now", now, "--json"])
    assert r.exit_code == 0 and {row["unit"] for row in json.loads(r.stdout)} >= {"a-group", "b-firm"}
    r = runner.invoke(app, ["reports", "stats", "--month", "2026-13", "--now", now])
    assert r.exit_code == 2 and "--month" in r.output
    r = runner.invoke(app, ["reports", "check", "--now", now, "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["messages_enqueued"] > 0
    r = runner.invoke(app, ["reports", "token", "issue", "a-group"])
    assert r.exit_code == 0 and len(r.stdout.strip()) >= 43
    r = runner.invoke(app, ["reports", "token", "revoke", "a-group"])
    assert r.exit_code == 0 and "revoked 1" in r.stdout


def test_history_lists_corrections_and_verifies_attachments(bureau_db: str, tmp_path) -> None:  # noqa: ANN001
    from sqlalchemy import update

    from roster.reports.ledger import AttachmentCorrupted, attachment_bytes, history

    blob = b"\x00\x01binary\xff" * 100
    with open_session(bureau_db) as s:
        first = submit(
            s,
            unit_id="a-group",
            day=DAY,
            kind="report",
            text="初报",
            now=local(15),
            attachments=[Attachment("表.bin", "application/octet-stream", blob)],
        )
        submit(s, unit_id="a-group", day=DAY, kind="report", text="更正", now=local(16, 10))
        s.commit()
        entries = history(s, unit_id="a-group", day=DAY)
        assert [(e["revision"], e["text"], e["correction"]) for e in entries] == [(1, "初报", False), (2, "更正", True)]
        assert attachment_bytes(s, receipt=first.receipt, filename="表.bin") == blob

    out = tmp_path / "saved"
    r = runner.invoke(app, ["reports", "history", "a-group", "--date", "2026-11-23", "--save-attachments", str(out)])
    assert r.exit_code == 0, r.output
    assert "r2 correction" in r.stdout and (out / "r1" / "表.bin").read_bytes() == blob

    with open_session(bureau_db) as s:
        s.execute(update(ReportAttachment).values(data=blob + b"!"))  # bit rot
        s.commit()
        with pytest.raises(AttachmentCorrupted):
            attachment_bytes(s, receipt=first.receipt, filename="表.bin")
    r = runner.invoke(app, ["reports", "history", "a-group", "--date", "2026-11-23", "--save-attachments", str(out)])
    assert r.exit_code == 3 and "sha256" in r.output
