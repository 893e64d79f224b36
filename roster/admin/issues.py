"""What the admin loader reports: located issues (``AdminIssue``) and the error that carries them all.

Below both the loader and its guard, which word their problems alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

Location = tuple[str | int, ...]


class AdminIssue(NamedTuple):
    location: str  # "people[3].phone"; "(file)" for problems of the whole document
    line: int | None  # 1-based line in the file, when known
    message: str

    def __str__(self) -> str:
        where = self.location if self.line is None else f"{self.location} (line {self.line})"
        return f"{where}: {self.message}"


class AdminFileError(ValueError):
    """The admin file is invalid. ``issues`` lists every problem found, in file order."""

    def __init__(self, issues: Iterable[AdminIssue], source: str = "admin file") -> None:
        self.issues = sorted(issues, key=lambda i: (i.line is None, i.line or 0, i.location))
        self.source = source
        super().__init__(f"{source}: {len(self.issues)} error(s)\n" + "\n".join(f"  {i}" for i in self.issues))

    @property
    def errors(self) -> list[tuple[str, int | None, str]]:
        return [tuple(i) for i in self.issues]  # type: ignore[misc]


def format_location(loc: Iterable[str | int]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(file)"
