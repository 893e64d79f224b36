"""The ``inspections:`` section of the admin file: sectors, site types, sites, capacity, rotation, holidays.

Each object is validated into a normalized copy; every rejection names the field. Cross-references to
groups and people (which live elsewhere in the file) are checked by ``check_references``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field, field_validator, model_validator

from roster.admin.base import PHONE_RE, StrictModel, parse_clock
from roster.feature import Section

Identifier = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", description="lower-case id")]

# The six regulated sectors of the seed report; a file may rename them but not invent others silently.
DEFAULT_SECTORS = (
    ("construction_sites", "建筑工地", "Construction sites"),
    ("residential_communities", "物业小区", "Residential communities"),
    ("real_estate_market", "房地产市场", "Real-estate market"),
    ("affordable_housing", "保障性住房", "Affordable housing"),
    ("city_parks", "城市公园", "City parks"),
    ("water_supply", "城市供水", "Water supply"),
)


class Sector(StrictModel):
    id: Identifier
    name: str = Field(min_length=1)
    name_en: str | None = None


class SiteType(StrictModel):
    """A kind of site and its defaults. ``cadence_days``: a site is due again this many days after its last
    completed visit (1 = daily, 7 = at least weekly). ``priority``: 1 is most urgent."""

    id: Identifier
    name: str = Field(min_length=1)  # 物业小区, 水厂 ...
    name_en: str | None = None
    sector: Identifier
    cadence_days: int = Field(default=7, ge=1, le=366)
    priority: int = Field(default=3, ge=1, le=9)
    on_weekends: bool = True
    on_holidays: bool = False


class Contact(StrictModel):
    name: str = Field(min_length=1, max_length=100)
    phone: str

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        if not PHONE_RE.match(value):
            raise ValueError(f"not a mainland mobile (13812345678) or landline (0878-3123456) number: {value!r}")
        return value.replace(" ", "")


class Site(StrictModel):
    """One regulated site. Its ``id`` is its identity forever: renaming keeps history, removal deactivates."""

    id: Identifier
    name: str = Field(min_length=1, max_length=200)
    type: Identifier
    address: str = Field(min_length=1, max_length=300)
    contact: Contact
    cadence_days: int | None = Field(default=None, ge=1, le=366)  # overrides the type's
    priority: int | None = Field(default=None, ge=1, le=9)
    on_holidays: bool | None = None


class Capacity(StrictModel):
    """A visit is made by ``inspectors_per_visit`` people; each inspector makes at most
    ``visits_per_inspector`` visits a day; a group makes at most ``max_visits_per_group`` (if set)."""

    visits_per_inspector: int = Field(default=5, ge=1, le=50)
    inspectors_per_visit: int = Field(default=2, ge=1, le=10)
    max_visits_per_group: int | None = Field(default=None, ge=1, le=1000)


class Rotation(StrictModel):
    """Nobody inspects the same site for too long: an inspector takes part in at most
    ``max_consecutive_visits`` consecutive visits of one site, and (if set) returns to a site no sooner than
    ``min_days_before_return`` days after their last visit there."""

    max_consecutive_visits: int = Field(default=2, ge=1, le=365)
    min_days_before_return: int = Field(default=0, ge=0, le=365)


class TaskForce(StrictModel):
    """A team stationed at one site every day from ``starts_at`` (local) until ``ends_on`` (inclusive)."""

    id: Identifier
    name: str = Field(min_length=1)
    site: Identifier
    group: Identifier  # the group the team reports through (its leader gets the daily list)
    members: list[Identifier] = Field(min_length=1)
    headcount: int | None = Field(default=None, ge=1)  # people on site in all, including staff not in the file
    starts_at: dt.datetime  # local wall-clock, e.g. 2020-02-02T08:00
    ends_on: dt.date | None = None
    duties: str = ""

    @field_validator("starts_at")
    @classmethod
    def _local(cls, value: dt.datetime) -> dt.datetime:
        if value.tzinfo is not None:
            raise ValueError("write starts_at as local wall-clock time without an offset (bureau time zone)")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> TaskForce:
        if self.ends_on is not None and self.ends_on < self.starts_at.date():
            raise ValueError("ends_on is before starts_at")
        return self


class InspectionsSection(StrictModel):
    sectors: list[Sector] = Field(
        default_factory=lambda: [Sector(id=i, name=n, name_en=e) for i, n, e in DEFAULT_SECTORS]
    )
    site_types: list[SiteType] = Field(min_length=1)
    sites: list[Site] = Field(default_factory=list)
    capacity: Capacity = Field(default_factory=Capacity)
    rotation: Rotation = Field(default_factory=Rotation)
    # Groups may take over another sector's due sites once their own sector's due sites are all placed.
    help_other_sectors: bool = True
    # With capacity to spare, visit sites up to this many days before they are due (flattens the waves of
    # sites that came due together, e.g. after a holiday). 0: only due sites.
    early_visit_days: int = Field(default=0, ge=0, le=14)
    results_due: dt.time = dt.time(20, 0)  # local time by which a day's results must be recorded
    # The subject in the daily report's title, between the bureau's name and 日报告/零报告 (疫情防控, 安全生产).
    daily_report_title: str = Field(default="", max_length=40)
    task_forces: list[TaskForce] = Field(default_factory=list)

    _parse_clock = field_validator("results_due", mode="before")(parse_clock)

    @model_validator(mode="after")
    def _consistent(self) -> InspectionsSection:
        _unique("sectors", [s.id for s in self.sectors])
        _unique("site_types", [t.id for t in self.site_types])
        _unique("sites", [s.id for s in self.sites])
        _unique("task_forces", [t.id for t in self.task_forces])
        sectors = {s.id for s in self.sectors}
        for i, t in enumerate(self.site_types):
            if t.sector not in sectors:
                raise ValueError(f"site_types.{i}.sector: unknown sector {t.sector!r}")
        types = {t.id for t in self.site_types}
        for i, s in enumerate(self.sites):
            if s.type not in types:
                raise ValueError(f"sites.{i}.type: unknown site type {s.type!r}")
        sites = {s.id for s in self.sites}
        for i, tf in enumerate(self.task_forces):
            if tf.site not in sites:
                raise ValueError(f"task_forces.{i}.site: unknown site {tf.site!r}")
        return self

    # -- normalized views the planner uses -------------------------------------------------------------
    def site_type(self, type_id: str) -> SiteType:
        return next(t for t in self.site_types if t.id == type_id)

    def sector_of(self, site: Site) -> str:
        return self.site_type(site.type).sector

    def check_references(self, bureau) -> list[tuple[tuple, str]]:  # noqa: ANN001
        errors: list[tuple[tuple, str]] = []
        groups = {g.id: g for g in bureau.groups}
        people = {p.id: p for p in bureau.people}
        covered = {g.sector for g in bureau.groups if g.sector}
        for i, sector in enumerate(self.sectors):
            if sector.id not in covered and any(self.site_type(s.type).sector == sector.id for s in self.sites):
                errors.append(
                    (("inspections", "sectors", i, "id"), f"no group has sector {sector.id!r}: its sites have no team")
                )
        for i, tf in enumerate(self.task_forces):
            if tf.group not in groups:
                errors.append((("inspections", "task_forces", i, "group"), f"unknown group {tf.group!r}"))
            for j, member in enumerate(tf.members):
                if member not in people:
                    errors.append((("inspections", "task_forces", i, "members", j), f"unknown person {member!r}"))
        return errors


def _unique(field: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for i, value in enumerate(ids):
        if value in seen:
            raise ValueError(f"{field}.{i}.id: duplicate id {value!r}")
        seen.add(value)


# BureauFile.inspections: InspectionsSection | None (listed in roster/admin/sections.py)
SECTION = Section("inspections", InspectionsSection, InspectionsSection.check_references)
