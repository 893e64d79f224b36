"""Security bookkeeping: one-time nonces of confirmation forms (a form token works once)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from roster.storage.base import Base


class UsedNonce(Base):
    """A form token's nonce once it has been used: a second POST with it is refused."""

    __tablename__ = "used_nonces"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(32))
    used_at: Mapped[dt.datetime] = mapped_column(index=True)
