"""Cover matching on a feasible start (roster.solver.exchange): moves keep every hard rule, never raise the
cost, and find the moves (single and chained) that a short cell needs; and the weekend pacing of the lines."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from nrp.convert import to_assignments, to_problem
from nrp.evaluate import evaluate
from nrp.parser import parse_file
from roster.solver.construct import _spoils_weekend, _weekend_pace
from roster.solver.evaluate import violations
from roster.solver.exchange import _Exchange, exchange
from roster.solver.lns import cost, feasible_start
from roster.solver.problem import Assignment, Cover, Person, Problem, ShiftType, Solution

DATA = Path(__file__).resolve().parent.parent / "bench" / "data" / "nrp"


@pytest.mark.parametrize(("name", "seed"), [("Instance9", 1), ("Instance14", 2)])
def test_exchange_keeps_every_rule_and_lowers_the_cost(name: str, seed: int) -> None:
    instance = parse_file(DATA / f"{name}.txt")
    problem = to_problem(instance)
    start = feasible_start(problem, time.perf_counter() + 20, seed=seed)
    assert start is not None
    before = cost(problem, start)
    exchange(problem, start, seed=seed)
    assert violations(problem, Solution(start)) == []
    verdict = evaluate(instance, to_assignments(Solution(start)))  # the independent referee agrees
    assert verdict.feasible and verdict.penalty == cost(problem, start)
    assert verdict.penalty < before


def _tiny(people: list[Person], cover: list[int]) -> Problem:
    """One shift type; ``cover`` = the preferred number of people per day."""
    return Problem(
        days=len(cover),
        shift_types=(ShiftType("D", 480),),
        people=tuple(people),
        roles=("nurse",),
        cover=tuple(Cover(d, "D", None, preferred=n, under_weight=100, over_weight=1) for d, n in enumerate(cover)),
    )


def _line(*days: int) -> dict[int, Assignment]:
    return {d: Assignment("D", "nurse") for d in days}


def test_a_worked_day_moves_from_a_surplus_to_a_short_cell() -> None:
    person = Person("A", ("nurse",), min_minutes=960, max_minutes=960, min_consecutive=2, max_consecutive=2)
    problem = _tiny([person], [1, 1, 0, 0, 1, 1])
    roster = {"A": _line(1, 2)}  # day 2 is over-covered, day 0 short: the run can move one day earlier
    assert exchange(problem, roster) == {"A": _line(0, 1)}
    assert violations(problem, Solution(roster)) == []


def test_no_move_breaks_a_rule() -> None:
    # Day 0 is short, but A may not work it, and a run of one day (day 3 alone) is too short.
    person = Person("A", ("nurse",), min_minutes=960, max_minutes=960, min_consecutive=2, days_off=frozenset({0}))
    problem = _tiny([person], [1, 1, 0, 1, 0])
    roster = {"A": _line(1, 2)}
    assert exchange(problem, roster) == {"A": _line(1, 2)}


def test_a_chain_passes_the_shortage_on_to_a_cell_someone_else_can_fill() -> None:
    # Day 0 is short. A could work it, but only by giving up day 1, which is exactly covered; B cannot work
    # day 0 but can move from the over-covered day 2 to day 1. Only the two moves together pay.
    shift = {"min_minutes": 480, "max_minutes": 480}
    a = Person("A", ("nurse",), **shift)
    b = Person("B", ("nurse",), days_off=frozenset({0}), **shift)
    problem = _tiny([a, b], [1, 1, 0])
    unchained = {"A": _line(1), "B": _line(2)}
    assert exchange(problem, unchained, chain=0) == {"A": _line(1), "B": _line(2)}
    roster = {"A": _line(1), "B": _line(2)}
    before = cost(problem, roster)
    assert exchange(problem, roster) == {"A": _line(0), "B": _line(1)}
    assert cost(problem, roster) == before - 101
    assert violations(problem, Solution(roster)) == []


def test_people_whose_line_breaks_a_rule_are_left_alone() -> None:
    person = Person("A", ("nurse",), min_minutes=1440, max_minutes=1440)  # three shifts due, two worked
    problem = _tiny([person], [1, 0, 0])
    roster = {"A": _line(1, 2)}
    assert exchange(problem, roster) == {"A": _line(1, 2)}


def test_lines_pace_their_weekends() -> None:
    weekends = tuple(frozenset({7 * w + 5, 7 * w + 6}) for w in range(8))
    problem = Problem(days=56, shift_types=(), roles=("nurse",), people=(), cover=(), weekends=weekends)
    person = Person("A", ("nurse",), max_weekends=2)
    weekend_of = {d: i for i, w in enumerate(weekends) for d in w}
    assert _weekend_pace(problem, person, 5, set(), weekend_of) == (False, False)
    assert _weekend_pace(problem, person, 6, set(), weekend_of) == (False, True)  # not started on its last day
    assert _weekend_pace(problem, person, 6, {0}, weekend_of) == (True, False)  # already counted: free
    assert _weekend_pace(problem, person, 12, {0, 1}, weekend_of) == (True, False)
    assert _weekend_pace(problem, person, 19, {0, 1}, weekend_of) == (False, True)  # 2 used, 0.75 due + 1 slack
    assert _weekend_pace(problem, person, 40, {0, 4}, weekend_of) == (False, False)  # 1.5 due + 1 slack
    # Worked in blocks: off last weekend, a line stays off until it is a weekend behind its share.
    assert _weekend_pace(problem, person, 47, {0, 1}, weekend_of) == (False, True)  # 2 used > 1.75 due - 1
    assert _weekend_pace(problem, person, 47, {0}, weekend_of) == (False, True)  # 1 used > 0.75
    assert _weekend_pace(problem, person, 54, {0}, weekend_of) == (False, False)  # 1 used, 2 due - 1
    assert _weekend_pace(problem, Person("B", ("nurse",)), 5, set(), weekend_of) == (False, False)  # no limit


def test_lines_work_whole_weekends() -> None:
    weekends = tuple(frozenset({7 * w + 5, 7 * w + 6}) for w in range(8))
    shifts = (ShiftType("D", 480),)
    problem = Problem(days=56, shift_types=shifts, roles=("nurse",), people=(), cover=(), weekends=weekends)
    person = Person("A", ("nurse",), max_weekends=4, min_consecutive_off=2)
    weekend_of = {d: i for i, w in enumerate(weekends) for d in w}
    seats = {(d, "D"): 1 for d in range(56)}

    def spoils(day: int, run: int, worked: set[int] | None = None, blocked: frozenset[int] = frozenset()) -> bool:
        return _spoils_weekend(problem, person, day, run, 5, worked or set(), weekend_of, blocked, seats)

    assert spoils(5, 4)  # Saturday would end a run of 5: Sunday forced off
    assert not spoils(5, 3)  # the run reaches Sunday
    assert spoils(5, 0, blocked=frozenset({6}))  # Sunday is a day off
    assert not spoils(12, 4, {1})  # a weekend already counted costs nothing
    assert spoils(3, 2)  # Thursday: stopping today brings the line back on Saturday
    assert not spoils(3, 1)  # the run goes on through Sunday
    assert not spoils(2, 4)  # Wednesday is not the last chance
    assert not spoils(3, 0)  # not working: nothing to stop
    assert not spoils(24, 2, {0, 1, 2})  # a line ahead of its share (3 used, 2 due) wants no weekend


@pytest.mark.parametrize("name", ["Instance9", "Instance14"])
def test_the_give_up_kinds_skipped_are_only_those_the_full_check_refuses(name: str) -> None:
    """The matching skips pricing a day given up whose shift type ``kinds_to_give`` leaves out; the cheap check
    of the move (``allows``) must refuse every such move, or the skip would lose moves."""
    problem = to_problem(parse_file(DATA / f"{name}.txt"))
    start = feasible_start(problem, time.perf_counter() + 20, seed=3)
    assert start is not None
    state = _Exchange(problem, start)
    skipped = kept = 0
    for pid, line in list(state.lines.items())[:6]:
        for day in range(0, problem.days, 3):
            for sid in (s.id for s in problem.shift_types):
                if not line.could_take(day, sid):
                    continue
                kinds = line.kinds_to_give(sid)
                for other in list(line.days)[::2]:
                    if line.days[other].shift in kinds:
                        kept += 1
                    else:
                        skipped += 1
                        assert not line.allows((day, sid, other)), (pid, day, sid, other)
    assert skipped > 0 and kept > 0  # both kinds of give-up occur: the check above checked something


@pytest.mark.parametrize("name", ["Instance9", "Instance14"])
def test_the_give_ups_left_out_by_the_neighbours_and_weekends_are_only_those_the_full_check_refuses(
    name: str,
) -> None:
    """``gives_allowed`` narrows the days a person could give up to take a cell (none where a neighbour's
    succession forbids it, only days freeing a weekend where the weekends' cap is reached); every move it leaves
    out, giving up a day or nothing, must be one the cheap check (``allows``) refuses. Run after many moves too,
    so that the cached freeing days are checked as they are kept up to date."""
    problem = to_problem(parse_file(DATA / f"{name}.txt"))
    start = feasible_start(problem, time.perf_counter() + 20, seed=5)
    assert start is not None
    state = _Exchange(problem, start)
    out = {"narrowed": 0, "left_out": 0, "kept": 0}

    def check() -> None:
        for pid, line in list(state.lines.items())[:8]:
            for day in range(problem.days):
                for sid in (s.id for s in problem.shift_types):
                    if not line.could_take(day, sid):
                        continue
                    allowed = line.gives_allowed(day, sid)
                    if allowed is None:
                        continue
                    out["narrowed"] += 1
                    assert allowed <= set(line.days)
                    assert not line.allows((day, sid, None)), (pid, day, sid)
                    for other in line.days:
                        if other in allowed:
                            out["kept"] += 1
                        else:
                            out["left_out"] += 1
                            assert not line.allows((day, sid, other)), (pid, day, sid, other)

    check()
    for cell in [cell for cell in state.cover if state.gain_in(cell) > 0]:
        state.fill(*cell, chain=1)
    check()
    assert out["narrowed"] > 0 and out["left_out"] > 0 and out["kept"] > 0  # all three occur
    for line in state.lines.values():  # the cached freeing days are those of the line as it is now
        alone = {w for w, days in enumerate(problem.weekends) if sum(d in line.days for d in days) == 1}
        assert line.freeing() == {d for d in line.days if line.weekend_of.get(d) in alone}


def test_the_kept_give_up_values_stay_those_of_the_seats_as_they_are() -> None:
    """The matching keeps, per person, their days on a surplus cell and what giving each up saves; after many
    moves both must be what the seats say now (a stale value would rank the candidates wrongly)."""
    problem = to_problem(parse_file(DATA / "Instance14.txt"))
    start = feasible_start(problem, time.perf_counter() + 20, seed=4)
    assert start is not None
    state = _Exchange(problem, start)
    moves = 0
    for cell in [cell for cell in state.cover if state.gain_in(cell) > 0]:
        moves += state.fill(*cell, chain=1) > 0
    assert moves > 10
    for pid, line in state.lines.items():
        spare = {
            day: state.give_up(pid, (day, a.shift))
            for day, a in line.days.items()
            if state.gain_out((day, a.shift)) >= 0 and day not in line.person.fixed
        }
        assert state.spare[pid] == spare, pid
