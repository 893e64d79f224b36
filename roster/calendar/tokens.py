"""Feed tokens: secret URLs for subscribing. Only a SHA-256 of each token is stored.

A token is ``secrets.token_urlsafe(32)`` (256 random bits), shown once when issued. The server hashes what it
is given and looks the hash up, so a leaked database does not leak working feed URLs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, Integer, String, bindparam, or_, select, text, update
from sqlalchemy.orm import Session

from roster.admin.current import current_bureau
from roster.calendar.feed import Scope, UnknownOwner
from roster.signing import new_token
from roster.storage.base import UTCDateTime
from roster.storage.models.calendar import CalendarToken
from roster.storage.models.people import Group, Person

TOKEN_BYTES = 32
# A token as token_urlsafe makes it; anything else cannot be one of ours and is refused without a query.
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{32,128}$")
# Last access is a hint for the admin ("is anyone still using this?"), not an audit log: at most one write
# per token per minute keeps the feed server's hot path read-only.
ACCESS_WRITE_INTERVAL = dt.timedelta(minutes=1)


class TokenNotFound(LookupError):
    pass


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def looks_like_token(token: str) -> bool:
    return bool(_TOKEN_SHAPE.match(token))


def feed_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/calendars/{token}.ics"


def webcal_url(base_url: str, token: str) -> str:
    """The same feed as a ``webcal://`` link: a click opens the calendar app's subscribe dialog (Apple, Outlook,
    Thunderbird; Google Calendar takes it under "From URL"). webcal has no TLS flag: apps fetch it over
    https when the server offers it, so an https base stays https."""
    return "webcal://" + feed_url(base_url, token).split("://", 1)[1]


def check_owner(session: Session, scope: Scope) -> None:
    """Refuse a token for an owner that does not exist (the error names it)."""
    if scope.kind == "person":
        person = session.get(Person, scope.id)
        if person is None or not person.active:
            raise UnknownOwner(f"--person: no active person with id {scope.id!r}")
    elif scope.kind == "group":
        group = session.get(Group, scope.id)
        if group is None or not group.active:
            raise UnknownOwner(f"--group: no active group with id {scope.id!r}")
    elif scope.kind == "role" and scope.id not in {role.id for role in current_bureau(session).roles}:
        raise UnknownOwner(f"--role: no duty role with id {scope.id!r}")


def issue(session: Session, scope: Scope, now: dt.datetime) -> tuple[str, CalendarToken]:
    """A new token for ``scope`` (in the caller's transaction). The returned secret is never stored."""
    check_owner(session, scope)
    token = new_token(TOKEN_BYTES)
    row = CalendarToken(
        token_sha256=token_hash(token),
        owner_kind=scope.kind,
        owner_id=scope.id,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return token, row


def find(session: Session, token_or_id: str) -> CalendarToken:
    """A token by its numeric id (as ``list`` shows) or by the secret itself."""
    value = token_or_id.strip()
    row = None
    if value.isdigit() and len(value) < 19:
        row = session.get(CalendarToken, int(value))
    elif looks_like_token(value):
        row = session.scalars(select(CalendarToken).where(CalendarToken.token_sha256 == token_hash(value))).first()
    if row is None:
        raise TokenNotFound(f"no calendar token {'with id ' + value if value.isdigit() else 'matches that value'}")
    return row


def revoke(session: Session, token_or_id: str, now: dt.datetime) -> CalendarToken:
    row = find(session, token_or_id)
    if row.revoked_at is not None:
        raise TokenNotFound(f"calendar token {row.id} was already revoked at {row.revoked_at.isoformat()}")
    row.revoked_at = now
    session.flush()
    return row


def rotate(session: Session, token_or_id: str, now: dt.datetime) -> tuple[str, CalendarToken, CalendarToken]:
    """Revoke a token and issue a new one for the same owner, atomically."""
    old = revoke(session, token_or_id, now)
    token, new = issue(session, Scope(old.owner_kind, old.owner_id), now)
    return token, old, new


def list_tokens(session: Session, include_revoked: bool = False) -> list[CalendarToken]:
    query = select(CalendarToken).order_by(CalendarToken.id)
    if not include_revoked:
        query = query.where(CalendarToken.revoked_at.is_(None))
    return list(session.scalars(query))


# The feed server's first query: the live token and, in the same round trip, the admin file in force.
_ACTIVE_TOKEN = (
    text(
        "SELECT t.id, t.owner_kind, t.owner_id, t.last_access_at, b.sha256, b.applied_at "
        "FROM calendar_tokens t LEFT JOIN "
        "(SELECT sha256, applied_at FROM bureau_configs ORDER BY id DESC LIMIT 1) b ON 1 = 1 "
        "WHERE t.token_sha256 = :token_sha256 AND t.revoked_at IS NULL"
    )
    .bindparams(bindparam("token_sha256", type_=String()))
    .columns(
        id=Integer(),
        owner_kind=String(),
        owner_id=String(),
        last_access_at=UTCDateTime(),
        sha256=String(),
        applied_at=UTCDateTime(),
    )
)


@dataclass(frozen=True, slots=True)
class LiveToken:
    id: int
    scope: Scope
    last_access_at: dt.datetime | None
    bureau: tuple[str, dt.datetime] | None  # (sha256, applied_at) of the admin file in force


def active_token(conn: Connection, token: str) -> LiveToken | None:
    """A live token with the bureau config in force; None for unknown or revoked tokens alike."""
    if not looks_like_token(token):
        return None
    row = conn.execute(_ACTIVE_TOKEN, {"token_sha256": token_hash(token)}).first()
    if row is None:
        return None
    bureau = None if row.sha256 is None else (row.sha256, row.applied_at)
    return LiveToken(row.id, Scope(row.owner_kind, row.owner_id), row.last_access_at, bureau)


def record_access(engine: Engine, token_id: int, last_access: dt.datetime | None, now: dt.datetime) -> bool:
    """Note that the token was used, at most once a minute per token (returns whether it wrote).

    ``last_access`` comes from the token lookup the request already made, so a request within the minute
    costs nothing; the UPDATE's own condition keeps racing replicas to one write."""
    if last_access is not None and now - last_access < ACCESS_WRITE_INTERVAL:
        return False
    threshold = now - ACCESS_WRITE_INTERVAL
    with engine.begin() as conn:
        conn.execute(
            update(CalendarToken)
            .where(
                CalendarToken.id == token_id,
                or_(CalendarToken.last_access_at.is_(None), CalendarToken.last_access_at < threshold),
            )
            .values(last_access_at=now)
        )
    return True
