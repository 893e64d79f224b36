"""Base class for every admin-file model (unknown keys are errors, strings are trimmed) and shared parsers."""

import datetime as dt
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# Mainland mobile (1[3-9]x xxxx xxxx) or a landline with area code (0878-3123456); spaces/dashes allowed.
PHONE_RE = re.compile(r"^(?:\+86[ -]?)?(?:1[3-9]\d[ -]?\d{4}[ -]?\d{4}|0\d{2,3}-?\d{7,8})$")


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)


class Channel(StrictModel):
    """A way to reach someone, tried in the listed order. ``target`` is an address, robot key or URL.

    Shared by people (core section) and outside contacts (reports section), hence on this floor."""

    kind: Literal["email", "wecom", "dingtalk", "feishu", "webhook", "console"]
    target: str = Field(min_length=1)


def parse_clock(value: object) -> dt.time:
    """A local wall-clock time written ``HH:MM``. ``HH:MM:00`` is accepted too, because a stored document
    (a dumped ``dt.time``) must validate again; duty times are whole minutes."""
    if isinstance(value, dt.time):
        return value
    match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)(?::00)?", str(value).strip())
    if not match:
        raise ValueError(f"expected a local time HH:MM, got {value!r}")
    return dt.time(int(match[1]), int(match[2]))
