"""The independent benchmark evaluator on a hand-built instance where every figure is computable by hand."""

from __future__ import annotations

import pytest

from nrp.evaluate import HARD_RULES, evaluate, runs
from nrp.parser import NrpInstance, parse_text
from nrp.solution import RosterFormatError, format_roster, parse_roster

# 14 days from a Monday: weekends are days 5-6 and 12-13. E = 480 min; L = 600 min and E cannot follow L.
# Employee A: at most 2 L, 960..3600 minutes, 2..3 shifts in a row, at least 2 days off in a row, at most one
# weekend, day 11 off. B never works (minimum 0) and is there to be counted in cover.
TINY = """SECTION_HORIZON
14
SECTION_SHIFTS
E,480,
L,600,E
SECTION_STAFF
A,E=14|L=2,{max_minutes},{min_minutes},3,2,2,1
B,E=14|L=14,9000,0,14,1,1,2
SECTION_DAYS_OFF
A,11
SECTION_SHIFT_ON_REQUESTS
A,0,L,3
A,7,E,5
SECTION_SHIFT_OFF_REQUESTS
A,1,E,2
SECTION_COVER
0,E,2,100,1
1,E,0,100,1
"""


def tiny(max_minutes: int = 3600, min_minutes: int = 960) -> NrpInstance:
    return parse_text(TINY.format(max_minutes=max_minutes, min_minutes=min_minutes), "tiny")


def roster(days: str, employee: str = "A") -> list[tuple[str, int, str]]:
    """'EE---..' style: one character per day from day 0, '-' = off."""
    return [(employee, d, s) for d, s in enumerate(days) if s != "-"]


VALID = "EE-----EEE----"  # runs 0-1 and 7-9, off 2-6 and 10-13, no weekend, 2400 minutes


def rules(inst: NrpInstance, assignments: list[tuple[str, int, str]]) -> list[str]:
    return [v.rule for v in evaluate(inst, assignments).violations]


def test_valid_roster_and_hand_computed_penalty() -> None:
    result = evaluate(tiny(), roster(VALID))
    assert result.feasible, result.violations
    # cover day 0 E: 1 of 2 -> 100; day 1 E: 1 over 0 -> 1; on request A,0,L (works E) -> 3;
    # on request A,7,E granted -> 0; off request A,1,E (works it) -> 2.
    assert dict(result.breakdown) == {
        "shift_on_requests": 3,
        "shift_off_requests": 2,
        "cover_under": 100,
        "cover_over": 1,
    }
    assert result.penalty == 106
    assert "penalty 106" in result.summary() and "feasible" in result.summary()
    # B joining on day 0 fills the cover: the under term goes, nothing else moves.
    assert evaluate(tiny(), roster(VALID) + [("B", 0, "E")]).breakdown["cover_under"] == 0


@pytest.mark.parametrize(
    ("rule", "assignments", "inst_kwargs"),
    [
        ("one_shift_per_day", roster(VALID) + [("A", 1, "L")], {}),
        ("shift_rotation", roster("LE-----EEE----"), {}),
        ("max_shifts", roster("EE-----LLL----"), {}),
        ("max_total_minutes", roster(VALID), {"max_minutes": 2399}),
        ("min_total_minutes", roster(VALID), {"min_minutes": 2401}),
        ("max_consecutive_shifts", roster("-EEEE---EE----"), {}),
        ("min_consecutive_shifts", roster("EE-----E------"), {}),
        ("min_consecutive_days_off", roster("EE-EE--EEE----"), {}),
        ("max_weekends", roster("EE--EEE-----EE"), {}),
        ("days_off", roster("EE--------EE--"), {}),
        ("unknown", roster(VALID) + [("Z", 0, "E"), ("A", 2, "X"), ("A", 14, "E")], {}),
    ],
)
def test_each_hard_rule_broken_once_is_detected(rule: str, assignments: list, inst_kwargs: dict) -> None:
    found = rules(tiny(**inst_kwargs), assignments)
    assert set(found) == {rule}, found
    assert found.count(rule) == (3 if rule == "unknown" else 1)
    assert rule in HARD_RULES


def test_horizon_edges_follow_the_published_rules() -> None:
    inst = tiny()
    # A single shift on the last day, a single shift on day 0, a single day off on day 0: each touches an edge,
    # so the minimum run lengths do not apply (the rules assume unbounded runs outside the horizon) ...
    assert rules(inst, roster("-EE----EEE---E")) == []
    assert rules(inst, roster("E------EE-----")) == []
    # ... the same single shift away from the edges is a violation ...
    assert rules(inst, roster("-EE----EEE--E-")) == ["min_consecutive_shifts"]
    # ... but the maximum counts a run touching day 0 as it is (the day before is a day off) ...
    assert rules(inst, roster("EEEE----EE----")) == ["max_consecutive_shifts"]
    # ... and rotation does not cross the edges: L on the last day is fine, whatever comes next.
    assert rules(inst, roster("-EE----EEE---L")) == []


def test_runs_helper() -> None:
    assert runs([True, True, False, True], True) == [(0, 2), (3, 1)]
    assert runs([True, True, False, True], False) == [(2, 1)]
    assert runs([], True) == []


def test_roster_file_round_trip_and_errors() -> None:
    inst = tiny()
    assignments = roster(VALID) + [("B", 3, "L"), ("B", 3, "E")]
    text = format_roster(inst, assignments, comments=["penalty 106"])
    assert text.splitlines()[1] == "# penalty 106"
    assert text.splitlines()[2].split() == ["A", *VALID.replace("E", "E ").replace("-", "- ").split()]
    assert "L+E" in text.splitlines()[3]
    assert sorted(parse_roster(text, horizon=14)) == sorted(assignments)
    # Reading back keeps the broken day: the evaluator sees both shifts.
    assert "one_shift_per_day" in rules(inst, parse_roster(text))
    with pytest.raises(RosterFormatError, match=r"roster:2: A has 3 day fields, expected 14"):
        parse_roster("# x\nA E E -\n", horizon=14)
    with pytest.raises(RosterFormatError, match="repeated"):
        parse_roster("A E\nA E\n")
    with pytest.raises(RosterFormatError, match="malformed"):
        parse_roster("A E+\n")
