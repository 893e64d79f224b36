"""The feature contract: every feature declares itself once, as one typed ``Feature``.

``roster.features.FEATURES`` lists them, and only the top floor reads that list: the Prefect flows (registry,
``prefect.yaml``, ``run_job``) and the web app's routers. A feature's admin-file ``Section`` (its model and
reference checks) is declared next to the model and listed, lower down, in ``roster.admin.sections``, which
the admin schema and loader read: nothing a feature imports ever reaches back to ``FEATURES``, and nothing
finds a feature by a string or by reflection.

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
# Every deployment and run of dutyflow carries this tag: on a Prefect server shared with others, it is how
# the watchdog (roster/runs) tells dutyflow's runs, which send heartbeats, from the rest.
RUN_TAG = "dutyflow"


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


ReferenceCheck = Callable[[Any, Any], list[Issue]]  # (section, bureau) -> issues
RouterFactory = Callable[[], "APIRouter"]  # imported only when the web app is built


@dataclass(frozen=True)
class Section:
    """A feature's section of the admin file: ``BureauFile.<field>: <model> | None``, declared next to its model
    and listed in ``roster.admin.sections.SECTIONS``."""

    field: str
    model: type[BaseModel]
    check_references: ReferenceCheck | None = None  # ids the section names that must exist elsewhere

    def of(self, bureau: Any) -> Any:
        """This section of ``bureau`` (a ``BureauFile``), validated, or None when the file leaves it out."""
        return getattr(bureau, self.field, None)


@dataclass(frozen=True)
class Feature:
    """Everything the rest of dutyflow needs to know about one feature."""

    name: str
    section: Section | None = None  # its admin-file section (the same object roster.admin.sections lists)
    jobs: tuple[Job, ...] = ()
    flows: tuple[FlowSpec, ...] = ()
    routers: tuple[RouterFactory, ...] = ()

    def __post_init__(self) -> None:
        undeclared = [f.name for f in self.flows if f.job not in self.jobs]
        if undeclared:
            raise ValueError(f"feature {self.name}: flows {undeclared} run jobs the feature does not declare")
