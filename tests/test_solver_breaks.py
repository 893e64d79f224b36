"""The search's breaks (roster.solver.breaks): how long the search runs between them, and which respond."""

from __future__ import annotations

import pytest

from roster.solver.breaks import LONGEST_REST, SEGMENT_S, SHORTEST_SEGMENT_S, Rates, plan_break


def test_before_anything_is_measured_the_search_runs_a_full_segment_and_the_first_break_responds() -> None:
    plan = plan_break(Rates(), 0, can_respond=True)
    assert plan.segment_s == SEGMENT_S
    assert plan.respond


def test_nothing_responds_where_people_meet_in_more_than_the_cover() -> None:
    assert not plan_break(Rates(), 0, can_respond=False).respond


def test_a_search_slower_than_the_responses_runs_shorter_in_proportion() -> None:
    rates = Rates()
    rates.record("search", 100, 10.0)  # 10 a second
    rates.record("respond", 800, 20.0, at_break=0)  # 40 a second
    assert plan_break(rates, 1, True).segment_s == pytest.approx(SEGMENT_S / 4)
    rates.record("respond", 200_000, 20.0, at_break=1)
    assert plan_break(rates, 2, True).segment_s == SHORTEST_SEGMENT_S  # still measured, never skipped
    rates.record("search", 200_000, 10.0)  # 20 thousand a second
    assert plan_break(rates, 2, True).segment_s == SEGMENT_S  # never longer than a full segment


def test_the_segment_stays_whole_before_any_round_of_responses_and_where_nothing_responds() -> None:
    rates = Rates()
    rates.record("search", 100, 10.0)
    assert plan_break(rates, 1, True).segment_s == SEGMENT_S
    rates.record("respond", 800, 20.0, at_break=0)
    assert plan_break(rates, 1, False).segment_s == SEGMENT_S


def test_a_search_that_gained_nothing_or_lost_runs_the_shortest_segment() -> None:
    rates = Rates()
    rates.record("respond", 10, 1.0)
    rates.record("search", 0, 10.0)
    assert plan_break(rates, 1, True).segment_s == SHORTEST_SEGMENT_S


def test_responses_that_pay_less_than_the_search_sit_out_breaks_doubling_until_they_pay_again() -> None:
    rates = Rates()
    rates.record("search", 600, 10.0)  # 60 a second
    responded = []
    number = 0
    for _ in range(40):
        if plan_break(rates, number, True).respond:
            responded.append(number)
            rates.record("respond", 10, 5.0, at_break=number)  # 2 a second: poorer than the search
        number += 1
    gaps = [b - a for a, b in zip(responded, responded[1:], strict=False)]
    assert gaps[:5] == [2, 3, 5, 9, 1 + LONGEST_REST]  # rests of 1, 2, 4, 8, then at most LONGEST_REST
    rates.record("respond", 10_000, 5.0, at_break=number)  # a round that pays: every break again
    assert plan_break(rates, number + 1, True).respond
    assert plan_break(rates, number + 2, True).respond


def test_responses_that_pay_better_than_the_search_run_in_every_break() -> None:
    rates = Rates()
    rates.record("search", 10, 10.0)
    for number in range(5):
        assert plan_break(rates, number, True).respond
        rates.record("respond", 300, 20.0, at_break=number)
