"""What the neighbourhood search's breaks run, and how long the search runs between them.

The search (``roster.solver.lns``) frees a few people over a few weeks at a time. Two whole-roster passes
complement it: the cover matching (``roster.solver.exchange``), whose one-day moves the search's moves open
anew, and, where people meet only in the cover, a round of best responses (``roster.solver.respond``), which
moves a line's rhythm over months. Which of the three pays best differs by instance and changes as the roster
improves (docs/benchmark.md): on Instance24 (a year, 150 people) at 150-300 s a 10 s search segment gained
20-100, a 20 s round of responses 800-6000 and the matching after it 300-3000; on Instance22 (a year, 50
people) the search gained 400-900 per 10 s, the responses 10-150 per 7-12 s.

``plan_break`` decides over the gains per second measured so far (``Rates``), the rule:

- the segment of search before the next break is ``SEGMENT_S``, shortened in proportion where the search's last
  rate is below the responses' last (to ``SHORTEST_SEGMENT_S`` at least, so that its rate is measured again).
  The matching's rate is not measured: it gains what the segment before it opened, so it says nothing about
  what the time would buy (Instance23 at 300 s: 100-200 in 0.5 s after each segment, 46 a second for the search);
- the responses run in a break unless their last round gained less per second than the search's last segment;
  then they sit out one break, two after a second such round, and so on, doubling up to ``LONGEST_REST``
  breaks (a round that settles at once gains nothing, and on small instances it usually does);
- the matching runs in every break: where it finds nothing it stops within milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass

SEGMENT_S = 10.0  # search between breaks where it pays as well as the breaks (or nothing is measured yet)
SHORTEST_SEGMENT_S = 2.0
LONGEST_REST = 16  # breaks at most that the responses sit out after rounds that paid less than the search


@dataclass
class Rates:
    """Gain per second of the search's and the responses' last run (None before the first), and the responses'
    back-off."""

    search: float | None = None
    respond: float | None = None
    poor: int = 0  # rounds of responses in a row that paid less than the search
    next_round: int = 0  # the first break that may run the responses again

    def record(self, part: str, gained: float, seconds: float, at_break: int = 0) -> None:
        """Record what ``part`` ("search" or "respond") gained in ``seconds`` (the responses: in break number
        ``at_break``). The matching's gain is not recorded: see the module's rule."""
        rate = gained / max(seconds, 1e-3)
        setattr(self, part, rate)
        if part == "respond":
            worse = self.search is not None and rate < self.search
            self.poor = self.poor + 1 if worse else 0
            rest = min(LONGEST_REST, 2 ** (self.poor - 1)) if worse else 0
            self.next_round = at_break + 1 + rest


@dataclass(frozen=True)
class Break:
    segment_s: float  # search before the break
    respond: bool  # whether the break runs a round of responses


def plan_break(rates: Rates, number: int, can_respond: bool) -> Break:
    """Break ``number``'s segment before it and whether it runs the responses (the module's rule).
    ``can_respond``: people meet only in the cover."""
    segment = SEGMENT_S
    if can_respond and rates.search is not None and rates.respond and rates.search < rates.respond:
        segment = max(SHORTEST_SEGMENT_S, SEGMENT_S * max(rates.search, 0.0) / rates.respond)
    return Break(segment, can_respond and number >= rates.next_round)


__all__ = ["Break", "Rates", "plan_break"]
