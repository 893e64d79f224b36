"""What runs when: every feature's declared flows, shared by ``dutyflow up``, ``dutyflow flows run``,
``prefect.yaml`` (generated from this list: ``dutyflow flows yaml``) and the tests.

This module imports nothing heavy (no Prefect), so the CLI can list flows and validate names quickly.
"""

from __future__ import annotations

from roster.feature import RUN_TAG, SCHEDULE_TIMEZONE, WORK_POOL, FlowSpec
from roster.features import FEATURES

__all__ = ["BY_NAME", "FLOWS", "RUN_TAG", "SCHEDULE_TIMEZONE", "WORK_POOL", "FlowSpec", "UnknownFlow", "spec_named"]

FLOWS: tuple[FlowSpec, ...] = tuple(flow for feature in FEATURES for flow in feature.flows)

BY_NAME: dict[str, FlowSpec] = {spec.name: spec for spec in FLOWS}


class UnknownFlow(KeyError):
    def __str__(self) -> str:
        return f"unknown flow {self.args[0]!r}; known flows: {', '.join(BY_NAME)}"


def spec_named(name: str) -> FlowSpec:
    try:
        return BY_NAME[name]
    except KeyError:
        raise UnknownFlow(name) from None
