"""The pricing sweep (roster.solver.linedp) against every line of small random problems, checked by the
independent rule checker (roster.solver.evaluate.person_violations)."""

from __future__ import annotations

import dataclasses
import itertools
import math
import random

import numpy as np
import pytest

from roster.solver import linedp, sweep
from roster.solver.evaluate import person_violations
from roster.solver.pricing import line_cost
from roster.solver.problem import Assignment, Person, Problem, Request, ShiftType, WindowLimit


def _random_problem(rng: random.Random, kinds: int | None = None, days: int | None = None) -> Problem:
    days = days or rng.choice((5, 6, 7))
    kinds = kinds or (rng.choice((1, 2, 2, 3)) if days < 7 else rng.choice((1, 2)))
    ids = ["E", "D", "N"][:kinds]
    shift_types = tuple(
        ShiftType(s, rng.choice((240, 480, 480, 600)), frozenset(t for t in ids if rng.random() < 0.3)) for s in ids
    )
    person = Person(
        "p",
        ("r",),
        max_shifts={s: rng.choice((0, 1, 2, 3)) for s in ids if rng.random() < 0.5},
        min_minutes=rng.choice((0, 0, 480, 960, 1440)),
        max_minutes=rng.choice((None, 1440, 1920, 2400)),
        min_consecutive=rng.choice((1, 1, 2, 3)),
        max_consecutive=rng.choice((None, 2, 3, 4)),
        min_consecutive_off=rng.choice((1, 1, 2, 3)),
        max_weekends=rng.choice((None, 0, 1)),
        days_off=frozenset(d for d in range(days) if rng.random() < 0.1),
        unavailable=frozenset((d, s) for d in range(days) for s in ids if rng.random() < 0.1),
        **_history(rng),
    )
    requests = tuple(
        Request("p", d, rng.choice([None, *ids]), rng.randint(1, 5), on=rng.random() < 0.5)
        for d in range(days)
        if rng.random() < 0.4
    )
    weekends = (frozenset({0}), frozenset({5, 6} & set(range(days))))
    return Problem(days, shift_types, ("r",), (person,), (), weekends, requests, outside_is_off=rng.random() < 0.3)


def _history(rng: random.Random) -> dict[str, int]:
    """The runs just before and after the horizon, as a window of a longer roster has them (or none)."""
    before = rng.choice(("worked_before", "off_before", None))
    after = rng.choice(("worked_after", "off_after", None))
    return {side: rng.randint(1, 4) for side in (before, after) if side}


def _every_line(problem: Problem) -> list[frozenset[tuple[int, str]]]:
    """Every line the person's rules allow, by brute force."""
    person, ids = problem.people[0], [s.id for s in problem.shift_types]
    lines = []
    for choice in itertools.product([None, *ids], repeat=problem.days):
        days = {d: Assignment(s, "r") for d, s in enumerate(choice) if s is not None}
        if not person_violations(problem, person, days):
            lines.append(frozenset((d, a.shift) for d, a in days.items()))
    return lines


@pytest.mark.parametrize("seed", range(120))
def test_the_sweep_finds_the_best_line_or_a_true_bound(seed: int) -> None:
    rng = random.Random(seed)
    problem = _random_problem(rng)
    rules = linedp.rules(problem, problem.people[0], problem.requests)
    assert rules is not None
    prices = {(d, s.id): rng.uniform(-3, 8) for d in range(problem.days) for s in problem.shift_types}
    allowed = _every_line(problem)

    def value(line: frozenset[tuple[int, str]]) -> float:
        return line_cost(problem.requests, line) - sum(prices[c] for c in line)

    priced = linedp.best_lines(rules, prices)
    exact = (rules.caps >= 0).sum() <= 1  # nothing priced, or a single cap that is then tracked
    if not allowed:  # only the sweep that tracks every rule can know
        assert not priced.lines and (not exact or priced.proved and priced.lower == math.inf)
        return
    best = min(value(line) for line in allowed)
    assert set(priced.lines) <= set(allowed)  # every line offered keeps every rule
    assert priced.lower <= best + 1e-9  # the bound is a bound
    if priced.proved:
        assert value(priced.lines[-1]) == pytest.approx(best)
    if exact:
        assert priced.proved and value(priced.lines[-1]) == pytest.approx(best)


def _costs_on(rules: linedp.Rules, prices: dict[tuple[int, str], float]) -> np.ndarray:
    """What working each (day, shift) costs the line under ``prices``: the sweep's ``on`` array."""
    days = rules.requests_on.shape[0]
    return rules.requests_on - np.array([[prices[d, s] for s in rules.shifts] for d in range(days)])


TWINS = ("same", "minutes", "successors", "predecessors")


def _with_twin(problem: Problem, twin: str) -> Problem:
    """``problem`` with a shift type T like its first: the same minutes and successions both ways (it may not
    follow, or be followed by, what the first may not), so that the sweep steps only to the cheaper of the two
    on a day; or T unlike it in one way (``twin``): its minutes, what may follow it (the second shift type), or
    what it may follow (a shift type P that T may not follow and the first may)."""
    first = problem.shift_types[0]

    def doubled(forbidden: frozenset[str]) -> frozenset[str]:
        return forbidden | {"T"} if first.id in forbidden else forbidden

    shift_types = [dataclasses.replace(s, forbidden_next=doubled(s.forbidden_next)) for s in problem.shift_types]
    second = problem.shift_types[1].id
    forbidden = doubled(first.forbidden_next) ^ ({second} if twin == "successors" else set())
    shift_types.append(ShiftType("T", first.minutes + (120 if twin == "minutes" else 0), frozenset(forbidden)))
    if twin == "predecessors":
        shift_types.append(ShiftType("P", 480, frozenset({"T"})))
    return dataclasses.replace(problem, shift_types=tuple(shift_types))


@pytest.mark.parametrize("seed", range(48))
def test_the_sweep_steps_to_the_cheapest_of_twin_shift_types_only_where_that_is_exact(seed: int) -> None:
    rng = random.Random(1000 + seed)
    twin = TWINS[seed % len(TWINS)]
    problem = _with_twin(_random_problem(rng, kinds=2, days=6), twin)
    cap = rng.choice((None, 1, 2))  # the twin's cap alone: tracked on the grid, so every line is exact
    person = dataclasses.replace(problem.people[0], max_weekends=None, max_shifts={} if cap is None else {"T": cap})
    problem = dataclasses.replace(problem, people=(person,))
    rules = linedp.rules(problem, person, problem.requests)
    assert rules is not None
    t = rules.shifts.index("T")
    assert (sweep._kinds(rules.group, rules.minutes, rules.allowed, -1)[t] == 0) == (twin == "same")
    assert sweep._kinds(rules.group, rules.minutes, rules.allowed, t)[t] == t  # the tracked shift steps alone
    prices = {(d, s.id): rng.uniform(-3, 8) for d in range(problem.days) for s in problem.shift_types}

    def value(line: frozenset[tuple[int, str]]) -> float:
        return line_cost(problem.requests, line) - sum(prices[c] for c in line)

    allowed = _every_line(problem)
    priced = linedp.best_lines(rules, prices)
    assert set(priced.lines) <= set(allowed)
    assert priced.proved and (not allowed or value(priced.lines[-1]) == pytest.approx(min(map(value, allowed))))
    if cap is not None and allowed:  # the sweep that tracks T's count, whether or not the relaxation proved it
        base = _costs_on(rules, prices)
        swept, worked = linedp._sweep_rules(rules, base, 0.0, t, cap)
        assert swept == pytest.approx(min(map(value, allowed)))
        assert (worked == t).sum() <= cap


def test_rules_it_cannot_walk_are_left_to_cp_sat() -> None:
    problem = _random_problem(random.Random(1))
    person = problem.people[0]
    assert linedp.rules(problem, person, ()) is not None
    limited = Person("p", ("r",), limits=(WindowLimit("month", frozenset({0, 1, 2}), 1),))
    assert linedp.rules(problem, limited, ()) is None
    long_weekend = Problem(problem.days, problem.shift_types, ("r",), (person,), (), (frozenset({2, 3, 4}),))
    assert linedp.rules(long_weekend, person, ()) is None


def test_a_pricing_restarted_from_its_multipliers_proves_in_one_sweep(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(13)  # one cap that binds: proved after a few subgradient steps from nothing
    problem = _random_problem(rng)
    rules = linedp.rules(problem, problem.people[0], problem.requests)
    assert rules is not None
    prices = {(d, s.id): rng.uniform(-3, 8) for d in range(problem.days) for s in problem.shift_types}
    sweeps: list[int] = []
    sweep = linedp._sweep_rules
    monkeypatch.setattr(linedp, "_sweep_rules", lambda *args: sweeps.append(1) or sweep(*args))
    first = linedp.best_lines(rules, prices)
    assert first.proved and len(sweeps) > 1 and first.multipliers is not None
    sweeps.clear()
    again = linedp.best_lines(rules, prices, start=first.multipliers)
    assert again.proved and len(sweeps) == 1
    assert again.lower == pytest.approx(first.lower) and again.lines[-1] == first.lines[-1]


@pytest.mark.parametrize("seed", range(12))
def test_weekends_off_the_grid_are_charged_their_price_on_each_weekend_worked(seed: int) -> None:
    """Where the weekends do not fit on the grid (``track_weekends`` False) the sweep charges each one worked its
    multiplier instead: its best value is the best over every line of its cost plus that price per weekend."""
    rng = random.Random(2000 + seed)
    problem = _random_problem(rng)
    person = dataclasses.replace(problem.people[0], max_weekends=None, max_shifts={})  # (caps are priced too)
    problem = dataclasses.replace(problem, people=(person,))
    found = linedp.rules(problem, dataclasses.replace(person, max_weekends=0), problem.requests)
    assert found is not None
    rules = dataclasses.replace(found, track_weekends=False)
    prices = {(d, s.id): rng.uniform(-3, 8) for d in range(problem.days) for s in problem.shift_types}
    price = rng.uniform(1, 20)

    def value(line: frozenset[tuple[int, str]]) -> float:
        weekends = sum(any(d in weekend for d, _ in line) for weekend in problem.weekends)
        return line_cost(problem.requests, line) - sum(prices[c] for c in line) + price * weekends

    allowed = _every_line(problem)
    base = _costs_on(rules, prices)
    swept, _ = linedp._sweep_rules(rules, base, price)
    assert swept == (pytest.approx(min(map(value, allowed))) if allowed else math.inf)


def test_of_each_kind_the_day_steps_to_its_cheapest_shift_the_first_where_they_tie_in_the_shifts_order() -> None:
    kind, picks = np.array([0, 1, 0, 3, 1]), np.empty(5, np.int64)
    live = sweep._cheapest_of_kinds(np.array([5.0, 1.0, 2.0, 0.5, 0.1]), kind, picks)
    assert picks[:live].tolist() == [2, 3, 4]
    live = sweep._cheapest_of_kinds(np.array([1.0, 1.0, 1.0, math.inf, 1.0]), kind, picks)
    assert picks[:live].tolist() == [0, 1]  # shift 3 may not be worked that day
