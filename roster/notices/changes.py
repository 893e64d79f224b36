"""Shift-change notices: tell exactly the people whose duties moved what they held before and what they hold now.

Callers pass what changed — a ``SwapResult``, a ``PlanReport`` or ``SeatMove`` rows — after writing it, in
the same transaction: the notice commits with the change or not at all. Anyone whose set of (shift, role)
did not change hears nothing, whoever else moved on their shifts. The dedup key carries the shifts'
revisions after the change, so repeating the call for one change sends nothing twice, while moving back and
forth again is a new notice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from notifications.outbox import dedup_key, enqueue_many, message
from roster.admin.current import current_bureau
from roster.notices.facts import Lines, ShiftFacts, load_shifts, recipients
from roster.notices.texts import DutyLine, change_text
from roster.storage.models.shifts import Shift

SOURCE_PREFIX = "change."  # outbox source: change.swap, change.plan, change.publish, change.leave, ...


@dataclass(frozen=True)
class SeatMove:
    """A seat of shift ``uid`` in ``role`` passed from ``old`` to ``new`` (None: nobody).

    ``old == new`` with ``times_changed`` tells the holder their shift's times moved."""

    uid: str
    role: str
    old: str | None
    new: str | None
    times_changed: bool = False


def as_moves(changes: Any) -> list[SeatMove]:
    """``SeatMove`` rows from a ``SwapResult`` (``.moves``), a ``PlanReport`` (``.changes``) or an iterable of
    ``SeatMove``/dicts with the same keys (what the web console's publish and approvals pass)."""
    if hasattr(changes, "changes") and hasattr(changes, "removed"):  # PlanReport
        return _plan_moves(changes)
    items: Iterable[Any] = changes.moves if hasattr(changes, "moves") else changes
    moves = []
    for item in items:
        if isinstance(item, SeatMove):
            moves.append(item)
        else:
            moves.append(SeatMove(item["uid"], item["role"], item.get("old"), item.get("new"),
                                  bool(item.get("times_changed", False))))  # fmt: skip
    return moves


def _plan_moves(report: Any) -> list[SeatMove]:
    moves = []
    for change in report.changes:
        for seat in change.seats:
            moves += [SeatMove(change.uid, seat.role, pid, None) for pid in seat.old if pid not in seat.new]
            moves += [SeatMove(change.uid, seat.role, None, pid) for pid in seat.new if pid not in seat.old]
        if change.times_changed:
            moves.append(SeatMove(change.uid, "*", None, None, times_changed=True))
    return moves


@dataclass
class Moved:
    """One person's duties on the changed shifts, before and after: (uid, role) pairs; retimed shift uids."""

    before: set[tuple[str, str]]
    after: set[tuple[str, str]]
    retimed: set[str]


def moved_people(moves: list[SeatMove], after: dict[str, ShiftFacts]) -> dict[str, Moved]:
    """Who moved, and how: the roster after the change (``after``, by uid) with the moves undone is before.

    A seat passed on and back within one change is no move; a person whose duties are the same on both
    sides is left out (unless their shift's times moved)."""
    touched: set[str] = set()
    for m in moves:
        if m.times_changed and m.uid in after:
            touched |= {pid for _, pid in after[m.uid].seats}
        touched |= {pid for pid in (m.old, m.new) if pid is not None}
    uids = {m.uid for m in moves}
    out = {}
    for pid in sorted(touched):
        held = {(uid, role) for uid in uids if uid in after for role in after[uid].roles_of(pid)}
        gained = {(m.uid, m.role) for m in moves if m.new == pid and not m.times_changed}
        lost = {(m.uid, m.role) for m in moves if m.old == pid and not m.times_changed}
        before = (held - (gained - lost)) | (lost - gained)  # in both: passed on and back, no net move
        retimed = {m.uid for m in moves if m.times_changed and m.uid in after and after[m.uid].roles_of(pid)}
        if before != held or retimed:
            out[pid] = Moved(before, held, retimed)
    return out


def notify_shift_changes(
    session: Session, changes: Any, source: str, now: dt.datetime, *, reason: str | None = None
) -> dict[str, Any]:
    """Queue one notice per person whose duties moved (old → new), in their language, in the caller's
    transaction. ``changes``: see ``as_moves``; ``source``: swap, plan, publish, leave, swap_approval, ...
    Returns {"notified": [person ids], "enqueued": n, "unreachable": [ids without a channel]}."""
    if not source or not source.replace("_", "").isalnum():
        raise ValueError(f"source: expected a short word such as swap, plan or publish, got {source!r}")
    moves = as_moves(changes)
    if not moves:
        return {"notified": [], "enqueued": 0, "unreachable": []}
    session.flush()
    after = {s.uid: s for s in load_shifts(session, Shift.uid.in_(sorted({m.uid for m in moves})))}
    moved = moved_people(moves, after)
    bureau = current_bureau(session)
    people = recipients(session)
    lines = Lines(bureau, people)
    rows, unreachable = [], []
    for pid, change in sorted(moved.items()):
        person = people.get(pid)
        if person is None or person.channel is None:
            unreachable.append(pid)
            continue
        old = _duty_lines(change.before, after, lines, person.locale)
        new = _duty_lines(change.after, after, lines, person.locale)
        retimed = [lines.line(after[u], after[u].roles_of(pid)[0], person.locale) for u in sorted(change.retimed)]
        subject, body = change_text(old, new, source, reason, person.locale, retimed)
        kind = person.channel["kind"]
        rows.append(message(
            key=dedup_key(SOURCE_PREFIX + source, pid, kind, _fingerprint(change, after)),
            source=SOURCE_PREFIX + source, channel=kind, address=person.channel["target"], subject=subject,
            body=body, now=now, person_id=pid, locale=person.locale,
            payload={"before": sorted(map(list, change.before)), "after": sorted(map(list, change.after)),
                     "retimed": sorted(change.retimed), "reason": reason},
        ))  # fmt: skip
    added = enqueue_many(session, rows)
    return {"notified": sorted(moved), "enqueued": len(added), "unreachable": unreachable}


def _duty_lines(pairs: set[tuple[str, str]], after: dict[str, ShiftFacts], lines: Lines, locale: str) -> list[DutyLine]:
    known = [(after[uid], role) for uid, role in pairs if uid in after]  # a deleted shift has no times left
    return [lines.line(shift, role, locale) for shift, role in sorted(known, key=lambda x: (x[0].starts_at, x[1]))]


def _fingerprint(change: Moved, after: dict[str, ShiftFacts]) -> str:
    """Identity of one person's change: their duties before and after, at the shifts' revisions after it."""
    uids = sorted({u for u, _ in change.before | change.after} | change.retimed)
    parts = [sorted(change.before), sorted(change.after), [(u, after[u].revision if u in after else -1) for u in uids]]
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:20]
