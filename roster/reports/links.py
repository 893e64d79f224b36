"""Unit tokens for HTTP submission and signed, single-purpose, expiring acknowledgement links.

Tokens: ``secrets.token_urlsafe(32)`` shown once; only the sha256 is stored, so a database leak does not
leak tokens. Ack links: ``<payload>.<mac>`` where the payload (base64url JSON) says ack + unit + date +
person + expiry and the mac is HMAC-SHA256 under the signing key of ``roster.signing`` (environment or a
0600 key file, never the database; retired keys are still accepted until their links expire).

An ack link only *shows* what would be acknowledged (mail scanners and chat previews fetch links). The page
carries a form token ``<nonce>.<issued>.<mac>`` bound by HMAC to the link; the POST that acknowledges must
bring it, and each nonce is accepted once (``used_nonces``).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from roster.signing import new_token
from roster.storage.insert import insert_ignoring_conflicts
from roster.storage.models.reports import ReportToken, ReportUnit
from roster.storage.models.security import UsedNonce

ACK_PURPOSE = "report-ack"
FORM_PURPOSE = "ack-form"
FORM_TTL = dt.timedelta(hours=2)  # how long an opened confirmation page can still be submitted


class LinkError(ValueError):
    """A signed link that is malformed, forged, for another purpose, or expired."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, unit_id: str, now: dt.datetime) -> str:
    """A new token for the unit (older tokens stay valid until revoked). Returns the token itself."""
    token = new_token(32)
    session.add(ReportToken(unit_id=unit_id, token_sha256=token_hash(token), issued_at=now))
    session.flush()
    return token


def revoke_tokens(session: Session, unit_id: str, now: dt.datetime) -> int:
    rows = session.scalars(
        select(ReportToken).where(ReportToken.unit_id == unit_id, ReportToken.revoked_at.is_(None))
    ).all()
    for row in rows:
        row.revoked_at = now
    session.flush()
    return len(rows)


def unit_of_token(session: Session, token: str) -> str | None:
    """The active unit a live token belongs to, or None."""
    row = session.execute(
        select(ReportToken.unit_id)
        .join(ReportUnit, ReportUnit.id == ReportToken.unit_id)
        .where(
            ReportToken.token_sha256 == token_hash(token),
            ReportToken.revoked_at.is_(None),
            ReportUnit.active.is_(True),
        )
    ).first()
    return row[0] if row else None


def server_secret(session: Session | None = None, now: dt.datetime | None = None) -> str:
    """The current signing key (from the environment or the key file; the arguments are kept for callers
    of the time when the key lived in the database)."""
    from roster.signing import load_keys

    return load_keys().current


def accepted_secrets() -> tuple[str, ...]:
    """Every key a link may be signed with: the current one, then retired ones not yet dropped."""
    from roster.signing import load_keys

    return load_keys().accepted


@dataclass(frozen=True)
class AckClaim:
    unit_id: str
    day: dt.date
    person_id: str
    expires_at: dt.datetime


def sign_ack(secret: str, unit_id: str, day: dt.date, person_id: str, expires_at: dt.datetime) -> str:
    payload = json.dumps(
        {"p": ACK_PURPOSE, "u": unit_id, "d": day.isoformat(), "by": person_id, "exp": int(expires_at.timestamp())},
        separators=(",", ":"),
        sort_keys=True,
    ).encode()
    mac = hmac.new(secret.encode(), payload, hashlib.sha256).digest()
    return f"{_b64(payload)}.{_b64(mac)}"


def _signed_by_any(keys: Sequence[str], payload: bytes, mac: bytes) -> bool:
    return any(hmac.compare_digest(mac, hmac.new(k.encode(), payload, hashlib.sha256).digest()) for k in keys)


def verify_ack(secret: str | Sequence[str], signed: str, now: dt.datetime) -> AckClaim:
    """The claim of a genuine, unexpired ack link signed with ``secret`` (or any of several keys)."""
    keys = (secret,) if isinstance(secret, str) else tuple(secret)
    try:
        payload_b64, mac_b64 = signed.split(".")
        payload, mac = _unb64(payload_b64), _unb64(mac_b64)
    except ValueError:
        raise LinkError("malformed link") from None
    if not _signed_by_any(keys, payload, mac):
        raise LinkError("bad signature")
    try:
        data = json.loads(payload)
        claim = AckClaim(
            unit_id=str(data["u"]),
            day=dt.date.fromisoformat(data["d"]),
            person_id=str(data["by"]),
            expires_at=dt.datetime.fromtimestamp(int(data["exp"]), tz=dt.UTC),
        )
        purpose = data["p"]
    except (ValueError, KeyError, TypeError):
        raise LinkError("malformed link") from None
    if purpose != ACK_PURPOSE:
        raise LinkError("link is for another purpose")
    if now >= claim.expires_at:
        raise LinkError("link has expired")
    return claim


def issue_form_token(secret: str, signed: str, now: dt.datetime) -> str:
    """A one-time token for the confirmation form of one ack link."""
    nonce = secrets.token_urlsafe(18)
    issued = str(int(now.timestamp()))
    return f"{nonce}.{issued}.{_b64(_form_mac(secret, signed, nonce, issued))}"


def _form_mac(secret: str, signed: str, nonce: str, issued: str) -> bytes:
    message = "\0".join((FORM_PURPOSE, signed, nonce, issued)).encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


def check_form_token(keys: Sequence[str], signed: str, token: str, now: dt.datetime) -> str:
    """The nonce of a genuine, fresh form token for this link (not yet marked used); LinkError otherwise."""
    try:
        nonce, issued, mac_b64 = token.split(".")
        mac, issued_at = _unb64(mac_b64), dt.datetime.fromtimestamp(int(issued), tz=dt.UTC)
    except (ValueError, OverflowError, OSError):
        raise LinkError("malformed confirmation token") from None
    if not any(hmac.compare_digest(mac, _form_mac(k, signed, nonce, issued)) for k in keys):
        raise LinkError("confirmation token does not belong to this link")
    if not (issued_at - dt.timedelta(minutes=5) <= now < issued_at + FORM_TTL):
        raise LinkError("confirmation page has expired: open the link again")
    return nonce


def use_nonce(session: Session, nonce: str, purpose: str, now: dt.datetime) -> bool:
    """Mark a nonce used; False when it already was (a replayed form). Racing POSTs: one insert wins."""
    # A nonce older than a form token lives can never come back: forget it, so the table stays small.
    session.execute(delete(UsedNonce).where(UsedNonce.used_at < now - 2 * FORM_TTL))
    row = {"nonce": nonce, "purpose": purpose, "used_at": now}
    table = UsedNonce.__table__
    return bool(insert_ignoring_conflicts(session, table, [row], ["nonce"], returning=table.c.nonce))
