"""Swaps and reassignments: accepted with an audit entry and a revision bump, or refused naming the rule."""

from __future__ import annotations

import datetime as dt

import pytest
from planning_helpers import install_bureau, small_bureau, stored_roster

from roster.planning.swap import SwapRefused, swap
from roster.shifts import generate_slots
from roster.storage import open_session
from roster.storage.models.shifts import AuditEntry, Shift, ShiftAssignment

T0 = dt.datetime(2026, 5, 20, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 5, 25, 3, 0, tzinfo=dt.UTC)
START = dt.date(2026, 6, 1)
# day -> (leader, officer, officer)
ROSTER = {
    0: ("l1", "o1", "o3"),
    1: ("l2", "o4", "o5"),
    2: ("l1", "o1", "o6"),
    3: ("l2", "o3", "o4"),
    4: ("l1", "o5", "o6"),
}
RULES = {"min_rest_hours": 24, "max_consecutive_duties": 1, "max_duties_per_month": 3, "not_together": [["o1", "o2"]]}


def uid(day: int) -> str:
    return f"{START + dt.timedelta(days=day):%Y%m%d}-full@dutyflow"


@pytest.fixture
def roster_db(any_db_url: str) -> str:
    bureau = small_bureau(
        3, 7, rules=RULES, leave=[{"person": "o7", "from": START, "to": START + dt.timedelta(days=9)}]
    )
    with open_session(any_db_url) as s:
        install_bureau(s, bureau, T0)
        for slot in generate_slots(START, len(ROSTER), bureau.shift_pattern, bureau.bureau.timezone):
            leader, *officers = ROSTER[(slot.duty_date - START).days]
            shift = Shift(uid=slot.uid, duty_date=slot.duty_date, slot=slot.slot, starts_at=slot.starts_at,
                          ends_at=slot.ends_at, is_night=True, changed_at=T0)  # fmt: skip
            shift.assignments = [ShiftAssignment(role="leader_on_duty", seat=0, person_id=leader)] + [
                ShiftAssignment(role="duty_officer", seat=i, person_id=pid) for i, pid in enumerate(officers)
            ]
            s.add(shift)
        s.commit()
    return any_db_url


def test_reassign_is_recorded_and_bumps_revision(roster_db: str) -> None:
    with open_session(roster_db) as s:
        before = stored_roster(s)
        result = swap(s, uid(1), "o4", "o2", None, now=NOW, actor="admin", reason="o4 at a training course")
        s.commit()
        after = stored_roster(s)
        key = (START + dt.timedelta(days=1), "full")
        assert result.action == "reassign"
        assert result.moves == [
            {
                "uid": uid(1),
                "date": "2026-06-02",
                "slot": "full",
                "role": "duty_officer",
                "seat": 0,
                "old": "o4",
                "new": "o2",
            }
        ]
        assert after[key]["seats"][("duty_officer", 0)] == (before[key]["seats"][("duty_officer", 0)][0], "o2")
        assert after[key]["revision"] == 1 and after[key]["changed_at"] == NOW
        assert {k: v for k, v in after.items() if k != key} == {k: v for k, v in before.items() if k != key}
        [entry] = s.query(AuditEntry).all()
        assert (entry.actor, entry.action, entry.reason) == ("admin", "swap.reassign", "o4 at a training course")
        assert entry.details["moves"][0]["new"] == "o2"


def test_exchange_moves_both_people(roster_db: str) -> None:
    with open_session(roster_db) as s:
        swap(s, uid(0), "o3", "o5", uid(1), now=NOW, actor="admin", reason="family event")
        s.commit()
        after = stored_roster(s)
        day0, day1 = after[(START, "full")], after[(START + dt.timedelta(days=1), "full")]
        assert {pid for _, pid in day0["seats"].values()} == {"l1", "o1", "o5"}
        assert {pid for _, pid in day1["seats"].values()} == {"l2", "o4", "o3"}
        assert day0["revision"] == day1["revision"] == 1
        assert s.query(AuditEntry).one().action == "swap.exchange"


@pytest.mark.parametrize(
    ("args", "rule", "words"),
    [
        ((uid(1), "o4", "o6", None), "rest", "only 0 h between"),  # o6 works day 2
        ((uid(1), "o4", "o7", None), "leave", "o7 is on leave"),
        ((uid(1), "l2", "o2", None), "role", "may not take the role leader_on_duty"),
        ((uid(1), "o4", "o5", None), "double_seat", "two seats"),
        ((uid(0), "o3", "o2", None), "not_together", "o2 and o1 may not be on duty together"),
        ((uid(0), "o3", "o1", uid(2)), "double_seat", "two seats"),
        ((uid(1), "o4", "o9", None), "role", "not an active member"),
        ((uid(7), "o4", "o2", None), "input", "no stored shift"),
        ((uid(1), "o1", "o2", None), "input", "o1 holds no seat"),
    ],
)
def test_refusals_name_the_rule_and_change_nothing(roster_db: str, args: tuple, rule: str, words: str) -> None:
    with open_session(roster_db) as s:
        before = stored_roster(s)
        with pytest.raises(SwapRefused) as refused:
            swap(s, *args, now=NOW, actor="admin", reason="test")
        s.commit()
        assert refused.value.rule == rule and words in str(refused.value)
        assert stored_roster(s) == before
        assert s.query(AuditEntry).count() == 0


@pytest.mark.parametrize(
    ("rules", "rule", "words"),
    [
        ({**RULES, "max_duties_per_month": 2}, "monthly_max", "o1: 3 duties in 2026-06 (max_duties_per_month 2)"),
        ({**RULES, "min_rest_hours": 0}, "consecutive", "o1: 3 duty days in a row 2026-06-01..2026-06-03"),
    ],
)
def test_monthly_maximum_and_consecutive_duties(roster_db: str, rules: dict, rule: str, words: str) -> None:
    with open_session(roster_db) as s:
        install_bureau(s, small_bureau(3, 7, rules=rules), NOW)
        target = uid(4) if rule == "monthly_max" else uid(1)
        giver = "o5" if rule == "monthly_max" else "o4"
        with pytest.raises(SwapRefused) as refused:
            swap(s, target, giver, "o1", None, now=NOW, actor="admin", reason="x")
        assert refused.value.rule == rule and words in str(refused.value)


def test_actor_and_reason_are_required(roster_db: str) -> None:
    with open_session(roster_db) as s:
        for actor, reason in (("", "why"), ("admin", " ")):
            with pytest.raises(SwapRefused, match="required"):
                swap(s, uid(1), "o4", "o2", None, now=NOW, actor=actor, reason=reason)
