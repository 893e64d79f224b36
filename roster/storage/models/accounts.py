"""Web console accounts: one per person or reporting unit, invites, failed logins and the signing secret.

Roles are not stored: they are derived from the admin file in force on every request (``roster.web.auth``),
so applying a new file changes who is admin or leader at once. An account row exists once someone has been
invited or given a password; a person or unit without a row simply cannot log in yet.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from roster.storage.base import Base


class Account(Base):
    __tablename__ = "web_accounts"
    __table_args__ = (UniqueConstraint("kind", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(80), unique=True)  # what is typed on the login form
    kind: Mapped[str] = mapped_column(String(16))  # "person" or "unit"
    subject_id: Mapped[str] = mapped_column(String(64))  # the admin file's person or unit id
    password_hash: Mapped[str | None] = mapped_column(String(200))
    password_set_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]
    disabled_at: Mapped[dt.datetime | None]
    last_login_at: Mapped[dt.datetime | None]
    # Part of every session cookie: bumped on password change or disable, so old cookies stop working.
    session_epoch: Mapped[int] = mapped_column(default=0)


class AccountInvite(Base):
    """A one-time login link; only the token's SHA-256 is stored."""

    __tablename__ = "web_account_invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("web_accounts.id"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    created_by: Mapped[str] = mapped_column(String(100), default="cli")


class LoginFailure(Base):
    """A failed login, counted per account and per client address over a sliding window (throttling)."""

    __tablename__ = "web_login_failures"
    __table_args__ = (Index("ix_web_login_failures_key_at", "scope", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))  # "account" or "address"
    key: Mapped[str] = mapped_column(String(128))
    at: Mapped[dt.datetime]


class WebSecret(Base):
    """Server secrets shared by every replica (cookie signing, board token): created once, first insert wins."""

    __tablename__ = "web_secrets"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime]
