"""The pure clock decision, without a database: every severity of the seed file, changes, replays."""

from __future__ import annotations

import datetime as dt

import pytest

from roster.incidents.clocks import (
    FINAL,
    FIRST,
    FOLLOWUP,
    IncidentFacts,
    SentReport,
    chinese_number,
    clock_for_report,
    clocks_due,
    open_clocks,
    report_name,
)
from tests.reports_helpers import seed_bureau

R = dt.datetime(2026, 11, 30, 15, 50, tzinfo=dt.UTC)  # 23:50 Shanghai, the last day of November
LEVELS = {level.id: level for level in seed_bureau().incidents.levels}


def m(minutes: float) -> dt.datetime:
    return R + dt.timedelta(minutes=minutes)


def keys(clocks) -> dict[str, dt.datetime]:  # noqa: ANN001
    return {c.key: c.due_at for c in clocks}


# (level, phone due, 首报 due, 续报 cadence, 续报 after a change, 终报 after the end) in minutes, from the file
SEED_RULES = [
    ("grave", 15, 30, 120, 30, 24 * 60),
    ("major", 15, 30, 360, 60, 24 * 60),
    ("large", 30, 60, 24 * 60, 120, 48 * 60),
    ("general", None, 120, None, 240, None),
]


@pytest.mark.parametrize(("level_id", "phone", "first", "every", "change", "final"), SEED_RULES)
def test_replay_of_a_whole_incident_for_each_severity(level_id, phone, first, every, change, final) -> None:  # noqa: ANN001
    level = LEVELS[level_id]
    facts = IncidentFacts(R)
    at_start = keys(open_clocks(facts, level, [], R))
    assert at_start == ({"phone": m(phone)} if phone else {}) | {"first": m(first)}
    just_before = {c.key for c in clocks_due(facts, level, [], m(first) - dt.timedelta(seconds=1))}
    assert just_before == ({"phone"} if phone else set())
    assert {c.key for c in clocks_due(facts, level, [], m(first))} == ({"phone", "first"} if phone else {"first"})

    # phoned at 10 min and 首报 sent 5 min before its deadline: only the 续报 cadence is left (if any)
    facts = IncidentFacts(R, phone_reported_at=m(10))
    sent = [SentReport(FIRST, 0, m(first - 5))]
    after_first = keys(open_clocks(facts, level, sent, m(first)))
    assert after_first == ({"followup-1": m(first - 5 + every)} if every else {})

    # a development 10 min after the 首报: 续报一 within the change window, if sooner than the cadence
    changed = IncidentFacts(R, phone_reported_at=m(10), changes=(m(first + 5),))
    due = keys(open_clocks(changed, level, sent, m(first + 6)))["followup-1"]
    assert due == min(m(first + 5 + change), m(first - 5 + every) if every else m(10**6))

    # 续报一 sent: 续报二 counts from it; the response ends: the 终报 clock (or nothing) replaces the cadence
    sent.append(SentReport(FOLLOWUP, 1, m(first + 30)))
    assert set(keys(open_clocks(changed, level, sent, m(first + 31)))) == ({"followup-2"} if every else set())
    ended = IncidentFacts(R, phone_reported_at=m(10), ended_at=m(600), changes=(m(first + 5),))
    assert keys(open_clocks(ended, level, sent, m(601))) == ({"final": m(600 + final)} if final else {})
    sent.append(SentReport(FINAL, 0, m(700)))
    assert open_clocks(ended, level, sent, m(701)) == []


def test_severity_raised_after_the_first_report_recomputes_the_followup() -> None:
    large, grave = LEVELS["large"], LEVELS["grave"]
    sent = [SentReport(FIRST, 0, m(40))]
    raised = IncidentFacts(R, phone_reported_at=m(5), changes=(m(90),))
    # under 较大 the change window is 2 h; once raised to 特别重大 it is 30 min and the cadence 2 h
    assert keys(open_clocks(raised, large, sent, m(91))) == {"followup-1": m(210)}
    assert keys(open_clocks(raised, grave, sent, m(91))) == {"followup-1": m(120)}
    assert [c.key for c in clocks_due(raised, grave, sent, m(120))] == ["followup-1"]


def test_severity_raised_before_the_first_report_moves_its_deadline_closer() -> None:
    facts = IncidentFacts(R, changes=(m(20),))
    assert keys(open_clocks(facts, LEVELS["general"], [], m(20)))["first"] == m(120)
    # raised to 特别重大 at 20 min: the 首报 was due at 30 min, the phone report at 15 (already overdue)
    assert keys(clocks_due(facts, LEVELS["grave"], [], m(20))) == {"phone": m(15)}
    assert keys(open_clocks(facts, LEVELS["grave"], [], m(20)))["first"] == m(30)


def test_facts_after_now_are_ignored_so_any_instant_can_be_replayed() -> None:
    level = LEVELS["major"]
    facts = IncidentFacts(R, phone_reported_at=m(12), ended_at=m(500), changes=(m(100),))
    sent = [SentReport(FIRST, 0, m(25)), SentReport(FOLLOWUP, 1, m(130)), SentReport(FINAL, 0, m(600))]
    assert set(keys(open_clocks(facts, level, sent, m(5)))) == {"phone", "first"}
    assert keys(open_clocks(facts, level, sent, m(110))) == {"followup-1": m(160)}
    assert keys(open_clocks(facts, level, sent, m(140))) == {"followup-2": m(130 + 360)}
    assert keys(open_clocks(facts, level, sent, m(550))) == {"final": m(500 + 24 * 60)}
    assert open_clocks(facts, level, sent, m(600)) == []


def test_the_clock_a_report_satisfies_when_sent() -> None:
    level = LEVELS["large"]
    facts = IncidentFacts(R)
    assert clock_for_report(facts, level, [], FIRST, m(70)).due_at == m(60)
    # a 终报 sent while the incident is still open ends it now: its clock starts now, so it is on time
    sent = [SentReport(FIRST, 0, m(50))]
    assert clock_for_report(facts, level, sent, FINAL, m(300)).due_at == m(300 + 48 * 60)
    assert clock_for_report(facts, LEVELS["general"], sent, FINAL, m(300)) is None


@pytest.mark.parametrize(
    ("n", "text"), [(1, "一"), (2, "二"), (9, "九"), (10, "十"), (11, "十一"), (20, "二十"), (23, "二十三")]
)
def test_followups_are_numbered_in_chinese(n: int, text: str) -> None:
    assert chinese_number(n) == text
    assert report_name(FOLLOWUP, n) == f"续报{text}"
    assert report_name(FOLLOWUP, n, "en") == f"Follow-up {n}"


def test_a_missed_phone_report_stops_ticking_once_the_first_report_is_out() -> None:
    level = LEVELS["large"]
    assert set(keys(clocks_due(IncidentFacts(R), level, [], m(45)))) == {"phone"}
    sent = [SentReport(FIRST, 0, m(50))]
    assert "phone" not in keys(open_clocks(IncidentFacts(R), level, sent, m(55)))
