"""Delivering due outbox messages: claim a batch, send each outside any transaction, record the outcome.

Guarantees (see docs/notifications.md):
- Claiming is atomic. PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED`` then an UPDATE that sets a lease
  (``claimed_by``, ``claimed_until``); SQLite: the UPDATE itself re-checks that the row is still due, so
  of two workers exactly one gets a row. Concurrent workers never send one message twice, none is skipped.
- A worker that dies mid-batch leaves ``sending`` rows whose lease expires; any worker then reclaims them.
  A message whose lease has run out is never sent by its old worker, and its outcome is recorded only by
  the lease holder (fenced on ``claimed_by``).
- Every try is an ``outbox_attempts`` row. Failures back off exponentially; after the channel's budget the
  message falls back to the person's next channel, or becomes a dead letter. Nothing is dropped silently.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import socket
import time
import uuid
from collections import Counter
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from notifications.channels import ChannelError, apprise_url
from notifications.fallback import decide_exhausted
from notifications.outbox import enqueue_many
from notifications.sender import SendOutcome, message_id_for, message_identity, send
from notifications.settings import DeliveryPolicy, SmtpSettings
from notifications.templates import format_for_channel
from roster.feature import JobSummary
from roster.storage.models.outbox import DEAD, PENDING, SENDING, SENT, OutboxAttempt, OutboxMessage
from roster.storage.models.people import Person

log = logging.getLogger(__name__)
Sender = Callable[[str, str, str], SendOutcome]


@dataclass(frozen=True)
class DeliverySummary(JobSummary):
    """Counts of one delivery pass (``notifications.delivery.deliver``)."""

    worker: str
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    fallen_back: int = 0
    dead: int = 0
    lease_lost: int = 0
    skipped_expired: int = 0


def default_worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclasses.dataclass(frozen=True)
class Claimed:
    """What a worker needs of a claimed row, read inside the claim transaction (no lazy loads later)."""

    id: int
    dedup_key: str
    channel: str
    address: str
    locale: str
    subject: str
    body: str
    attempts: int
    claimed_until: dt.datetime


def _due(now: dt.datetime):  # noqa: ANN202 - a SQL expression
    # Pending and due, or claimed by a worker whose lease has run out (it crashed or hung).
    return or_(
        and_(OutboxMessage.status == PENDING, OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == SENDING, OutboxMessage.claimed_until < now),
    )


def _charge_expired_leases(session: Session, previous: list[Any], now: dt.datetime, worker: str) -> None:
    """Messages whose previous holder vanished without a result: count a failed try, keep the audit."""
    for row in previous:
        session.add(
            OutboxAttempt(
                message_id=row.id,
                at=now,
                channel=row.channel,
                ok=False,
                error=f"lease of worker {row.claimed_by} expired before it recorded a result",
                worker=worker,
            )
        )
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row.id)
            .values(attempts=OutboxMessage.attempts + 1)
            .execution_options(synchronize_session=False)
        )


def _claimed(session: Session, ids: list[int], until: dt.datetime) -> list[Claimed]:
    rows = session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id))
    return [
        Claimed(
            id=m.id,
            dedup_key=m.dedup_key,
            channel=m.channel,
            address=m.address,
            locale=m.locale,
            subject=m.subject,
            body=m.body,
            attempts=m.attempts,
            claimed_until=m.claimed_until or until,
        )
        for m in rows
    ]


def claim_due(
    session: Session,
    *,
    now: dt.datetime,
    worker: str,
    limit: int,
    lease: dt.timedelta,
    keys: Collection[str] | None = None,
) -> list[Claimed]:
    """Claim up to ``limit`` due messages for ``worker`` (only those with dedup key in ``keys`` if given)
    and commit the claim."""
    session.expire_all()  # rows cached from an earlier batch are stale: their state changed via UPDATEs
    due = _due(now) if keys is None else and_(_due(now), OutboxMessage.dedup_key.in_(list(keys)))
    candidates = (
        select(OutboxMessage.id, OutboxMessage.status, OutboxMessage.claimed_by, OutboxMessage.channel)
        .where(due)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        # Rows another worker is claiming right now are skipped, not waited for (and not double-claimed).
        candidates = candidates.with_for_update(skip_locked=True)
    seen = {row.id: row for row in session.execute(candidates)}
    if not seen:
        session.commit()
        return []
    until = now + lease
    # The WHERE repeats the due test: on SQLite the SELECT above is not a lock, so this UPDATE is the
    # atomic claim; a row another worker took in between is no longer due and is not returned.
    claimed_ids = list(
        session.scalars(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(list(seen)), _due(now))
            .values(status=SENDING, claimed_by=worker, claimed_until=until)
            .returning(OutboxMessage.id)
        )
    )
    _charge_expired_leases(session, [seen[i] for i in claimed_ids if seen[i].status == SENDING], now, worker)
    claimed = _claimed(session, claimed_ids, until)
    session.commit()
    return claimed


def send_claimed(message: Claimed, smtp: SmtpSettings, sender: Sender = send) -> SendOutcome:
    try:
        url = apprise_url(message.channel, message.address, smtp, message_key=message.dedup_key)
    except ChannelError as exc:
        return SendOutcome(False, str(exc), permanent=True)
    title, body = format_for_channel(message.channel, message.subject, message.body, message.locale)
    with message_identity(message_id_for(message.dedup_key, _mail_domain(smtp))):
        return sender(url, title, body)


def _mail_domain(smtp: SmtpSettings) -> str:
    sender = smtp.sender or smtp.user or ""
    return sender.rpartition("@")[2] or "dutyflow.local"


def record_outcome(
    session: Session,
    message: Claimed,
    outcome: SendOutcome,
    *,
    at: dt.datetime,
    worker: str,
    policy: DeliveryPolicy,
    commit: bool = True,
) -> str:
    """Write the attempt and the message's next state. Returns the new status, or "lease_lost".

    The state change is fenced on this worker still holding the claim; a worker whose lease ran out only
    adds its attempt to the audit (the current holder's result is the one that counts).
    """
    mine = and_(OutboxMessage.id == message.id, OutboxMessage.status == SENDING, OutboxMessage.claimed_by == worker)
    released = {"claimed_by": None, "claimed_until": None, "attempts": OutboxMessage.attempts + 1}
    follow_up: Callable[[], None] | None = None
    if outcome.ok:
        status, values = SENT, {"status": SENT, "sent_at": at, "last_error": None}
    else:
        failures = message.attempts + 1
        if outcome.permanent or failures >= policy.max_attempts:
            status, follow_up = _exhausted(session, message, outcome, at=at)
            values = {"status": status, "last_error": outcome.error}
        else:
            delay = policy.retry_delay(failures, message.dedup_key)
            status, values = PENDING, {"status": PENDING, "last_error": outcome.error, "next_attempt_at": at + delay}
    result = session.execute(
        update(OutboxMessage).where(mine).values(**values, **released).execution_options(synchronize_session=False)
    )
    lost = result.rowcount != 1
    error = outcome.error
    if lost:
        error = (outcome.error or "sent") + " (recorded after this worker's lease expired)"
    session.add(
        OutboxAttempt(message_id=message.id, at=at, channel=message.channel, ok=outcome.ok, error=error, worker=worker)
    )
    if not lost and follow_up is not None:
        follow_up()
    if commit:
        session.commit()
    return "lease_lost" if lost else status


def _exhausted(
    session: Session, message: Claimed, outcome: SendOutcome, *, at: dt.datetime
) -> tuple[str, Callable[[], None]]:
    """The channel is used up: the message falls back to the person's next channel, or is a dead letter.

    Returns the new status and what to write once the state change is known to be ours.
    """
    row = session.get(OutboxMessage, message.id, populate_existing=True)
    assert row is not None
    chain = _chain(session, row)
    person = session.get(Person, row.person_id, populate_existing=True) if row.person_id else None
    status, follow_up = decide_exhausted(row, chain, person, outcome, failures=message.attempts + 1, at=at)

    def write() -> None:
        if status == DEAD:
            log.warning("outbox message %s is a dead letter: %s", row.id, outcome.error)
        if follow_up is not None:
            enqueue_many(session, [follow_up])

    return status, write


def _chain(session: Session, row: OutboxMessage) -> list[OutboxMessage]:
    """This message and the ones it falls back from, newest first (the root is last)."""
    chain = [row]
    while chain[-1].fallback_of is not None and len(chain) < 20:
        parent = session.get(OutboxMessage, chain[-1].fallback_of)
        if parent is None:
            break
        chain.append(parent)
    return chain


def deliver(
    session: Session,
    now: dt.datetime,
    *,
    worker: str | None = None,
    limit: int | None = None,
    policy: DeliveryPolicy | None = None,
    smtp: SmtpSettings | None = None,
    sender: Sender = send,
    keys: Collection[str] | None = None,
) -> DeliverySummary:
    """Send everything due at ``now`` (and what falls due during the run, e.g. fallbacks), up to ``limit``;
    with ``keys``, only the due messages with those dedup keys (the urgent hand-off).

    The clock of the run is ``now`` plus the real time elapsed since the call, so leases and backoff stay
    honest in a long run while tests keep full control of the starting instant. A claimed batch is sent
    by ``policy.concurrency`` threads (sending is waiting on the network), then its outcomes are recorded
    in one transaction.
    """
    policy = policy or DeliveryPolicy.from_env()
    smtp = smtp or SmtpSettings.from_env()
    worker = worker or default_worker_name()
    tally: Counter[str] = Counter()  # DeliverySummary's counts
    started = time.monotonic()

    def clock() -> dt.datetime:
        return now + dt.timedelta(seconds=time.monotonic() - started)

    def attempt(message: Claimed) -> tuple[SendOutcome, dt.datetime] | None:
        if clock() >= message.claimed_until:
            return None  # too slow: the lease is gone and another worker may be sending it; leave it
        outcome = send_claimed(message, smtp, sender)
        return outcome, clock()

    with ThreadPoolExecutor(max_workers=policy.concurrency, thread_name_prefix="deliver") as pool:
        while limit is None or tally["claimed"] < limit:
            size = policy.batch_size if limit is None else min(policy.batch_size, limit - tally["claimed"])
            batch = claim_due(session, now=clock(), worker=worker, limit=size, lease=policy.lease, keys=keys)
            if not batch:
                break
            tally["claimed"] += len(batch)
            results = list(pool.map(attempt, batch)) if policy.concurrency > 1 else [attempt(m) for m in batch]
            for message, result in zip(batch, results, strict=True):
                if result is None:
                    tally["skipped_expired"] += 1
                    continue
                outcome, at = result
                status = record_outcome(session, message, outcome, at=at, worker=worker, policy=policy, commit=False)
                if status == PENDING:
                    tally["retrying"] += 1
                else:
                    tally[status] += 1
            # One commit per batch: a crash before it re-sends at most this batch once the lease expires.
            session.commit()
            if all(result is None for result in results):
                break  # the lease is too short for this batch; stop rather than reclaim it in a loop
    return DeliverySummary(worker=worker, **tally)
