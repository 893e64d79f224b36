"""A submission's pure part: validate and normalise what was sent, then decide what it is (a replay, a
conflict, or the next revision, late or not) from facts the ledger gathered. No database here: the
decisions get direct unit tests, and ``ledger.submit`` is the thin shell that gathers and writes."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from roster.reports.filenames import safe_filename
from roster.safe_text import text_problem
from roster.storage.blobs import SpooledFile

if TYPE_CHECKING:
    from roster.storage.models.reports import ReportSubmission

DEFAULT_ATTACHMENT_LIMIT = 10 * 1024 * 1024  # when the admin file sets no reports.attachment_limit_mb
MAX_ATTACHMENTS = 10
MAX_TEXT = 100_000
KINDS = ("report", "zero")


class ReportError(ValueError):
    """A rejected request; ``field`` names what was wrong, ``status`` is the HTTP status to answer with."""

    status = 422

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class UnknownUnit(ReportError):
    status = 404

    def __init__(self, unit_id: str) -> None:
        super().__init__("unit", f"no active reporting unit {unit_id!r}")


class IdempotencyConflict(ReportError):
    status = 409


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def size(self) -> int:
        return len(self.data)


def _content_sha256(kind: str, text: str, attachments: list[Attachment | SpooledFile]) -> str:
    digest = hashlib.sha256()
    for part in (kind, text, *(f"{a.filename}\0{a.content_type}\0{a.sha256}" for a in attachments)):
        digest.update(part.encode() + b"\x1f")
    return digest.hexdigest()


@dataclass(frozen=True)
class SubmissionRequest:
    """What a submitter sent, validated and normalised (``validate_submission``)."""

    day: dt.date
    kind: str
    text: str
    attachments: tuple[Attachment | SpooledFile, ...]  # a SpooledFile: a web upload staged on disk
    idempotency_key: str | None
    content_sha256: str


def validate_submission(
    *,
    day: dt.date,
    kind: str,
    text: str,
    attachments: list[Attachment | SpooledFile],
    idempotency_key: str | None,
    attachment_limit: int,
) -> SubmissionRequest:
    """Pure: the request with stripped text and safe, unique attachment names; ReportError names the field."""
    if kind not in KINDS:
        raise ReportError("kind", f"must be one of {', '.join(KINDS)}")
    text = text.strip()
    if kind == "report" and not text and not attachments:
        raise ReportError("text", "a daily report needs a text or an attachment (use a zero report if nothing)")
    if len(text) > MAX_TEXT:
        raise ReportError("text", f"longer than {MAX_TEXT} characters")
    if idempotency_key is not None and not (1 <= len(idempotency_key) <= 200):
        raise ReportError("idempotency_key", "must be 1-200 characters")
    for name, value in (("text", text), ("idempotency_key", idempotency_key or "")):
        if problem := text_problem(value):  # PostgreSQL cannot store NUL: refuse it on every database
            raise ReportError(name, problem)
    if len(attachments) > MAX_ATTACHMENTS:
        raise ReportError("attachments", f"at most {MAX_ATTACHMENTS} attachments")
    taken: set[str] = set()
    safe: list[Attachment | SpooledFile] = []
    for i, item in enumerate(attachments):
        if item.size > attachment_limit:
            raise ReportError(f"attachments[{i}]", f"{item.size} bytes is over the limit of {attachment_limit}")
        if problem := text_problem(item.content_type):
            raise ReportError(f"attachments[{i}].content_type", problem)
        name = safe_filename(item.filename, taken)
        # replace(), not a new Attachment: a staged upload keeps its file (its bytes are never loaded here)
        safe.append(replace(item, filename=name, content_type=item.content_type[:100] or "application/octet-stream"))
    content = _content_sha256(kind, text, safe)
    return SubmissionRequest(day, kind, text, tuple(safe), idempotency_key, content)


@dataclass(frozen=True)
class SubmissionFacts:
    """What the ledger holds for the unit-day, read under the unit-day's lock."""

    deadline_at: dt.datetime
    first_received_at: dt.datetime | None
    same_key: ReportSubmission | None  # an earlier submission under the same idempotency key
    last_revision: int


@dataclass(frozen=True)
class SubmissionDecision:
    replay_of: ReportSubmission | None  # answer with this receipt and change nothing
    revision: int
    late: bool
    first_report: bool  # the unit-day's first report: those alerted hear it came in


def decide_submission(facts: SubmissionFacts, request: SubmissionRequest, now: dt.datetime) -> SubmissionDecision:
    """Pure: a replay, a conflict (IdempotencyConflict), or the next revision and whether it is late."""
    existing = facts.same_key
    if existing is not None:
        if existing.content_sha256 != request.content_sha256 or existing.day != request.day:
            raise IdempotencyConflict("idempotency_key", "already used for a different submission")
        return SubmissionDecision(existing, existing.revision, existing.late, False)
    return SubmissionDecision(None, facts.last_revision + 1, now > facts.deadline_at, facts.first_received_at is None)
