"""The admin file in force: the newest applied document, validated once per distinct content."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from roster.admin.schema import BureauFile
from roster.storage.models.people import BureauConfig

if TYPE_CHECKING:
    pass


class NoBureauApplied(LookupError):
    def __init__(self) -> None:
        super().__init__("no admin file has been applied to this database yet: run `dutyflow apply FILE` first")


def current_bureau(session: Session) -> BureauFile:
    """The newest applied document, validated once per distinct content. Only its hash is read when that
    content is already validated in this process: the document itself (hundreds of sites) is not fetched
    and parsed again on every web request."""
    row = session.execute(
        select(BureauConfig.id, BureauConfig.sha256).order_by(BureauConfig.id.desc()).limit(1)
    ).first()
    if row is None:
        raise NoBureauApplied()
    cached = _by_sha.get(row.sha256)
    if cached is not None:
        return cached
    document = session.scalar(select(BureauConfig.document).where(BureauConfig.id == row.id))
    bureau = _validated(row.sha256, _Frozen(document))
    _by_sha[row.sha256] = bureau
    while len(_by_sha) > 8:
        _by_sha.pop(next(iter(_by_sha)))
    return bureau


_by_sha: dict[str, BureauFile] = {}


def document_of(bureau: BureauFile) -> dict:
    """The JSON document stored for a bureau (aliases such as leave's from/to kept, so it re-validates)."""
    return bureau.model_dump(mode="json", by_alias=True)


class _Frozen:
    """Carries the document into the cache without making it part of the key (the sha256 is the key)."""

    def __init__(self, document: dict) -> None:
        self.document = document

    def __hash__(self) -> int:
        return 0

    def __eq__(self, other: object) -> bool:
        return True


@lru_cache(maxsize=8)
def _validated(sha256: str, frozen: _Frozen) -> BureauFile:
    return BureauFile.model_validate(frozen.document)
