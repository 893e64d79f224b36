"""What a feed shows: its owner (scope), its window of local dates, and the roster data loaded once for it.

Loading is separate from rendering so one load serves every feed (``refresh_feeds``) and the benchmark can
time rendering alone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from sqlalchemy import Connection, Date, Integer, bindparam, select, text

from roster.admin.schema import BureauFile
from roster.calendar.schema import CalendarSection
from roster.storage.base import UTCDateTime
from roster.storage.models.people import BureauConfig, Group, GroupMembership, Person
from roster.storage.models.shifts import Shift, ShiftAssignment

SCOPE_KINDS = ("person", "group", "role", "all")


class UnknownOwner(LookupError):
    """The person, group or role a feed is asked for does not exist."""


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose feed: one person's seats, the shifts of a group's members, one role's shifts, or all shifts."""

    kind: str
    id: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in SCOPE_KINDS:
            raise ValueError(f"scope kind must be one of {', '.join(SCOPE_KINDS)}, not {self.kind!r}")
        if (self.kind == "all") != (self.id is None):
            raise ValueError("scope 'all' takes no id; person, group and role scopes need one")

    @property
    def key(self) -> str:
        return "all" if self.kind == "all" else f"{self.kind}:{self.id}"

    @classmethod
    def parse(cls, key: str) -> Scope:
        if key == "all":
            return cls("all")
        kind, _, ident = key.partition(":")
        return cls(kind, ident)


@dataclass(frozen=True, slots=True)
class Seat:
    role: str
    seat: int
    person_id: str


@dataclass(frozen=True, slots=True)
class FeedShift:
    uid: str
    duty_date: dt.date
    slot: str
    starts_at: dt.datetime  # UTC
    ends_at: dt.datetime  # UTC
    revision: int
    changed_at: dt.datetime  # UTC
    seats: tuple[Seat, ...]  # leader on duty first, then by role and seat


@dataclass(frozen=True, slots=True)
class FeedPerson:
    id: str
    name: str
    phone: str
    locale: str
    reminder_minutes: int | None
    active: bool = True  # False once removed from the admin file: still named on old shifts, no own feed


@dataclass(frozen=True, slots=True)
class Window:
    """Bureau-local dates, both ends inclusive."""

    first_day: dt.date
    last_day: dt.date

    @classmethod
    def around(cls, today: dt.date, section: CalendarSection) -> Window:
        return cls(today - dt.timedelta(days=section.past_days), today + dt.timedelta(days=section.future_days))

    @classmethod
    def starting(cls, first_day: dt.date, days: int) -> Window:
        if days < 1:
            raise ValueError("days must be at least 1")
        return cls(first_day, first_day + dt.timedelta(days=days - 1))


@dataclass(frozen=True, slots=True)
class RosterState:
    """A cheap fingerprint of everything a feed shows: one aggregate query, no rendering.

    Any re-plan bumps a shift's revision and changed_at; a deleted shift lowers the count; people, groups and
    settings change only with a newly applied admin file (its sha256)."""

    window: Window
    shifts: int
    newest_change: dt.datetime | None
    revisions: int
    bureau_sha: str
    bureau_applied_at: dt.datetime
    # When this window came into force (local midnight of the day it is centred on): at that moment shifts
    # slide in and out of every feed although none of them changed.
    window_opened_at: dt.datetime | None = None

    def cache_key(self, scope: Scope, lang: str | None) -> str:
        parts = (
            scope.key,
            lang or "-",
            self.window.first_day.isoformat(),
            self.window.last_day.isoformat(),
            str(self.shifts),
            self.newest_change.isoformat() if self.newest_change else "-",
            str(self.revisions),
            self.bureau_sha,
        )
        return hashlib.sha256("|".join(parts).encode()).hexdigest()

    @property
    def last_modified(self) -> dt.datetime:
        """Newest change the feeds can reflect: a shift's, the admin file's, or the window sliding to today.

        Without the last, a client revalidating with If-Modified-Since alone would get 304 the next day
        although new shifts entered its window (their changed_at is older than its copy)."""
        moments = [self.bureau_applied_at, self.newest_change, self.window_opened_at]
        return max(m for m in moments if m is not None)


def newest_bureau(conn: Connection) -> tuple[str, dt.datetime] | None:
    row = conn.execute(
        select(BureauConfig.sha256, BureauConfig.applied_at).order_by(BureauConfig.id.desc()).limit(1)
    ).first()
    return None if row is None else (row.sha256, row.applied_at)


# Built once: on the feed server's hot path, constructing and cache-keying a select() costs more than
# running it. Typed columns give aware UTC datetimes on SQLite and PostgreSQL alike.
_ROSTER_STATE = (
    text(
        "SELECT count(*) AS shifts, max(changed_at) AS newest, coalesce(sum(revision), 0) AS revisions "
        "FROM shifts WHERE duty_date >= :first_day AND duty_date <= :last_day"
    )
    .bindparams(bindparam("first_day", type_=Date()), bindparam("last_day", type_=Date()))
    .columns(shifts=Integer(), newest=UTCDateTime(), revisions=Integer())
)


def roster_state(
    conn: Connection,
    window: Window,
    bureau_sha: str,
    bureau_applied_at: dt.datetime,
    window_opened_at: dt.datetime | None = None,
) -> RosterState:
    count, newest, revisions = conn.execute(
        _ROSTER_STATE, {"first_day": window.first_day, "last_day": window.last_day}
    ).one()
    return RosterState(window, int(count), newest, int(revisions), bureau_sha, bureau_applied_at, window_opened_at)


@dataclass
class FeedData:
    """Everything needed to render any feed over one window, loaded in four queries."""

    bureau: BureauFile
    state: RosterState
    people: dict[str, FeedPerson]
    groups: dict[str, str]  # id -> name
    members: dict[str, frozenset[str]]  # group id -> person ids
    shifts: list[FeedShift]  # sorted by start, then uid
    _by_person: dict[str, list[FeedShift]] = field(default_factory=dict, repr=False)

    @property
    def calendar(self) -> CalendarSection:
        return self.bureau.calendar or CalendarSection()

    def shifts_for(self, scope: Scope) -> list[FeedShift]:
        """The shifts in the scope's feed, in feed order. Raises UnknownOwner for a missing person/group/role."""
        if scope.kind == "all":
            return self.shifts
        if scope.kind == "person":
            if scope.id not in self.people or not self.people[scope.id].active:
                raise UnknownOwner(f"no active person with id {scope.id!r}")
            if not self._by_person:
                for shift in self.shifts:
                    for pid in {seat.person_id for seat in shift.seats}:
                        self._by_person.setdefault(pid, []).append(shift)
            return self._by_person.get(scope.id, [])
        if scope.kind == "group":
            if scope.id not in self.groups:
                raise UnknownOwner(f"no group with id {scope.id!r}")
            members = self.members.get(scope.id, frozenset())
            return [s for s in self.shifts if any(seat.person_id in members for seat in s.seats)]
        if scope.id not in {role.id for role in self.bureau.roles}:
            raise UnknownOwner(f"no duty role with id {scope.id!r}")
        return [s for s in self.shifts if any(seat.role == scope.id for seat in s.seats)]

    def check_owner(self, scope: Scope) -> None:
        self.shifts_for(scope)


def load_feed_data(conn: Connection, bureau: BureauFile, state: RosterState) -> FeedData:
    """Everything the feeds of ``state``'s window show, in a few set-based reads."""
    groups, members = _groups_and_members(conn)
    return FeedData(
        bureau=bureau,
        state=state,
        people=_feed_people(conn, bureau.bureau.locale),
        groups=groups,
        members=members,
        shifts=_feed_shifts(conn, bureau, state.window),
    )


def _feed_people(conn: Connection, default_locale: str) -> dict[str, FeedPerson]:
    rows = conn.execute(
        select(
            Person.id,
            Person.name,
            Person.phone,
            Person.locale,
            Person.calendar_reminder_minutes.label("reminder"),
            Person.active,
        )
    )
    return {r.id: FeedPerson(r.id, r.name, r.phone, r.locale or default_locale, r.reminder, r.active) for r in rows}


def _groups_and_members(conn: Connection) -> tuple[dict[str, str], dict[str, frozenset[str]]]:
    groups = {row.id: row.name for row in conn.execute(select(Group.id, Group.name).where(Group.active))}
    members: dict[str, set[str]] = {}
    for group_id, person_id in conn.execute(select(GroupMembership.group_id, GroupMembership.person_id)):
        members.setdefault(group_id, set()).add(person_id)
    return groups, {gid: frozenset(pids) for gid, pids in members.items()}


def _feed_shifts(conn: Connection, bureau: BureauFile, window: Window) -> list[FeedShift]:
    in_window = (Shift.duty_date >= window.first_day, Shift.duty_date <= window.last_day)
    seats: dict[int, list[Seat]] = {}
    for shift_id, role, seat, person_id in conn.execute(
        select(ShiftAssignment.shift_id, ShiftAssignment.role, ShiftAssignment.seat, ShiftAssignment.person_id)
        .join(Shift, Shift.id == ShiftAssignment.shift_id)
        .where(*in_window)
    ):
        seats.setdefault(shift_id, []).append(Seat(role, seat, person_id))
    role_order = {role.id: i for i, role in enumerate(bureau.roles)}

    def ordered(shift_id: int) -> tuple[Seat, ...]:
        return tuple(sorted(seats.get(shift_id, ()), key=lambda s: (role_order.get(s.role, 99), s.role, s.seat)))

    columns = (Shift.id, Shift.uid, Shift.duty_date, Shift.slot, Shift.starts_at, Shift.ends_at, Shift.revision)
    rows = conn.execute(select(*columns, Shift.changed_at).where(*in_window).order_by(Shift.starts_at, Shift.uid))
    return [
        FeedShift(r.uid, r.duty_date, r.slot, r.starts_at, r.ends_at, r.revision, r.changed_at, ordered(r.id))
        for r in rows
    ]
