"""The duty log's decisions without a database: what an entry may say, and how it joins the hash chain."""

from __future__ import annotations

import datetime as dt

import pytest

from roster.duty.facts import DutyError
from roster.duty.log import (
    GENESIS,
    MAX_TEXT,
    NewAttachment,
    attachment_meta,
    chained_entry,
    checked_entry,
    content_of,
    entry_hash,
)
from roster.storage.models.duty import DutyLogEntry

NOW = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)


def refusal(**kwargs: object) -> str:
    args = {"text": "来电：水库水位", "category": "call", "at": None, "now": NOW, "attachments": []} | kwargs
    with pytest.raises(DutyError) as caught:
        checked_entry(**args)  # type: ignore[arg-type]
    return caught.value.field


def test_an_entry_is_trimmed_and_its_category_read_from_an_alias() -> None:
    assert checked_entry("  来电：水库水位  ", "call", None, NOW, []) == ("来电", "来电：水库水位")
    assert checked_entry("x", "其他", NOW + dt.timedelta(minutes=1), NOW, []) == ("其他", "x")  # a clock a minute fast


def test_what_an_entry_may_not_say() -> None:
    assert refusal(category="weather") == "category"
    assert refusal(text="   ") == "text"
    assert refusal(text="x" * (MAX_TEXT + 1)) == "text"
    assert refusal(text="a\x00b") == "text"
    assert refusal(at=NOW + dt.timedelta(minutes=2)) == "at"
    twice = [NewAttachment("a.jpg", "image/jpeg", b"1"), NewAttachment("a.jpg", "image/jpeg", b"2")]
    assert refusal(attachments=twice) == "file"
    assert refusal(attachments=[NewAttachment("../a.jpg", "image/jpeg", b"1")]) == "file"


def entry(text: str, attachments: list[NewAttachment] = ()) -> DutyLogEntry:  # type: ignore[assignment]
    return DutyLogEntry(
        at=NOW, recorded_at=NOW, author_id="p01", category="来电", text=text, todo=False, corrects_id=None,
        resolves_id=None, attachments=[attachment_meta(a) for a in attachments],
    )  # fmt: skip


def test_entries_chain_from_genesis_and_each_hash_covers_its_content() -> None:
    first = chained_entry(None, entry("first"))
    assert (first.seq, first.prev_hash) == (1, GENESIS)
    assert first.hash == entry_hash(content_of(first), GENESIS)
    second = chained_entry((first.seq, first.hash), entry("second", [NewAttachment("a.pdf", "application/pdf", b"%")]))
    assert (second.seq, second.prev_hash) == (2, first.hash)
    assert second.hash == entry_hash(content_of(second), first.hash)
    other = chained_entry((first.seq, first.hash), entry("second", [NewAttachment("a.pdf", "application/pdf", b"!")]))
    assert other.hash != second.hash  # the attachment's bytes count, through its checksum
    assert chained_entry((1, "f" * 64), entry("second")).hash != chained_entry((1, first.hash), entry("second")).hash
