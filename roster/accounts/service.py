"""Accounts: created on first invite or password, looked up by login, invites, disabling, listing."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from roster.accounts.passwords import hash_password, password_problem, verify_password
from roster.accounts.roles import Subject, login_name, resolve_login, subjects
from roster.admin.current import current_bureau
from roster.admin.schema import BureauFile
from roster.storage.models.accounts import Account, AccountInvite, WebSecret
from roster.storage.models.shifts import AuditEntry

INVITE_TTL = dt.timedelta(hours=72)


class AccountError(ValueError):
    """A refused account operation; ``field`` names the argument or form field."""

    def __init__(self, field: str, zh: str, en: str) -> None:
        super().__init__(en)
        self.field, self.zh, self.en = field, zh, en


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def subject_for(bureau: BureauFile, name: str) -> Subject:
    subject = resolve_login(bureau, name)
    if subject is None:
        raise AccountError(
            "account",
            f"管理文件中没有人员或报送单位 {name!r}",
            f"no person or reporting unit {name!r} in the admin file",
        )
    return subject


def account_of(session: Session, subject: Subject) -> Account | None:
    return session.scalar(select(Account).where(Account.kind == subject.kind, Account.subject_id == subject.id))


def ensure_account(session: Session, bureau: BureauFile, subject: Subject, now: dt.datetime) -> Account:
    account = account_of(session, subject)
    if account is None:
        account = Account(
            login=login_name(bureau, subject), kind=subject.kind, subject_id=subject.id, created_at=now, session_epoch=0
        )
        session.add(account)
        session.flush()
    return account


def issue_invite(session: Session, name: str, now: dt.datetime, actor: str = "cli") -> tuple[Account, str]:
    """A one-time login token (valid 72 h) for a person or unit; earlier unused invites stop working."""
    bureau = current_bureau(session)
    subject = subject_for(bureau, name)
    account = ensure_account(session, bureau, subject, now)
    if account.disabled_at is not None:
        raise AccountError("account", f"账号 {account.login} 已停用", f"account {account.login} is disabled")
    session.execute(
        update(AccountInvite)
        .where(AccountInvite.account_id == account.id, AccountInvite.used_at.is_(None), AccountInvite.expires_at > now)
        .values(expires_at=now)
    )
    token = secrets.token_urlsafe(32)
    session.add(
        AccountInvite(
            account_id=account.id,
            token_sha256=token_hash(token),
            created_at=now,
            expires_at=now + INVITE_TTL,
            created_by=actor,
        )
    )
    _audit(session, now, actor, "account_invite", account)
    return account, token


def pending_invite(session: Session, token: str, now: dt.datetime) -> tuple[AccountInvite, Account] | None:
    """The unused, unexpired invite of ``token`` and its enabled account, or None (one answer for all misses)."""
    row = session.execute(
        select(AccountInvite, Account)
        .join(Account, Account.id == AccountInvite.account_id)
        .where(AccountInvite.token_sha256 == token_hash(token))
    ).first()
    if row is None:
        return None
    invite, account = row
    if invite.used_at is not None or invite.expires_at <= now or account.disabled_at is not None:
        return None
    return invite, account


def redeem_invite(session: Session, token: str, password: str, confirm: str, now: dt.datetime) -> Account:
    found = pending_invite(session, token, now)
    if found is None:
        raise AccountError("token", "邀请链接无效、已使用或已过期", "the invite link is invalid, used or expired")
    invite, account = found
    # Consume first, conditionally: of two simultaneous submissions only one sets the password.
    taken = session.execute(
        update(AccountInvite)
        .where(AccountInvite.id == invite.id, AccountInvite.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        raise AccountError("token", "邀请链接无效、已使用或已过期", "the invite link is invalid, used or expired")
    set_password(session, account, password, confirm, now, actor=account.login)
    return account


def set_password(
    session: Session, account: Account, password: str, confirm: str | None, now: dt.datetime, actor: str
) -> None:
    problem = password_problem(password, account.login, confirm)
    if problem is not None:
        field = "confirm" if problem[0] == "mismatch" else "password"
        raise AccountError(field, problem[1], problem[2])
    account.password_hash = hash_password(password)
    account.password_set_at = now
    account.session_epoch += 1  # every other session of this account ends
    _audit(session, now, actor, "account_password", account)


def authenticate(session: Session, bureau: BureauFile, name: str, password: str) -> Account | None:
    """The enabled account whose password matches, or None. Costs one argon2 verification either way."""
    subject = resolve_login(bureau, name)
    account = account_of(session, subject) if subject is not None else None
    if account is None or account.password_hash is None or account.disabled_at is not None:
        verify_password(_DUMMY_HASH(), password)  # same time as a real miss: logins cannot be probed by timing
        return None
    return account if verify_password(account.password_hash, password) else None


def _dummy_hash_factory():  # noqa: ANN202
    cached: list[str] = []

    def dummy() -> str:
        if not cached:
            cached.append(hash_password(secrets.token_urlsafe(16)))
        return cached[0]

    return dummy


_DUMMY_HASH = _dummy_hash_factory()


def disable(session: Session, name: str, now: dt.datetime, actor: str = "cli") -> Account:
    bureau = current_bureau(session)
    account = ensure_account(session, bureau, subject_for(bureau, name), now)
    if account.disabled_at is None:
        account.disabled_at = now
        account.session_epoch += 1
        _audit(session, now, actor, "account_disable", account)
    return account


def enable(session: Session, name: str, now: dt.datetime, actor: str = "cli") -> Account:
    bureau = current_bureau(session)
    account = ensure_account(session, bureau, subject_for(bureau, name), now)
    if account.disabled_at is not None:
        account.disabled_at = None
        _audit(session, now, actor, "account_enable", account)
    return account


@dataclass(frozen=True)
class AccountStatus:
    subject: Subject
    login: str
    status: str  # "none" (no account yet), "invited", "active", "disabled"
    last_login_at: dt.datetime | None

    def as_dict(self) -> dict:
        return {
            "login": self.login,
            "kind": self.subject.kind,
            "id": self.subject.id,
            "name": self.subject.name,
            "roles": sorted(self.subject.roles),
            "status": self.status,
            "last_login_at": self.last_login_at.isoformat() if self.last_login_at else None,
        }


def list_accounts(session: Session, bureau: BureauFile, now: dt.datetime) -> list[AccountStatus]:
    accounts = {(a.kind, a.subject_id): a for a in session.scalars(select(Account))}
    invited = set(
        session.scalars(
            select(AccountInvite.account_id).where(AccountInvite.used_at.is_(None), AccountInvite.expires_at > now)
        )
    )
    out = []
    for subject in subjects(bureau):
        account = accounts.get((subject.kind, subject.id))
        if account is None:
            status = "none"
        elif account.disabled_at is not None:
            status = "disabled"
        elif account.password_hash is not None:
            status = "active"
        else:
            status = "invited" if account.id in invited else "none"
        login = account.login if account is not None else login_name(bureau, subject)
        out.append(AccountStatus(subject, login, status, account.last_login_at if account else None))
    return out


def server_secret(session: Session, name: str, now: dt.datetime) -> str:
    """A random secret shared by every replica, created once (racing creators agree: the first insert wins)."""
    value = session.scalar(select(WebSecret.value).where(WebSecret.name == name))
    if value is not None:
        return value
    try:
        with session.begin_nested():
            session.execute(insert(WebSecret).values(name=name, value=secrets.token_urlsafe(48), created_at=now))
    except IntegrityError:
        pass
    return session.scalar(select(WebSecret.value).where(WebSecret.name == name)) or ""


def _audit(session: Session, now: dt.datetime, actor: str, action: str, account: Account) -> None:
    session.add(AuditEntry(at=now, actor=actor, action=action, details={"login": account.login, "kind": account.kind}))
