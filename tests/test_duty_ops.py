"""Check-in windows and places, handover signing (both sides, every item), the scorecard, the section's
validation, and the CLI's clear errors."""

from __future__ import annotations

import json

import pytest
from duty_helpers import DAY, duty_document, install
from typer.testing import CliRunner

from roster.admin.loader import AdminFileError, parse_bureau
from roster.cli import app
from roster.storage import open_session

runner = CliRunner()


def _duty(*args: str) -> tuple[int, object]:
    result = runner.invoke(app, ["duty", *args])
    try:
        return result.exit_code, json.loads(result.stdout)
    except ValueError:
        return result.exit_code, result.stdout + result.stderr


@pytest.fixture
def bureau(db_url: str) -> str:
    with open_session(db_url) as s:
        install(s)
    return db_url


def test_checkin_window_late_offsite_and_idempotent(bureau: str) -> None:
    code, out = _duty("checkin", "p22", "--now", "2026-11-23T07:59")
    assert code == 2 and "签到尚未开放" in out and "08:00" in out
    code, out = _duty("checkin", "p22", "--address", "10.20.0.9", "--now", "2026-11-23T08:00", "--json")
    assert code == 0 and out["late"] is False and out["on_site"] is True and out["shift"] == "20261123-full@dutyflow"
    code, again = _duty("checkin", "p22", "--now", "2026-11-23T08:40", "--json")
    assert code == 0 and again["replayed"] is True and again["at"] == out["at"]
    code, out = _duty("checkin", "p23", "--address", "192.168.1.5", "--now", "2026-11-23T08:46", "--json")
    assert code == 0 and out["late"] is True and out["on_site"] is False
    code, out = _duty("checkin", "p30", "--now", "2026-11-23T08:40")
    assert code == 2 and "p30" in out and "没有值班" in out
    code, out = _duty("checkin", "nobody", "--now", "2026-11-23T08:40")
    assert code == 2 and "person" in out
    code, status = _duty("status", "--now", "2026-11-23T09:00", "--json")
    states = {c["person"]: c["state"] for c in status["checkins"]}
    assert states == {"p02": "missing", "p22": "on_time", "p23": "late"}


def test_handover_needs_both_signatures_and_every_item(bureau: str) -> None:
    assert _duty("log", "add", "--text", "待回复市局来文", "--todo", "--by", "p20", "--now", "2026-11-23T07:00")[0] == 0
    code, shown = _duty("handover", "show", "--now", "2026-11-23T08:15", "--json")
    keys = [i["key"] for i in shown["items"]]
    # The 待办 first, then the reports still missing (every unit owed one for the 22nd and none came).
    assert code == 0 and keys[0] == "log:1" and "report:grp-water:2026-11-22" in keys and not shown["complete"]
    assert all(k.startswith("report:") and k.endswith(":2026-11-22") for k in keys[1:])
    code, out = _duty("handover", "sign", "--by", "p22", "--ack-all", "--now", "2026-11-23T08:16")
    assert code == 2 and "交班人尚未签字" in out
    code, out = _duty("handover", "sign", "--by", "p20", "--now", "2026-11-23T08:17")
    assert code == 2 and "note" in out
    code, out = _duty(
        "handover", "sign", "--by", "p20", "--note", "夜间平稳，来文待回复。", "--now", "2026-11-23T08:20", "--json"
    )
    assert code == 0 and out["outgoing_by"] == "p20" and out["frozen"]
    # A 待办 written after the outgoing signature is not part of this handover (items are frozen).
    assert _duty("log", "add", "--text", "新待办", "--todo", "--by", "p22", "--now", "2026-11-23T08:25")[0] == 0
    code, out = _duty("handover", "sign", "--by", "p22", "--now", "2026-11-23T08:31")
    assert code == 2 and "log:1" in out and "逐项确认" in out
    code, out = _duty("handover", "sign", "--by", "p30", "--ack-all", "--now", "2026-11-23T08:31")
    assert code == 2 and "p30" in out
    code, out = _duty("handover", "sign", "--by", "p23", "--ack", "log:1", "--now", "2026-11-23T08:32")
    assert code == 2 and "report:grp-water:2026-11-22" in out and "log:1," not in out  # log:1 was acknowledged
    code, out = _duty("handover", "sign", "--by", "p23", "--ack-all", "--now", "2026-11-23T08:33", "--json")
    assert code == 0 and out["complete"] and out["incoming_by"] == "p23"
    assert [i["key"] for i in out["items"]] == keys and all(i["acknowledged"] for i in out["items"])


def test_scorecard_month(bureau: str) -> None:
    for person, at in (("p22", "08:10"), ("p23", "09:00"), ("p02", "08:20")):
        assert _duty("checkin", person, "--now", f"2026-11-23T{at}")[0] == 0
    _duty("rollcall", "start", "--by", "p02", "--now", "2026-11-23T15:00")
    code, card = _duty("scorecard", "--month", "2026-11", "--now", "2026-11-23T16:00", "--json")
    assert code == 0
    people = {p["person"]: p for p in card["people"]}
    # The 22nd's shift (p05, p20, p21) never checked in: missing. Today's: two on time, one late.
    assert people["p20"]["checkins_missed"] == 1 and people["p23"]["checkins_late"] == 1
    assert people["p22"]["checkin_on_time_rate"] == 1.0
    assert card["bureau"]["checkins_owed"] == 6 and card["bureau"]["checkin_on_time_rate"] == round(2 / 6, 4)
    assert card["bureau"]["rollcalls"] == 3 and card["bureau"]["answer_rate"] == 0.0
    assert card["bureau"]["handovers"] == 1 and card["bureau"]["handover_complete_rate"] == 0.0
    assert "签到准时率 33.3%" in card["summary"] and "查岗应答率 0.0%" in card["summary"]
    assert _duty("scorecard", "--month", "2026-13")[0] == 2


def test_duty_section_errors_name_the_field() -> None:
    import yaml

    doc = duty_document(
        networks=["10.20.0.0/33"], office=["p99"], rollcall={"windows": [{"from": "22:00", "to": "22:01", "count": 3}]}
    )
    with pytest.raises(AdminFileError) as caught:
        parse_bureau(yaml.safe_dump(doc, allow_unicode=True))
    where = {i.location for i in caught.value.issues}
    assert {"duty.networks", "duty.rollcall.windows[0]"} <= where
    doc = duty_document(office=["p99"])
    with pytest.raises(AdminFileError) as caught:
        parse_bureau(yaml.safe_dump(doc, allow_unicode=True))
    assert [(i.location, i.message) for i in caught.value.issues] == [("duty.office[0]", "no person 'p99'")]


def test_commands_without_a_duty_section_say_so(db_url: str) -> None:
    doc = duty_document()
    doc.pop("duty")
    with open_session(db_url) as s:
        install(s, doc)
    code, out = _duty("checkin", "p22", "--now", "2026-11-23T08:10")
    assert code == 2 and "duty" in out
    code, out = _duty("check", "--now", "2026-11-23T08:10", "--json")
    assert code == 0 and out["skipped"]


_ = DAY


def test_item_sources_list_unfinished_inspections_and_unanswered_rollcalls(bureau: str) -> None:
    import datetime as dt

    from duty_helpers import local

    from roster.duty.facts import duty_settings
    from roster.duty.handover import ITEM_SOURCES, HandoverContext, boundary, open_items
    from roster.storage.models.inspections import InspectionPlan, InspectionResult, InspectionSite, InspectionVisit

    prev = DAY - dt.timedelta(days=1)
    with open_session(bureau) as s:
        plan = InspectionPlan(day=prev, inputs_sha256="x", computed_at=local(prev, 7))
        s.add(plan)
        for i in range(3):
            s.add(InspectionSite(id=f"cs{i}", name=f"工地{i}", site_type="construction_site", sector="construction",
                                 address="", contact_name="", contact_phone="", updated_at=local(prev, 7)))  # fmt: skip
        s.flush()
        visits = [
            InspectionVisit(
                plan_id=plan.id, day=prev, site_id=f"cs{i}", group_id="construction", due_at=local(prev, 20)
            )
            for i in range(3)
        ]
        s.add_all(visits)
        s.flush()
        s.add(
            InspectionResult(visit_id=visits[0].id, site_id="cs0", day=prev, outcome="ok", recorded_at=local(prev, 11))
        )
        s.commit()
    assert _duty("rollcall", "start", "--by", "p05", "--now", "2026-11-23T03:00")[0] == 0  # yesterday's shift
    with open_session(bureau) as s:
        now = local(DAY, 8, 20)
        outgoing, incoming = boundary(s, now)
        items = open_items(HandoverContext(s, now, duty_settings(s), outgoing, incoming))
    by_source = {}
    for item in items:
        by_source.setdefault(item.source, []).append(item)
    assert [(i.key, i.title) for i in by_source["inspections"]] == [
        ("inspections:2026-11-22:construction", "construction 2026-11-22 尚有 2 处检查未完成")
    ]
    assert sorted(i.key.split(":")[2] for i in by_source["rollcall"]) == ["p05", "p20", "p21"]
    assert len(ITEM_SOURCES) == 5  # with the incidents feature's provider
