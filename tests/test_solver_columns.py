"""Column generation and the dive (roster.solver.columns): the LP's prices, each person's best line under
them, and the dive's roster, checked against the whole CP-SAT model and the benchmark's independent referee."""

from __future__ import annotations

import dataclasses
import math
import time
from pathlib import Path

import pytest

from nrp.convert import to_assignments, to_problem
from nrp.evaluate import evaluate
from nrp.parser import parse_file
from roster.solver import columns, linedp, pricing
from roster.solver.columns import Master, decomposes, dive
from roster.solver.cpsat import solve
from roster.solver.evaluate import violations
from roster.solver.lns import cost, feasible_start, improve, solve_lns
from roster.solver.pricing import Pricer, line_cost
from roster.solver.problem import Assignment, Cover, FairnessTerm, Person, Problem, Request, ShiftType, Solution

DATA = Path(__file__).resolve().parent.parent / "bench" / "data" / "nrp"


def _two_days(**rules) -> Problem:  # noqa: ANN003
    """Two people, one shift type, one seat a day (each missing seat costs 10, each extra one 1)."""
    return Problem(
        days=2,
        shift_types=(ShiftType("D", 480),),
        roles=("r",),
        people=(Person("a", ("r",), **rules), Person("b", ("r",), **rules)),
        cover=tuple(Cover(day=d, shift="D", preferred=1, under_weight=10, over_weight=1) for d in range(2)),
        requests=(Request("a", 0, None, 3, on=False),),  # a would rather be off on day 0
    )


def test_the_masters_prices_are_what_a_seat_is_worth() -> None:
    problem = _two_days()
    master = Master(problem)
    for pid in ("a", "b"):
        master.add(pid, frozenset(), 0)
    value, prices, convexity = master.solve()
    assert value == 20 and prices == {(0, "D"): 10, (1, "D"): 10}  # both seats empty: each worth its 10
    assert convexity == {"a": 0, "b": 0}
    assert master.add("a", frozenset({(0, "D")}), 3) and not master.add("a", frozenset({(0, "D")}), 3)
    value, _, _ = master.solve()
    assert value == 13  # a takes day 0 at its request's 3, day 1 stays empty


def test_a_kept_line_is_a_constant_of_the_lp_which_is_built_again_without_its_person() -> None:
    problem = _two_days()
    master = Master(problem)
    for pid, line, line_cost_ in (("a", set(), 0), ("a", {(0, "D")}, 3), ("b", set(), 0), ("b", {(1, "D")}, 0)):
        master.add(pid, frozenset(line), line_cost_)
    value, _, convexity = master.solve()
    assert value == 3 and set(convexity) == {"a", "b"}  # a on day 0 at its request's 3, b on day 1
    off = next(c for c in master.columns if c.person == "a" and not c.line)
    master.keep(off)
    value, _, convexity = master.solve()
    assert value == 10 and set(convexity) == {"b"}  # a kept off: one seat stays short whatever b does
    assert off.var is None and all(c.var is not None for c in master.columns if c.person == "b")
    assert not master.add("a", frozenset({(1, "D")}), 0)  # a kept person's lines are no longer columns
    assert master.add("b", frozenset({(0, "D")}), 0)
    assert master.solve()[0] == 10
    on_day_0 = Master(problem)  # kept on day 0: its seat comes off the cover, its cost joins the value
    for pid, line, line_cost_ in (("a", {(0, "D")}, 3), ("b", {(0, "D")}, 0), ("b", {(1, "D")}, 0)):
        on_day_0.add(pid, frozenset(line), line_cost_)
    on_day_0.keep(on_day_0.columns[0])
    assert on_day_0.solve()[0] == 3
    on_day_0.keep(next(c for c in on_day_0.columns if c.line == frozenset({(0, "D")}) and c.person == "b"))
    assert on_day_0.solve()[0] == 3 + 1 + 10  # b on day 0 too: one seat over, day 1's short


def test_a_pricer_finds_the_best_line_within_the_persons_rules() -> None:
    problem = _two_days(max_shifts={"D": 1})
    pricer = Pricer(problem, problem.people[0], tuple(r for r in problem.requests if r.person == "a"))
    priced = pricer.best({(0, "D"): 10.0, (1, "D"): 4.0}, time.perf_counter() + 5)
    # Day 0 pays 10 but a's request costs 3 there (net 7), day 1 pays 4; one shift at most: day 0.
    assert priced.proved and priced.lines[-1] == frozenset({(0, "D")}) and priced.lower == pytest.approx(-7)
    priced = pricer.best({(0, "D"): 10.0, (1, "D"): 8.0}, time.perf_counter() + 5)
    assert priced.proved and priced.lines[-1] == frozenset({(1, "D")})  # now day 1's 8 beats day 0's net 7
    assert line_cost(pricer.requests, frozenset({(0, "D")})) == 3 and line_cost(pricer.requests, frozenset()) == 0


def test_only_rosters_whose_people_meet_in_the_cover_decompose() -> None:
    problem = _two_days()
    assert decomposes(problem)
    fair = FairnessTerm("duties", 1, frozenset({(0, "D"), (1, "D")}), ("a", "b"))
    assert not decomposes(dataclasses.replace(problem, fairness=(fair,)))
    two_roles = dataclasses.replace(problem, roles=("r", "s"), people=(Person("a", ("r", "s")), problem.people[1]))
    assert not decomposes(two_roles)
    hard = dataclasses.replace(problem, cover=(Cover(day=0, shift="D", min=1),))
    assert not decomposes(hard)
    twice = dataclasses.replace(problem, cover=(*problem.cover, Cover(day=0, shift="D", preferred=2, under_weight=1)))
    assert not decomposes(twice)  # two covers of one cell would share the master's row


def test_the_dive_on_instance1_reaches_the_whole_models_optimum_above_its_bound() -> None:
    instance = parse_file(DATA / "Instance1.txt")
    problem = to_problem(instance)
    whole = solve(problem, 20.0, workers=1)
    assert whole.status == "optimal" and whole.objective is not None
    start = feasible_start(problem, time.perf_counter() + 20, workers=1)
    assert start is not None
    result = dive(problem, start, time.perf_counter() + 30, workers=1)
    assert violations(problem, Solution(result.roster)) == []
    verdict = evaluate(instance, to_assignments(Solution(result.roster)))  # the independent referee agrees
    assert verdict.feasible and verdict.penalty == cost(problem, result.roster)
    assert result.bound is not None and result.bound <= whole.objective <= cost(problem, result.roster)
    assert cost(problem, result.roster) <= cost(problem, start)


def test_the_dive_is_not_begun_when_its_pricing_would_not_fit_in_the_time() -> None:
    problem = _two_days()
    start = {"a": {}, "b": {}}
    result = dive(problem, start, time.perf_counter(), workers=1)  # no time at all
    assert not result.begun and result.roster == start and result.bound is None


def test_a_root_out_of_time_leaves_the_pricing_to_the_dive(monkeypatch: pytest.MonkeyPatch) -> None:
    instance = parse_file(DATA / "Instance1.txt")
    problem = to_problem(instance)
    start = feasible_start(problem, time.perf_counter() + 20, workers=1)
    assert start is not None
    monkeypatch.setattr(columns, "ROOT_SHARE", 0.0)  # the root's time is up before its first round
    result = dive(problem, start, time.perf_counter() + 30, workers=1)
    assert result.begun and result.bound is None  # no round of the root: no bound
    assert violations(problem, Solution(result.roster)) == []
    # Only the start's lines were known at the root: the dive's own pricing found the better ones.
    assert result.columns > len(problem.people) and cost(problem, result.roster) < cost(problem, start)


def test_the_dives_pace_spends_the_time_left() -> None:
    """A step fixes the share of the free people that spends the time left at the steps' pace, never less than
    FIX_SHARE, and the late share once the time is up."""
    now = time.perf_counter()

    def share(left_s: float, step_s: float) -> float:
        pace = columns._Pricing({}, None, now + left_s, now, step_s=step_s)  # type: ignore[arg-type]
        return columns._fix_share(pace)

    assert share(1000.0, 1.0) == columns.FIX_SHARE  # time to spare: the finest step
    assert share(100.0, 10.0) == pytest.approx(0.1, rel=0.01)  # 10 s a step, each shorter: ~100 s at 10%
    assert share(10.0, 10.0) == pytest.approx(1.0, rel=0.01)
    assert share(-1.0, 1.0) == columns.LATE_FIX_SHARE


def test_the_search_reports_the_dives_bound_and_stops_at_a_proved_optimum() -> None:
    instance = parse_file(DATA / "Instance1.txt")
    problem = to_problem(instance)
    result = solve_lns(problem, 4.0, workers=1)
    assert result.solution is not None and result.objective is not None and result.bound is not None
    assert result.bound <= result.objective  # Instance1's LP bound is below its optimum: the search runs on
    verdict = evaluate(instance, to_assignments(result.solution))
    assert verdict.feasible and verdict.penalty == result.objective
    # Two people, two seats: the LP's bound is met, so the roster is optimal and no search follows.
    small = solve_lns(_two_days(), 30.0, workers=1)
    assert small.status == "optimal" and small.objective == small.bound == 0 and small.wall_seconds < 10


def test_the_search_stops_once_its_roster_costs_the_bound() -> None:
    problem = to_problem(parse_file(DATA / "Instance1.txt"))
    start = feasible_start(problem, time.perf_counter() + 20, workers=1)
    assert start is not None
    steps: list[object] = []
    began = time.perf_counter()
    # The floor is the start's own cost: the search has nothing left to find and makes no step.
    roster, best = improve(
        problem, start, began + 30, workers=1, on_step=lambda *a: steps.append(a), floor=cost(problem, start)
    )
    assert best == cost(problem, start) and roster == start and not steps and time.perf_counter() - began < 10
    improve(problem, start, began + 30, workers=1, on_step=lambda *a: steps.append(a), max_steps=3)
    assert steps  # without the floor the same search does step


def test_the_lagrangian_bound_is_below_every_roster_at_any_prices() -> None:
    problem = _two_days(max_shifts={"D": 1})
    requests = {p.id: tuple(r for r in problem.requests if r.person == p.id) for p in problem.people}
    lines = [frozenset(), frozenset({(0, "D")}), frozenset({(1, "D")})]  # at most one shift each
    rosters = {(la, lb): cost(problem, {"a": _days(la), "b": _days(lb)}) for la in lines for lb in lines}
    optimum = min(rosters.values())
    assert optimum == 0  # b on day 0, a on day 1
    master = Master(problem)
    for pid in ("a", "b"):
        master.add(pid, frozenset(), 0)
    for prices in ({(0, "D"): 10.0, (1, "D"): 10.0}, {(0, "D"): -1.0, (1, "D"): 3.0}, master.solve()[1]):
        cheapest = sum(min(line_cost(requests[p], ln) - sum(prices[c] for c in ln) for ln in lines) for p in "ab")
        assert master.fixed_part(prices) + cheapest <= optimum
    start = {"a": {}, "b": {}}
    result = dive(problem, start, time.perf_counter() + 30, workers=1)
    assert result.bound == optimum == cost(problem, result.roster)  # the root's bound is tight here


def test_a_dive_steps_bound_is_below_every_roster_that_keeps_its_lines() -> None:
    """In a dive step the kept people's only line joins the Lagrangian bound (``_kept_part``): at any prices the
    bound is below the best roster that keeps that line, which can cost more than the best of all."""
    problem = _two_days(max_shifts={"D": 1})
    requests = {p.id: tuple(r for r in problem.requests if r.person == p.id) for p in problem.people}
    lines = [frozenset(), frozenset({(0, "D")}), frozenset({(1, "D")})]  # at most one shift each
    master = Master(problem)
    pace = columns._Pricing({p.id: Pricer(problem, p, requests[p.id]) for p in problem.people}, None, 0.0, 0.0)  # type: ignore[arg-type]
    all_prices = ({(0, "D"): 10.0, (1, "D"): 10.0}, {(0, "D"): -1.0, (1, "D"): 3.0}, {(0, "D"): 0.0, (1, "D"): 2.0})

    def bound(kept_line: frozenset, prices: dict) -> float:
        kept = {"a": columns.Column("a", kept_line, line_cost(requests["a"], kept_line), None)}  # type: ignore[arg-type]
        cheapest_b = min(line_cost(requests["b"], ln) - sum(prices[c] for c in ln) for ln in lines)
        return master.fixed_part(prices) + cheapest_b + columns._kept_part(pace, kept, prices)

    for kept_line in lines:
        best = min(cost(problem, {"a": _days(kept_line), "b": _days(lb)}) for lb in lines)
        assert all(bound(kept_line, prices) <= best for prices in all_prices)
    # a kept off on both days leaves a seat short whatever b does: the step's bound says so, the root's could not
    assert bound(frozenset(), all_prices[0]) == 10 == min(cost(problem, {"a": {}, "b": _days(lb)}) for lb in lines)
    assert min(cost(problem, {"a": _days(la), "b": _days(lb)}) for la in lines for lb in lines) == 0


def test_an_early_roots_bound_is_never_below_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    problem = _two_days()
    both = {d: Assignment("D", "r") for d in range(2)}  # everyone on every day: each cell over its seat
    rounds: list[int] = []

    def one_round(pricing: object) -> float:  # the root's time is up after its first round
        rounds.append(1)
        return math.inf if len(rounds) == 1 else -math.inf

    monkeypatch.setattr(columns, "_root_end", one_round)
    # At the first round's prices (each seat worth -1: over-cover) the Lagrangian bound is -2 ...
    with monkeypatch.context() as negative_allowed:
        negative_allowed.setattr(columns, "_no_negative_weight", lambda p: False)
        assert dive(problem, {"a": dict(both), "b": dict(both)}, time.perf_counter() + 30, workers=1).bound == -2
    rounds.clear()
    # ... which says less than that no roster costs below 0, which holds where no weight is negative.
    result = dive(problem, {"a": dict(both), "b": dict(both)}, time.perf_counter() + 30, workers=1)
    assert result.bound == 0 == cost(problem, result.roster)


def _days(line: frozenset) -> dict:
    return {d: Assignment(s, "r") for d, s in line}


def test_the_time_check_stops_at_the_first_person_who_says_it_would_not_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    problem = to_problem(parse_file(DATA / "Instance1.txt"))
    start = {p.id: {} for p in problem.people}
    priced: list[str] = []
    slow = Pricer.best

    def slow_best(self: Pricer, *args: object, **kwargs: object) -> object:
        priced.append(self.person.id)
        time.sleep(0.05)  # 8 people x 10 rounds x 0.05 s would not fit in 1 s
        return slow(self, *args, **kwargs)

    monkeypatch.setattr(Pricer, "best", slow_best)
    result = dive(problem, start, time.perf_counter() + 1.0, workers=1)
    assert not result.begun and priced == [problem.people[0].id]


def test_where_the_sweep_proves_every_line_cp_sat_is_never_built(monkeypatch: pytest.MonkeyPatch) -> None:
    problem = to_problem(parse_file(DATA / "Instance2.txt"))
    assert all(linedp.rules(problem, p, ()) is not None for p in problem.people)

    def no_cp_sat(*args: object) -> None:
        raise AssertionError("CP-SAT priced a line")

    monkeypatch.setattr(pricing.Pricer, "_solve", no_cp_sat)
    start = feasible_start(problem, time.perf_counter() + 20, workers=1)
    assert start is not None
    result = dive(problem, start, time.perf_counter() + 30, workers=1)
    assert result.begun and result.bound is not None and violations(problem, Solution(result.roster)) == []
    assert cost(problem, result.roster) == result.bound  # Instance2: the dive's roster meets the LP bound (828)
