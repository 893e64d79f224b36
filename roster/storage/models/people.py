"""People, groups and leave: the bureau as last applied from the admin file."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from roster.config import DEFAULT_LOCALE
from roster.storage.base import Base


class Person(Base):
    __tablename__ = "people"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the admin file's id, stable forever
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    rank: Mapped[str] = mapped_column(String(50), default="")
    roles: Mapped[list[Any]] = mapped_column(default=list)  # duty role ids this person may take
    locale: Mapped[str] = mapped_column(String(10), default=DEFAULT_LOCALE)
    active: Mapped[bool] = mapped_column(default=True)  # False once removed from the file; history keeps it
    calendar_reminder_minutes: Mapped[int | None]
    channels: Mapped[list[Any]] = mapped_column(default=list)  # ordered notification channels

    memberships: Mapped[list[GroupMembership]] = relationship(back_populates="person")


class Group(Base):
    __tablename__ = "groups"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    sector: Mapped[str | None] = mapped_column(String(64))
    leader_id: Mapped[str | None] = mapped_column(ForeignKey("people.id"))
    active: Mapped[bool] = mapped_column(default=True)

    members: Mapped[list[GroupMembership]] = relationship(back_populates="group", cascade="all, delete-orphan")


class GroupMembership(Base):
    __tablename__ = "group_memberships"
    __table_args__ = (UniqueConstraint("group_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[str] = mapped_column(ForeignKey("groups.id"))
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"))

    group: Mapped[Group] = relationship(back_populates="members")
    person: Mapped[Person] = relationship(back_populates="memberships")


class Leave(Base):
    """A person's absence, in bureau-local dates, both ends inclusive."""

    __tablename__ = "leaves"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True)
    first_day: Mapped[dt.date]
    last_day: Mapped[dt.date]
    reason: Mapped[str] = mapped_column(String(200), default="")
    # "file": from the admin file (apply adds and removes these); "request": an approved leave request
    # from the web console, which applying a file leaves alone.
    source: Mapped[str] = mapped_column(String(16), default="file", server_default="file")


class BureauConfig(Base):
    """Every admin file applied, as its validated, normalized document. The newest row is in force."""

    __tablename__ = "bureau_configs"

    id: Mapped[int] = mapped_column(primary_key=True)
    applied_at: Mapped[dt.datetime]
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    document: Mapped[dict[str, Any]]
