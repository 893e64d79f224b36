"""When a message's channel is used up: the same message on the recipient's next untried channel, or a
dead letter with a notice to the operator. Pure: decided over the message, the chain of messages it falls
back from, and the person (``notifications.delivery`` gathers them and writes the outcome).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from notifications.outbox import dedup_key
from notifications.outbox import message as outbox_message
from notifications.sender import SendOutcome
from notifications.templates import channel_name, render
from roster.storage.models.outbox import DEAD, FALLEN_BACK, OutboxMessage
from roster.storage.models.people import Person

DEAD_LETTER_SOURCE = "dead_letter"
OPERATOR = "operator"


def decide_exhausted(
    row: OutboxMessage,
    chain: list[OutboxMessage],
    person: Person | None,
    outcome: SendOutcome,
    *,
    failures: int,
    at: dt.datetime,
) -> tuple[str, dict[str, Any] | None]:
    """Pure: FALLEN_BACK with the same message on the next untried channel, or DEAD with a notice to the
    operator (never a notice about a notice, which would loop)."""
    following = _next_channel(_channel_order(chain[-1], person), row, tried={(m.channel, m.address) for m in chain})
    if following is not None:
        kind, target = following
        notice = render(
            "fallback_notice",
            row.locale,
            to_channel=channel_name(kind, row.locale),
            from_channel=channel_name(row.channel, row.locale),
            attempts=failures,
        )
        return FALLEN_BACK, outbox_message(
            key=_fallback_key(row.dedup_key, kind, target),
            source=row.source,
            channel=kind,
            address=target,
            subject=row.subject,
            body=f"{notice}\n\n{chain[-1].body}",
            now=at,
            person_id=row.person_id,
            locale=row.locale,
            payload={**row.payload, "fallback_from": row.id},
            fallback_of=row.id,
        )
    if row.source == DEAD_LETTER_SOURCE:
        return DEAD, None
    # Tell the operator on the console channel (always available) so a dead letter is never silent.
    body = render(
        "dead_letter_body",
        row.locale,
        id=row.id,
        person=row.person_id or row.address,
        channel=channel_name(row.channel, row.locale),
        address=row.address,
        error=(outcome.error or "").rstrip(".。"),
    )
    return DEAD, outbox_message(
        key=dedup_key(DEAD_LETTER_SOURCE, row.id, at.isoformat()),
        source=DEAD_LETTER_SOURCE,
        channel="console",
        address=OPERATOR,
        subject=render("dead_letter_subject", row.locale, subject=row.subject),
        body=body,
        now=at,
        locale=row.locale,
        payload={"dead_letter_of": row.id},
    )


def _channel_order(root: OutboxMessage, person: Person | None) -> list[tuple[str, str]]:
    """The recipient's channels in order of preference.

    Evaluation may name them when it enqueues (``payload["fallback_channels"]``: [[kind, target], ...] after
    the message's own channel — the only source for recipients who are not people, e.g. a unit's contact);
    the person's current channels from the admin file follow.
    """
    ordered: list[tuple[str, str]] = [(root.channel, root.address)]
    for pair in root.payload.get("fallback_channels") or []:
        if isinstance(pair, list | tuple) and len(pair) == 2 and all(pair):
            ordered.append((str(pair[0]), str(pair[1])))
    for channel in person.channels if person else []:
        if isinstance(channel, dict) and channel.get("kind") and channel.get("target"):
            ordered.append((str(channel["kind"]), str(channel["target"])))
    return list(dict.fromkeys(ordered))


def _next_channel(
    ordered: list[tuple[str, str]], row: OutboxMessage, *, tried: set[tuple[str, str]]
) -> tuple[str, str] | None:
    """The first channel after this one (in preference order) that the chain has not tried."""
    current = (row.channel, row.address)
    start = ordered.index(current) + 1 if current in ordered else 0
    for candidate in ordered[start:] + ordered[:start]:
        if candidate not in tried:
            return candidate
    return None


def _fallback_key(original: str, kind: str, target: str) -> str:
    suffix = f"|fallback|{kind}|{hashlib.sha256(target.encode()).hexdigest()[:10]}"
    if len(original) + len(suffix) > 300:  # the column's width; keep the key unique by hashing the original
        original = original[: 300 - len(suffix) - 17] + "#" + hashlib.sha256(original.encode()).hexdigest()[:16]
    return original + suffix
