"""Errors of the incidents feature: each names the field or argument, in Chinese first, then English."""

from __future__ import annotations


class IncidentError(ValueError):
    """Bad input or a refused action; nothing was changed. ``field`` names what was wrong."""

    def __init__(self, field: str, zh: str, en: str) -> None:
        super().__init__(f"{field}: {zh} ({en})")
        self.field = field
        self.zh = zh
        self.en = en

    def message(self, locale: str = "zh-CN") -> str:
        return f"{self.field}: {self.en if locale == 'en' else self.zh}"


class SignConflict(IncidentError):
    """Someone else signed (or changed) the draft first: compare-and-set lost."""


class NotFound(IncidentError):
    pass
