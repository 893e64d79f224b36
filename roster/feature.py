"""The feature contract: every feature declares itself once, as one typed ``Feature``.

``roster.features.FEATURES`` lists them. The admin schema (``BureauFile`` sections), the loader's reference
checks, ``apply``, the Prefect flows (registry, ``prefect.yaml``, ``run_job``), the web app's routers and the
daily report all read that one list; nothing finds a feature by a string or by reflection.

This module is the bottom floor: it imports neither the ORM, Prefect, FastAPI nor any feature, so declaring
a feature costs nothing on the fast paths. Anything heavy a feature owns (its ORM models, its routes, its
solver) is reached through a function that imports it when called. See docs/features.md.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from fastapi import APIRouter
    from prefect import Flow
    from pydantic import BaseModel
    from sqlalchemy.orm import Session

# A reference problem: where in the admin file (a path such as ("reports", "units", 3, "contact")) and what.
Issue = tuple[tuple[str | int, ...], str]


@dataclass(frozen=True)
class JobSummary:
    """Base of every job's typed result. ``as_dict`` is its JSON form (flow results, ``--json`` output):
    dates as ISO text, and a field left ``None`` (not applicable to this run) is left out."""

    def as_dict(self) -> dict[str, Any]:
        values = ((f.name, getattr(self, f.name)) for f in dataclasses.fields(self))
        return {name: _jsonable(value) for name, value in values if value is not None}

    def __getitem__(self, key: str) -> Any:
        """The JSON form's value of ``key`` (read-only), for callers that consume summaries as JSON."""
        return self.as_dict()[key]

    def __contains__(self, key: object) -> bool:
        return key in self.as_dict()


def _jsonable(value: Any) -> Any:
    if isinstance(value, JobSummary):
        return value.as_dict()
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


S = TypeVar("S", bound=JobSummary)


@dataclass(frozen=True)
class Job(Generic[S]):
    """A scheduled unit of work: ``run(now, database_url=..., **parameters) -> S``; idempotent ("state, not
    ticks"): running it twice at the same ``now`` changes nothing the second time."""

    run: Callable[..., S]

    @property
    def name(self) -> str:
        """``package.module.function``: the job's name in logs and flow-run names (derived, never written)."""
        return f"{self.run.__module__}.{self.run.__qualname__}"

    def __call__(self, now: dt.datetime, **kwargs: Any) -> S:
        return self.run(now, **kwargs)

    def __str__(self) -> str:
        return self.name


# Cron expressions are bureau-local wall-clock times: Prefect evaluates them in this zone, so "07:00" stays
# 07:00 in Chuxiong whatever the server's own zone is.
SCHEDULE_TIMEZONE = "Asia/Shanghai"
WORK_POOL = "dutyflow-process"


@dataclass(frozen=True)
class FlowSpec:
    """A Prefect flow of a feature: the deployment that runs ``job`` on ``cron`` (bureau-local)."""

    name: str  # flow name, deployment name and CLI name (kebab-case)
    job: Job
    entrypoint: str  # Prefect's "path/to/file.py:function", relative to the project root
    cron: str
    description: str
    parameters: dict[str, Any] = field(default_factory=dict)  # deployment defaults besides `now`
    concurrency_limit: int | None = None  # at most this many runs of the deployment at once (None: no limit)

    @property
    def module(self) -> str:
        return self.entrypoint.partition(":")[0].removesuffix(".py").replace("/", ".")

    @property
    def function(self) -> str:
        return self.entrypoint.partition(":")[2]

    def load(self) -> Flow:
        """The ``@flow`` object (imports Prefect): Prefect itself resolves deployments by this entrypoint."""
        import importlib

        return getattr(importlib.import_module(self.module), self.function)


@dataclass(frozen=True)
class Section:
    """The feature's section of the admin file: ``BureauFile.<field>: <model> | None``."""

    field: str
    model: type[BaseModel]


ApplyHook = Callable[["Session", Any, dt.datetime], list[str]]  # (session, bureau, now) -> changes, in the
# caller's transaction
ReferenceCheck = Callable[[Any, Any], list[Issue]]  # (section, bureau) -> issues
RouterFactory = Callable[[], "APIRouter"]  # imported only when the web app is built
UnitStatus = Callable[["Session", dt.date, dt.datetime], list[dict[str, Any]]]


@dataclass(frozen=True)
class Feature:
    """Everything the rest of dutyflow needs to know about one feature."""

    name: str
    section: Section | None = None
    check_references: ReferenceCheck | None = None  # ids the section names that must exist elsewhere
    apply: ApplyHook | None = None  # store the section's rows when an admin file is applied
    jobs: tuple[Job, ...] = ()
    flows: tuple[FlowSpec, ...] = ()
    routers: tuple[RouterFactory, ...] = ()
    # Per-unit report status for the bureau's daily report (section 四), if the feature keeps one.
    report_status: UnitStatus | None = None

    def section_in(self, bureau: Any) -> Any:
        """This feature's validated section of ``bureau`` (a ``BureauFile``), or None when it is left out."""
        return None if self.section is None else getattr(bureau, self.section.field, None)

    def __post_init__(self) -> None:
        undeclared = [f.name for f in self.flows if f.job not in self.jobs]
        if undeclared:
            raise ValueError(f"feature {self.name}: flows {undeclared} run jobs the feature does not declare")
        if self.check_references is not None and self.section is None:
            raise ValueError(f"feature {self.name}: check_references needs a section")
