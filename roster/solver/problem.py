"""A generic rostering problem over days x shift types x people, and its solution.

Plain frozen dataclasses, no solver import: the bureau planner (roster.planning) and the public Shift
Scheduling Benchmark reader (nrp) both express their problems here, and roster.solver.cpsat solves
them. Days are indices 0..days-1; a *cell* is a (day, shift type id) pair. A person works at most one shift a
day, in one role.

Hard rules are constraints; every soft term has an integer weight (CP-SAT objectives are integer), and the
objective is the weighted sum of all soft penalties: lower is better.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

Cell = tuple[int, str]  # (day index, shift type id)


@dataclass(frozen=True)
class ShiftType:
    id: str
    minutes: int  # counted against a person's min/max total minutes
    forbidden_next: frozenset[str] = frozenset()  # shift types that may not be worked the next day


@dataclass(frozen=True)
class WindowLimit:
    """At most ``max_shifts`` shifts on ``days`` (e.g. a calendar month, net of shifts already stored in it
    outside the horizon)."""

    label: str  # shown in explanations, e.g. "2026-12"
    days: frozenset[int]
    max_shifts: int


@dataclass(frozen=True)
class Person:
    id: str
    roles: tuple[str, ...]  # roles this person may take (at least one)
    max_shifts: Mapping[str, int] = field(default_factory=dict)  # per shift type id; absent = no limit
    min_minutes: int = 0
    max_minutes: int | None = None
    min_consecutive: int = 1  # shifts (working days) in a row
    max_consecutive: int | None = None
    min_consecutive_off: int = 1  # days off in a row
    max_weekends: int | None = None  # weekends (Problem.weekends) with at least one shift
    days_off: frozenset[int] = frozenset()  # fixed days off (no shift at all)
    unavailable: frozenset[Cell] = frozenset()  # e.g. leave, or a cell too close to a duty before the horizon
    limits: tuple[WindowLimit, ...] = ()  # e.g. max duties per calendar month
    # Days already decided: day -> shift type id, or None for a day off (e.g. shifts published and kept, or
    # the part of a roster a neighbourhood search leaves as it is). Only the role stays free on those days.
    fixed: Mapping[int, str | None] = field(default_factory=dict)
    # History before day 0 (for consecutive rules). Both 0 and Problem.outside_is_off False = unknown: a block
    # touching the horizon's edge is then not held to the minimum lengths.
    worked_before: int = 0  # shifts worked on the days just before day 0
    off_before: int = 0  # days off just before day 0
    # The same after the horizon (e.g. a month re-planned between published ones, or a window of a longer
    # roster): the run that continues there counts with the one touching the last day.
    worked_after: int = 0
    off_after: int = 0


@dataclass(frozen=True)
class Request:
    """A soft wish: ``on`` = wants to work ``shift`` on ``day``; off = wants not to. ``shift`` None = any shift
    that day (a day-off request when ``on`` is False)."""

    person: str
    day: int
    shift: str | None
    weight: int
    on: bool


@dataclass(frozen=True)
class Cover:
    """How many people of ``role`` work ``shift`` on ``day``. ``role`` None = any role.

    ``min``/``max`` are hard; ``preferred`` is soft: each person under it costs ``under_weight``, each over it
    ``over_weight``."""

    day: int
    shift: str
    role: str | None = None
    min: int = 0
    max: int | None = None
    preferred: int | None = None
    under_weight: int = 0
    over_weight: int = 0


@dataclass(frozen=True)
class NotTogether:
    """Two people never on the same cell (hard), or at ``weight`` per cell they share (soft)."""

    a: str
    b: str
    weight: int | None = None


@dataclass(frozen=True)
class Conflict:
    """Nobody works both cells (e.g. too little rest between them, computed from real UTC times)."""

    first: Cell
    second: Cell
    label: str = "rest"


@dataclass(frozen=True)
class FairnessTerm:
    """Minimise ``weight`` x (max - min) over ``people`` of (ledger + number of cells worked in ``cells``).

    One term per category (duties, nights, weekends, holidays ...) and role group."""

    category: str
    weight: int
    cells: frozenset[Cell]
    people: tuple[str, ...]
    ledger: Mapping[str, int] = field(default_factory=dict)  # carried-over counts per person
    # Cells worked by ``people`` in ``cells`` when that is fixed by the cover (e.g. single-role people and
    # exact cover): lets the solver prove a spread of 0/1 optimal at once instead of searching for a bound.
    total: int | None = None


@dataclass(frozen=True)
class Assignment:
    shift: str
    role: str


@dataclass(frozen=True)
class Solution:
    """person id -> day index -> Assignment (days off are absent)."""

    assignments: Mapping[str, Mapping[int, Assignment]]

    def on(self, person: str, day: int) -> Assignment | None:
        return self.assignments.get(person, {}).get(day)

    def people_on(self, day: int, shift: str, role: str | None = None) -> list[str]:
        return sorted(
            p
            for p, days in self.assignments.items()
            if (a := days.get(day)) and a.shift == shift and (role is None or a.role == role)
        )


@dataclass(frozen=True)
class Problem:
    days: int
    shift_types: tuple[ShiftType, ...]
    roles: tuple[str, ...]
    people: tuple[Person, ...]
    cover: tuple[Cover, ...]
    weekends: tuple[frozenset[int], ...] = ()  # each weekend as its day indices (max_weekends)
    requests: tuple[Request, ...] = ()
    not_together: tuple[NotTogether, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    fairness: tuple[FairnessTerm, ...] = ()
    previous: Solution | None = None  # minimal change: each previous assignment not kept costs change_weight
    change_weight: int = 0
    outside_is_off: bool = False  # days before 0 and after the horizon count as days off (both edges)
    name: str = ""

    def shift_type(self, shift_id: str) -> ShiftType:
        return next(s for s in self.shift_types if s.id == shift_id)

    def person(self, person_id: str) -> Person:
        return next(p for p in self.people if p.id == person_id)

    def validate(self) -> None:
        """Raise ValueError naming the first inconsistent reference (ids, day indices, weights)."""
        shifts = {s.id for s in self.shift_types}
        people = {p.id for p in self.people}
        if len(shifts) != len(self.shift_types) or len(people) != len(self.people):
            raise ValueError("duplicate shift type or person id")
        for s in self.shift_types:
            if not s.forbidden_next <= shifts:
                raise ValueError(f"shift type {s.id}: unknown forbidden successor {set(s.forbidden_next - shifts)}")
        for p in self.people:
            if not p.roles or not set(p.roles) <= set(self.roles):
                raise ValueError(f"person {p.id}: roles {p.roles} must be a non-empty subset of {self.roles}")
            if not set(p.max_shifts) <= shifts:
                raise ValueError(f"person {p.id}: max_shifts names an unknown shift type")
        for c in self.cover:
            if not 0 <= c.day < self.days or c.shift not in shifts or (c.role and c.role not in self.roles):
                raise ValueError(f"cover {c}: unknown day, shift or role")
        for r in self.requests:
            if r.person not in people or not 0 <= r.day < self.days or (r.shift and r.shift not in shifts):
                raise ValueError(f"request {r}: unknown person, day or shift")
        for n in self.not_together:
            if n.a not in people or n.b not in people:
                raise ValueError(f"not_together {n.a}/{n.b}: unknown person")
        for f in self.fairness:
            if not set(f.people) <= people:
                raise ValueError(f"fairness {f.category}: unknown person")


@dataclass(frozen=True)
class Result:
    """What solve() found. ``status``: "optimal", "feasible", "infeasible", "unknown" (time ran out first) or
    "invalid". ``breakdown``: penalty per soft term family (cover, requests, fairness:<category>, change ...),
    unweighted counts times weights, summing to ``objective``."""

    status: str
    objective: int | None
    bound: float | None
    breakdown: Mapping[str, int]
    solution: Solution | None
    wall_seconds: float

    @property
    def ok(self) -> bool:
        return self.status in ("optimal", "feasible")
