"""Roll call (查岗/点名): unannounced calls at random times, a one-time code per person, a reply window.

Times are drawn, not rolled at tick time: ``draw_times`` derives them from a server secret, the shift and
the window, so every tick (repeated, late or concurrent) draws the same minutes, and they are stored under a
unique key before anything is sent. A call is sent by the first tick at or after its time (``sent_at`` is
set once; the reply window runs from then). Answering means typing the code: nothing is answered by a GET.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import random
import secrets
from dataclasses import asdict, dataclass
from functools import lru_cache

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from notifications.outbox import dedup_key, enqueue_many, message_to
from roster.duty.facts import Contact, DutyError, DutySettings, ShiftFacts, contacts, person_or_error, shift_at
from roster.duty.messages import rollcall_text
from roster.duty.schema import RollcallWindow
from roster.storage.models.duty import DutyRollcall, DutyRollcallAttempt, DutyRollcallTarget, DutySecret
from roster.timeutil import local_wall_clock_to_utc

SCHEDULED, MANUAL = "scheduled", "manual"
# A scheduled call not sent within this time of its minute (the checker was down) lapses: a roll call hours
# late checks nothing. The ledger shows it as lapsed.
LAPSE_AFTER = dt.timedelta(minutes=30)
ANSWERED, WRONG_CODE, ALREADY, EXPIRED, LOCKED = "answered", "wrong_code", "already_answered", "expired", "locked"


def _insert(session: Session):  # noqa: ANN202
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def rollcall_secret(session: Session, now: dt.datetime) -> str:
    """The seed of roll-call times, created once per database (a racing creator is harmless)."""
    found = session.scalars(select(DutySecret.secret).where(DutySecret.name == "rollcall")).first()
    if found is not None:
        return found
    stmt = _insert(session)(DutySecret).values(name="rollcall", secret=secrets.token_hex(32), created_at=now)
    session.execute(stmt.on_conflict_do_nothing(index_elements=["name"]))
    return session.scalars(select(DutySecret.secret).where(DutySecret.name == "rollcall")).one()


@dataclass(frozen=True)
class PlannedCall:
    key: str
    at: dt.datetime


def draw_times(secret: str, shift: ShiftFacts, windows: list[RollcallWindow], tz: str) -> list[PlannedCall]:
    """Pure: the scheduled roll calls of a shift. A window belongs to the shift on duty when it opens
    (tried on the shift's local date and the next); its ``count`` distinct minutes are drawn from a
    generator seeded by HMAC(secret, shift, window), so the same inputs always give the same minutes."""
    spec = tuple((w.starts, w.ends, w.count, w.minutes) for w in windows)
    return list(_draw(secret, shift.uid, shift.duty_date, shift.starts_at, shift.ends_at, spec, tz))


@lru_cache(maxsize=1024)
def _draw(secret, uid, duty_date, starts_at, ends_at, spec, tz) -> tuple[PlannedCall, ...]:  # noqa: ANN001
    calls: list[PlannedCall] = []
    for index, (starts, ends, count, length) in enumerate(spec):
        for day in (duty_date, duty_date + dt.timedelta(days=1)):
            opens = _utc(local_wall_clock_to_utc(day, starts, tz))
            if not starts_at <= opens < ends_at:
                continue
            label = f"{uid}|w{index}|{starts:%H%M}-{ends:%H%M}x{count}|{day.isoformat()}"
            seed = hmac.new(secret.encode(), label.encode(), hashlib.sha256).digest()
            minutes = sorted(random.Random(seed).sample(range(length), count))
            for seq, minute in enumerate(minutes):
                at = opens + dt.timedelta(minutes=minute)
                if at < ends_at:
                    calls.append(PlannedCall(f"{label}|{seq}", at))
    return tuple(sorted(calls, key=lambda c: c.at))


def _utc(instant: dt.datetime) -> dt.datetime:
    return dt.datetime.fromtimestamp(instant.timestamp(), tz=dt.UTC)


def schedule(session: Session, settings: DutySettings, shifts: list[ShiftFacts], now: dt.datetime) -> int:
    """Store the drawn roll calls of ``shifts`` (INSERT … ON CONFLICT DO NOTHING on the key); returns how
    many were new."""
    secret = rollcall_secret(session, now)
    rows = [
        dict(
            key=call.key,
            shift_uid=shift.uid,
            duty_date=shift.duty_date,
            kind=SCHEDULED,
            scheduled_at=call.at,
            reply_minutes=settings.section.rollcall.reply_within,
            started_by=None,
            created_at=now,
        )
        for shift in shifts
        for call in draw_times(secret, shift, settings.section.rollcall.windows, settings.timezone)
    ]
    if rows:  # most ticks find every call stored already: one cheap SELECT instead of an INSERT
        stored = set(session.scalars(select(DutyRollcall.key).where(DutyRollcall.key.in_([r["key"] for r in rows]))))
        rows = [r for r in rows if r["key"] not in stored]
    if not rows:
        return 0
    table = DutyRollcall.__table__
    stmt = _insert(session)(table).on_conflict_do_nothing(index_elements=["key"]).returning(table.c.id)
    return len(session.execute(stmt, rows).all())


def send_due(session: Session, settings: DutySettings, shifts: list[ShiftFacts], now: dt.datetime) -> tuple[int, int]:
    """Send every stored roll call whose time has come and that is not sent yet, while its shift lasts and
    within ``LAPSE_AFTER`` of its time. Returns (calls, messages)."""
    by_uid = {s.uid: s for s in shifts}
    due = session.scalars(
        select(DutyRollcall)
        .where(DutyRollcall.scheduled_at <= now, DutyRollcall.sent_at.is_(None), DutyRollcall.shift_uid.in_(by_uid))
        .order_by(DutyRollcall.scheduled_at, DutyRollcall.id)
    ).all()
    calls = messages = 0
    for call in due:
        shift = by_uid[call.shift_uid]
        if shift.covers(now) and now - call.scheduled_at <= LAPSE_AFTER:
            calls += 1
            messages += send(session, settings, call, shift, now)
    return calls, messages


def send(session: Session, settings: DutySettings, call: DutyRollcall, shift: ShiftFacts, now: dt.datetime) -> int:
    """Create the call's targets (one code each), mark it sent once, and write one outbox message per
    person. Safe to repeat: targets, ``sent_at`` and messages are each written only once."""
    seats = [(p, role) for p, role in shift.people if settings.section.takes_part(role)]
    if seats:
        rows = [
            dict(rollcall_id=call.id, person_id=p, role=role, code=f"{secrets.randbelow(10**6):06d}", wrong_codes=0)
            for p, role in seats
        ]
        insert = _insert(session)(DutyRollcallTarget).on_conflict_do_nothing(
            index_elements=["rollcall_id", "person_id"]
        )
        session.execute(insert, rows)
    reply_until = now + dt.timedelta(minutes=call.reply_minutes)
    session.execute(
        update(DutyRollcall)
        .where(DutyRollcall.id == call.id, DutyRollcall.sent_at.is_(None))
        .values(sent_at=now, reply_until=reply_until)
    )
    call = session.scalars(
        select(DutyRollcall).where(DutyRollcall.id == call.id).execution_options(populate_existing=True)
    ).one()
    targets = session.scalars(select(DutyRollcallTarget).where(DutyRollcallTarget.rollcall_id == call.id)).all()
    people = contacts(session, {t.person_id for t in targets})
    url = f"{settings.section.public_url.rstrip('/')}/duty/rollcall"
    out = []
    for target in targets:
        person = people.get(target.person_id)
        if person is None or not person.channels:
            continue
        out.append(_message(person, target, call, settings.timezone, url, now))
    return len(enqueue_many(session, out))


def _message(person: Contact, target: DutyRollcallTarget, call: DutyRollcall, tz: str, url: str, now: dt.datetime):  # noqa: ANN202
    assert call.reply_until is not None
    subject, body = rollcall_text(
        person.locale, name=person.name, code=target.code, reply_until=call.reply_until, tz=tz, url=url
    )
    return message_to(
        person,
        key=dedup_key("duty-rollcall", call.id, person.person_id, person.channels[0][0]),
        source="duty-rollcall",
        subject=subject,
        body=body,
        now=now,
        payload={"rollcall": call.id},
    )


def start_manual(
    session: Session,
    settings: DutySettings,
    now: dt.datetime,
    by: str,
    reply_minutes: int | None = None,
    *,
    authorized: bool = False,
) -> DutyRollcall:
    """A leader or admin starts a roll call now: ``by`` must hold the leader role, be in the office list or
    be the bureau head, unless the caller has checked its own roles (``authorized``, the web's admins).
    Repeating the same command at the same instant changes nothing."""
    starter = person_or_error(session, by, "--by")
    allowed = authorized or "leader_on_duty" in starter.roles or by in settings.section.office or by == settings.head_id
    if not allowed:
        raise DutyError(
            "--by", f"{by} 无权发起查岗（限带班领导、办公室、局长）", f"{by} may not start a roll call", 403
        )
    shift = shift_at(session, now)
    if shift is None:
        raise DutyError("now", "此时没有排班，无人可查", "no shift is planned at this instant", status=409)
    minutes = reply_minutes or settings.section.rollcall.reply_within
    if not 1 <= minutes <= 120:
        raise DutyError("--reply-within", "答复时限须为 1–120 分钟", "the reply window must be 1–120 minutes")
    key = f"manual|{shift.uid}|{now.isoformat(timespec='seconds')}|{by}"
    values = dict(
        key=key, shift_uid=shift.uid, duty_date=shift.duty_date, kind=MANUAL, scheduled_at=now,
        reply_minutes=minutes, started_by=by, created_at=now,
    )  # fmt: skip
    session.execute(_insert(session)(DutyRollcall).values(**values).on_conflict_do_nothing(index_elements=["key"]))
    call = session.scalars(select(DutyRollcall).where(DutyRollcall.key == key)).one()
    send(session, settings, call, shift, now)
    return call


@dataclass(frozen=True)
class AnswerResult:
    outcome: str  # answered | already_answered | wrong_code | expired | locked
    rollcall: int | None
    person: str | None
    at: str
    delay_seconds: float | None = None
    on_site: bool | None = None

    @property
    def ok(self) -> bool:
        return self.outcome in (ANSWERED, ALREADY)

    def as_dict(self) -> dict:
        return asdict(self) | {"ok": self.ok}


def answer(
    session: Session,
    settings: DutySettings,
    code: str,
    now: dt.datetime,
    *,
    person_id: str | None = None,
    via: str,
    address: str | None = None,
) -> AnswerResult:
    """Answer with a typed code. Every attempt is recorded (the ledger), so the caller commits even when
    the result is not ``ok``; a wrong code counts against the person's open calls (``max_wrong_codes``)."""
    code = code.strip()
    recent = now - dt.timedelta(days=2)
    stmt = (
        select(DutyRollcallTarget, DutyRollcall)
        .join(DutyRollcall, DutyRollcall.id == DutyRollcallTarget.rollcall_id)
        .where(DutyRollcall.sent_at.is_not(None), DutyRollcall.sent_at >= recent, DutyRollcall.sent_at <= now)
    )
    if person_id is not None:
        stmt = stmt.where(DutyRollcallTarget.person_id == person_id)
    candidates = session.execute(stmt.order_by(DutyRollcall.sent_at.desc())).all()
    matches = [(t, c) for t, c in candidates if hmac.compare_digest(t.code, code)]
    if person_id is None and len({t.person_id for t, _ in matches}) > 1:
        raise DutyError("--by", "多人持有此查岗码，请用 --by 指明应答人", "several people hold this code: give --by")
    if not matches:
        return _wrong_code(session, settings, candidates, person_id, now, via, address)
    target, call = matches[0]
    if target.answered_at is not None:
        outcome = ALREADY
    elif target.wrong_codes >= settings.section.rollcall.max_wrong_codes:
        outcome = LOCKED
    elif call.reply_until is not None and now > call.reply_until:
        outcome = EXPIRED
    else:
        outcome = ANSWERED
        target.answered_at, target.answer_via, target.answer_address = now, via, address
        target.on_site = settings.section.on_site(address)
    _attempt(session, call.id, target.person_id, now, outcome, via, address)
    assert call.sent_at is not None
    answered_at = target.answered_at
    delay = (answered_at - call.sent_at).total_seconds() if answered_at else None
    return AnswerResult(outcome, call.id, target.person_id, now.isoformat(), delay, target.on_site)


def _wrong_code(session, settings, candidates, person_id, now, via, address) -> AnswerResult:  # noqa: ANN001
    open_targets = [
        (t, c) for t, c in candidates if t.answered_at is None and (c.reply_until is None or now <= c.reply_until)
    ]
    if person_id is not None:
        for target, _ in open_targets:
            target.wrong_codes += 1
    call_id = open_targets[0][1].id if person_id is not None and open_targets else None
    _attempt(session, call_id, person_id, now, WRONG_CODE, via, address)
    return AnswerResult(WRONG_CODE, call_id, person_id, now.isoformat())


def _attempt(session: Session, call_id, person_id, now, outcome, via, address) -> None:  # noqa: ANN001
    session.add(
        DutyRollcallAttempt(rollcall_id=call_id, person_id=person_id, at=now, outcome=outcome, via=via, address=address)
    )
    session.flush()


OUTCOME_TEXT = {
    ANSWERED: ("已应答", "answered"),
    ALREADY: ("此前已应答，未作更改", "already answered; nothing changed"),
    WRONG_CODE: ("查岗码不正确", "wrong code"),
    EXPIRED: ("已超过答复时限，未计为应答", "the reply window has closed; not counted as an answer"),
    LOCKED: ("错误次数过多，此次查岗已锁定", "too many wrong codes; this roll call is locked"),
}
