"""The duty log (值班日志): append-only, to the minute, hash-chained.

Each entry's ``hash`` is SHA-256 over its content and the previous entry's hash (``entry_hash``), so a row
changed, removed or moved in the database behind dutyflow's back breaks the chain at that entry, and
``verify`` names the first one. Handovers store the log's head when they complete: entries cut from the end
of the log are caught against those anchors.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from roster.duty.facts import DutyError, person_or_error, write_lock
from roster.storage.models.duty import DutyHandover, DutyLogAttachment, DutyLogEntry

CATEGORIES = ("来电", "来文", "事件", "检查", "其他")
CATEGORY_ALIASES = {"call": "来电", "document": "来文", "event": "事件", "inspection": "检查", "other": "其他"}
CATEGORY_EN = {zh: en for en, zh in CATEGORY_ALIASES.items()}
GENESIS = "0" * 64
MAX_TEXT = 5000
MAX_ATTACHMENT = 10 * 1024 * 1024


@dataclass(frozen=True)
class NewAttachment:
    filename: str
    content_type: str
    data: bytes


def minute(instant: dt.datetime) -> dt.datetime:
    return instant.astimezone(dt.UTC).replace(second=0, microsecond=0)


def entry_hash(fields: dict[str, Any], prev_hash: str) -> str:
    """Pure: the chain hash of an entry's content (canonical JSON) after ``prev_hash``."""
    text = json.dumps(fields | {"prev": prev_hash}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def content_of(entry: DutyLogEntry) -> dict[str, Any]:
    """What the hash covers: everything an entry says, in a form that survives a round trip through either
    database (UTC instants to the minute, attachments by name, size and checksum)."""
    return {
        "seq": entry.seq,
        "at": minute(entry.at).strftime("%Y-%m-%dT%H:%MZ"),
        "recorded_at": entry.recorded_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "author": entry.author_id,
        "category": entry.category,
        "text": entry.text,
        "todo": bool(entry.todo),
        "corrects": entry.corrects_id,
        "resolves": entry.resolves_id,
        "attachments": [[a["filename"], a["size"], a["sha256"]] for a in entry.attachments or []],
    }


def category_of(value: str) -> str:
    found = CATEGORY_ALIASES.get(value.strip().lower(), value.strip())
    if found not in CATEGORIES:
        raise DutyError(
            "category",
            f"类别须为 {'、'.join(CATEGORIES)} 之一",
            f"category must be one of {', '.join(CATEGORY_ALIASES)}",
        )
    return found


def append(
    session: Session,
    now: dt.datetime,
    *,
    author: str,
    text: str,
    category: str = "其他",
    todo: bool = False,
    at: dt.datetime | None = None,
    corrects: int | None = None,
    resolves: int | None = None,
    attachments: list[NewAttachment] | None = None,
) -> DutyLogEntry:
    """Append one entry (validated first: a refusal writes nothing). Writers queue on a lock, so the chain
    never forks; ``seq`` is unique as a last line of defence."""
    attachments = attachments or []
    category, text = checked_entry(text, category, at, now, attachments)
    person_or_error(session, author, "by")
    write_lock(session)
    _check_refs(session, corrects, resolves)
    last = session.execute(
        select(DutyLogEntry.seq, DutyLogEntry.hash).order_by(DutyLogEntry.seq.desc()).limit(1)
    ).first()
    entry = chained_entry(
        (last.seq, last.hash) if last else None,
        DutyLogEntry(
            at=minute(at or now),
            recorded_at=now.astimezone(dt.UTC),
            author_id=author,
            category=category,
            text=text,
            todo=todo,
            corrects_id=corrects,
            resolves_id=resolves,
            attachments=[attachment_meta(a) for a in attachments],
        ),
    )
    session.add(entry)
    session.flush()
    for a, meta in zip(attachments, entry.attachments, strict=True):
        session.add(
            DutyLogAttachment(
                entry_id=entry.id, filename=a.filename, content_type=a.content_type, sha256=meta["sha256"], data=a.data
            )
        )
    session.flush()
    return entry


def checked_entry(
    text: str, category: str, at: dt.datetime | None, now: dt.datetime, attachments: list[NewAttachment]
) -> tuple[str, str]:
    """Pure: the entry's category (from an alias too) and trimmed text, or the ``DutyError`` refusing it."""
    category = category_of(category)
    text = text.strip()
    if not text or len(text) > MAX_TEXT:
        raise DutyError("text", f"内容不能为空且不超过 {MAX_TEXT} 字", f"text must be 1–{MAX_TEXT} characters")
    if "\x00" in text:
        raise DutyError("text", "内容含有非法字符 NUL", "text contains a NUL character")
    if at is not None and at > now + dt.timedelta(minutes=1):
        raise DutyError("at", "记录时间不能晚于现在", "an entry cannot be dated in the future")
    _check_attachments(attachments)
    return category, text


def attachment_meta(attachment: NewAttachment) -> dict[str, Any]:
    """What an entry records of an attachment (its hash covers name, size and checksum)."""
    return {
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": len(attachment.data),
        "sha256": hashlib.sha256(attachment.data).hexdigest(),
    }


def chained_entry(last: tuple[int, str] | None, entry: DutyLogEntry) -> DutyLogEntry:
    """Place a new (not yet added) ``entry`` after ``last``, the log's head (seq, hash; None for an empty log):
    its seq, the previous hash, and its own hash over its content. Reads nothing."""
    entry.seq = last[0] + 1 if last else 1
    entry.prev_hash = last[1] if last else GENESIS
    entry.hash = entry_hash(content_of(entry), entry.prev_hash)
    return entry


def _check_refs(session: Session, corrects: int | None, resolves: int | None) -> None:
    for name, ref in (("corrects", corrects), ("resolves", resolves)):
        if ref is not None:
            target = session.scalars(select(DutyLogEntry).where(DutyLogEntry.seq == ref)).first()
            if target is None:
                raise DutyError(name, f"没有第 {ref} 条日志", f"no log entry #{ref}", status=404)
            if name == "resolves" and not target.todo:
                raise DutyError(name, f"第 {ref} 条不是待办", f"entry #{ref} is not marked 待办 (todo)")


def _check_attachments(attachments: list[NewAttachment]) -> None:
    names = [a.filename for a in attachments]
    for a in attachments:
        if not a.filename or "/" in a.filename or "\\" in a.filename or a.filename in (".", ".."):
            raise DutyError("file", f"文件名无效：{a.filename!r}", f"invalid file name {a.filename!r}")
        if len(a.data) > MAX_ATTACHMENT:
            raise DutyError("file", f"{a.filename} 超过 10 MB", f"{a.filename} is larger than 10 MB", status=413)
    if len(set(names)) != len(names):
        raise DutyError("file", "附件文件名重复", "two attachments have the same name")


@dataclass
class VerifyResult:
    ok: bool
    entries: int
    head_seq: int | None = None
    head_hash: str | None = None
    first_bad: int | None = None  # the seq (or position) of the first entry whose content or order changed
    reason: str = ""
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok, "entries": self.entries, "head_seq": self.head_seq, "head_hash": self.head_hash,
            "first_bad": self.first_bad, "reason": self.reason,
        }  # fmt: skip


def check_chain(entries: list[DutyLogEntry], anchors: list[tuple[int, str]]) -> VerifyResult:
    """Pure: walk the entries in ``seq`` order and report the first break. ``anchors`` are (seq, hash)
    pairs recorded elsewhere (completed handovers) that the chain must still contain."""
    prev = GENESIS
    by_seq: dict[int, str] = {}
    for position, entry in enumerate(entries, start=1):
        where = f"#{entry.seq} (id {entry.id})"
        if entry.seq != position:
            return VerifyResult(
                False,
                len(entries),
                first_bad=entry.seq,
                reason=f"entry {where}: an entry before it is missing or its number changed",
            )
        if entry.prev_hash != prev:
            return VerifyResult(
                False,
                len(entries),
                first_bad=entry.seq,
                reason=f"entry {where}: order changed or the entry before it was altered or removed",
            )
        if entry_hash(content_of(entry), entry.prev_hash) != entry.hash:
            return VerifyResult(False, len(entries), first_bad=entry.seq, reason=f"entry {where}: content changed")
        prev = entry.hash
        by_seq[entry.seq] = entry.hash
    for seq, digest in sorted(anchors):
        if by_seq.get(seq) != digest:
            return VerifyResult(
                False,
                len(entries),
                first_bad=seq,
                reason=f"entry #{seq}: removed or rewritten after a handover recorded it",
            )
    last = entries[-1] if entries else None
    return VerifyResult(True, len(entries), last.seq if last else None, last.hash if last else None)


def verify(session: Session) -> VerifyResult:
    # Plain rows, not ORM objects: a year of entries is read and hashed in about a second.
    columns = [c for c in DutyLogEntry.__table__.c]
    entries = session.execute(select(*columns).order_by(DutyLogEntry.seq, DutyLogEntry.id)).all()
    anchors = session.execute(
        select(DutyHandover.log_head_seq, DutyHandover.log_head_hash).where(DutyHandover.log_head_seq.is_not(None))
    ).all()
    return check_chain(list(entries), [(a.log_head_seq, a.log_head_hash) for a in anchors])


def head(session: Session) -> tuple[int | None, str | None]:
    row = session.execute(
        select(DutyLogEntry.seq, DutyLogEntry.hash).order_by(DutyLogEntry.seq.desc()).limit(1)
    ).first()
    return (row.seq, row.hash) if row else (None, None)


def entries_between(session: Session, start: dt.datetime, end: dt.datetime) -> list[DutyLogEntry]:
    """Entries whose time falls in ``[start, end)`` (a shift), in chain order."""
    stmt = select(DutyLogEntry).where(DutyLogEntry.at >= start, DutyLogEntry.at < end)
    return list(session.scalars(stmt.order_by(DutyLogEntry.seq)))


def open_todos(session: Session) -> list[DutyLogEntry]:
    """Entries marked 待办 still open: not resolved by a later entry and not corrected into a non-todo
    (a correction of a todo carries the todo on, unless it says otherwise)."""
    rows = session.scalars(select(DutyLogEntry).order_by(DutyLogEntry.seq)).all()
    resolved = {r.resolves_id for r in rows if r.resolves_id is not None}
    superseded = {r.corrects_id for r in rows if r.corrects_id is not None}
    return [r for r in rows if r.todo and r.seq not in resolved and r.seq not in superseded]


def entry_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(DutyLogEntry)) or 0
