"""Text every database stores alike. PostgreSQL refuses NUL and lone surrogates (SQLite keeps them), and
control characters in names or notes only hide things from the people who read them. So text is checked
at the edge (HTTP bodies, the admin file, the ledger), and the error names the field instead of a 500."""

from __future__ import annotations

import re

# C0 controls except tab, newline and carriage return; DEL; lone surrogates (never valid UTF-8).
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def forbidden_character(text: str) -> str | None:
    """``U+XXXX`` of the first character no field may hold, or None when the text is storable."""
    found = _FORBIDDEN.search(text)
    return f"U+{ord(found.group()):04X}" if found else None


def text_problem(text: str) -> str | None:
    """A bilingual message for a text holding a forbidden character, or None."""
    code = forbidden_character(text)
    if code is None:
        return None
    return f"含有不允许的控制字符 {code} / contains a control character that cannot be stored ({code})"


def check_text(value: str) -> str:
    """A pydantic ``AfterValidator``: the value itself, or a ``ValueError`` naming the character."""
    problem = text_problem(value)
    if problem:
        raise ValueError(problem)
    return value
