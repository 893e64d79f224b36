"""Unit tokens for HTTP submission and signed, single-purpose, expiring acknowledgement links.

Tokens: ``secrets.token_urlsafe(32)`` shown once; only the sha256 is stored, so a database leak does not
leak tokens. Ack links: ``<payload>.<mac>`` where the payload (base64url JSON) says ack + unit + date +
person + expiry and the mac is HMAC-SHA256 under a server secret kept in the database (every replica of the
HTTP server shares it).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from roster.storage.insert import insert_ignoring_conflicts
from roster.storage.models.reports import ReportSecret, ReportToken, ReportUnit

ACK_PURPOSE = "report-ack"


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
    token = secrets.token_urlsafe(32)
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


def server_secret(session: Session, now: dt.datetime) -> str:
    """The signing secret, created once (racing creators agree: the first insert wins)."""
    secret = session.scalar(select(ReportSecret.secret).where(ReportSecret.id == 1))
    if secret is not None:
        return secret
    row = {"id": 1, "secret": secrets.token_urlsafe(48), "created_at": now}
    insert_ignoring_conflicts(session, ReportSecret.__table__, [row], ["id"])
    return session.scalar(select(ReportSecret.secret).where(ReportSecret.id == 1)) or ""


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


def verify_ack(secret: str, signed: str, now: dt.datetime) -> AckClaim:
    try:
        payload_b64, mac_b64 = signed.split(".")
        payload, mac = _unb64(payload_b64), _unb64(mac_b64)
    except ValueError:
        raise LinkError("malformed link") from None
    if not hmac.compare_digest(mac, hmac.new(secret.encode(), payload, hashlib.sha256).digest()):
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
