"""Attachment names anyone can save: the base name only, no control or reserved characters, no names an
operating system reserves, bounded length, and unique within one submission (``a.pdf``, ``a (2).pdf``)."""

from __future__ import annotations

import re
import unicodedata

MAX_NAME = 120  # characters; well under every file system's 255 bytes even in UTF-8 Chinese (3 bytes each)
MAX_SUFFIX = 16
FALLBACK = "attachment"
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"|?*\ud800-\udfff]')
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def safe_filename(name: str, taken: set[str] | None = None) -> str:
    """A safe, normalised version of ``name``; with ``taken`` (lower-cased names already used, updated here)
    a numbered variant when the name is taken."""
    base = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    base = _UNSAFE.sub("_", base).strip().strip(".").strip()
    stem, dot, suffix = base.rpartition(".")
    if not dot or not stem or len(suffix) > MAX_SUFFIX:
        stem, suffix = base, ""
    if stem.split(".")[0].lower() in _WINDOWS_RESERVED:
        stem = f"_{stem}"
    stem = stem[: MAX_NAME - len(suffix) - 1] if suffix else stem[:MAX_NAME]
    stem = stem or FALLBACK
    candidate = f"{stem}.{suffix}" if suffix else stem
    if taken is None:
        return candidate
    number = 1
    while candidate.lower() in taken:
        number += 1
        tail = f" ({number})"
        candidate = f"{stem[: MAX_NAME - len(tail) - len(suffix) - 1]}{tail}" + (f".{suffix}" if suffix else "")
    taken.add(candidate.lower())
    return candidate
