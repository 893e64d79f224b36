"""Best responses (roster.solver.respond): one person's line priced again over the whole horizon, the rest kept."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from nrp.convert import to_assignments, to_problem
from nrp.evaluate import evaluate
from nrp.parser import parse_file
from roster.solver import linedp
from roster.solver import respond as respond_module
from roster.solver.evaluate import violations
from roster.solver.lns import cost, feasible_start
from roster.solver.neighbourhoods import Neighbourhood
from roster.solver.problem import Assignment, Solution
from roster.solver.respond import Responder, respond
from roster.solver.windows import incumbent, restrict

DATA = Path(__file__).resolve().parent.parent / "bench" / "data" / "nrp"


@pytest.fixture(scope="module")
def instance16():  # noqa: ANN201
    return parse_file(DATA / "Instance16.txt")  # 8 weeks, 20 people, 3 shift types


def _each_price_is_the_change(problem, roster, responder: Responder, window: range, people: int) -> None:  # noqa: ANN001
    """For the first ``people`` the responder prices: their best line over ``window`` (the responder's day 0 is
    its first), written into the whole roster, keeps every hard rule (across the window's edges too) and
    changes the roster's cost by exactly its price."""
    roles = {p.id: p.roles[0] for p in problem.people}
    for pid in sorted(responder.rules)[:people]:
        prices, old = responder.prices(pid), responder.line(pid)
        new = responder.best(pid, time.perf_counter() + 10)
        assert new is not None
        kept = {d: a for d, a in roster[pid].items() if d not in window}
        changed = {**roster, pid: {**kept, **{d + window.start: Assignment(s, roles[pid]) for d, s in new}}}
        assert not violations(problem, Solution(changed))
        gained = responder.value(pid, new, prices) - responder.value(pid, old, prices)
        assert cost(problem, changed) - cost(problem, roster) == round(gained)


def test_a_lines_price_is_what_it_changes_in_the_rosters_cost(instance16) -> None:  # noqa: ANN001
    problem = to_problem(instance16)
    roster = feasible_start(problem, time.perf_counter() + 20, seed=1)
    assert roster is not None
    _each_price_is_the_change(problem, roster, Responder(problem, roster), range(problem.days), 6)


def test_passes_end_in_a_roster_no_single_line_improves(instance16) -> None:  # noqa: ANN001
    problem = to_problem(instance16)
    roster = feasible_start(problem, time.perf_counter() + 20, seed=2)
    assert roster is not None
    before = cost(problem, roster)
    replaced = respond(problem, roster, time.perf_counter() + 60, seed=2)
    after = cost(problem, roster)
    assert replaced > 0 and after < before
    verdict = evaluate(instance16, to_assignments(Solution(roster)))  # the independent referee agrees
    assert verdict.feasible and verdict.penalty == after
    responder = Responder(problem, roster)  # a local optimum: nobody's own best line costs less
    for pid in responder.rules:
        line = responder.best(pid, time.perf_counter() + 10)
        assert line is None or not responder.take(pid, line)
    assert cost(problem, roster) == after


def test_no_pass_after_the_deadline(instance16) -> None:  # noqa: ANN001
    problem = to_problem(instance16)
    roster = feasible_start(problem, time.perf_counter() + 20, seed=3)
    assert roster is not None
    kept = {p: dict(d) for p, d in roster.items()}
    assert respond(problem, roster, time.perf_counter() - 1) == 0
    assert roster == kept


def test_lines_too_long_for_the_grid_are_priced_a_window_at_a_time(instance16, monkeypatch) -> None:  # noqa: ANN001
    """With a grid too small for an 8-week line (343 thousand cells; 86 thousand without its weekends) but large
    enough for 3 weeks, the responses go window by window: a window's line priced with its edges as history
    changes the whole roster's cost by exactly its price, and the rounds lower the cost, the referee agreeing."""
    monkeypatch.setattr(linedp, "GRID_CELLS", 50_000)
    monkeypatch.setattr(respond_module, "WINDOW_WEEKS", 3)
    problem = to_problem(instance16)
    roster = feasible_start(problem, time.perf_counter() + 20, seed=4)
    assert roster is not None
    assert not Responder(problem, roster).rules  # no whole line fits
    hood = Neighbourhood(tuple(p.id for p in problem.people), 21, 42)
    window = {p: dict(days) for p, days in incumbent(roster, hood).assignments.items()}
    responder = Responder(restrict(problem, roster, hood), window)
    assert len(responder.rules) == len(problem.people)
    _each_price_is_the_change(problem, roster, responder, range(21, 42), 8)
    before = cost(problem, roster)
    replaced = respond(problem, roster, time.perf_counter() + 60, seed=4)
    after = cost(problem, roster)
    assert replaced > 0 and after < before
    verdict = evaluate(instance16, to_assignments(Solution(roster)))
    assert verdict.feasible and verdict.penalty == after
