"""The admin file in force: the newest applied document, validated once per distinct content."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from roster.admin.schema import BureauFile
from roster.storage.models.people import BureauConfig

if TYPE_CHECKING:
    from roster.feature import Feature


class NoBureauApplied(LookupError):
    def __init__(self) -> None:
        super().__init__("no admin file has been applied to this database yet: run `dutyflow apply FILE` first")


def current_bureau(session: Session) -> BureauFile:
    row = session.execute(
        select(BureauConfig.sha256, BureauConfig.document).order_by(BureauConfig.id.desc()).limit(1)
    ).first()
    if row is None:
        raise NoBureauApplied()
    return _validated(row.sha256, _Frozen(row.document))


def current_section(session: Session, feature: Feature) -> Any:
    """``feature``'s section of the admin file in force; None when it leaves the feature out, or before any
    file has been applied (callers then use the section's defaults)."""
    try:
        return feature.section_in(current_bureau(session))
    except NoBureauApplied:
        return None


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
