"""A visit's result together with its photos, recorded in one transaction (the inspector page's action)."""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from roster.inspections.results import Recorded, ResultRejected, record_result
from roster.storage.blobs import SpooledFile, insert_with_blob
from roster.storage.models.inspection_photos import InspectionPhoto

PHOTO_LIMIT = 10 * 1024 * 1024
MAX_PHOTOS = 6
PHOTO_TYPES = ("image/",)


class PhotoCorrupted(RuntimeError):
    """Stored bytes no longer match the checksum taken when they were received."""


def record_with_photos(
    session: Session,
    *,
    site_id: str,
    day: dt.date,
    outcome: str,
    note: str,
    by: str,
    photos: list[SpooledFile],
    now: dt.datetime,
    via: str = "web",
) -> Recorded:
    """Record the result (only for a site of ``by``'s group that day: 403 otherwise) and attach the photos.
    Everything is checked before anything is written; the caller commits."""
    if len(photos) > MAX_PHOTOS:
        raise ResultRejected("photos", f"at most {MAX_PHOTOS} photos", 413)
    for i, photo in enumerate(photos):
        if photo.size > PHOTO_LIMIT:
            raise ResultRejected(f"photos[{i}]", f"larger than {PHOTO_LIMIT // (1024 * 1024)} MB", 413)
        if not photo.content_type.startswith(PHOTO_TYPES):
            raise ResultRejected(f"photos[{i}]", f"{photo.filename} is not an image ({photo.content_type})")
    recorded = record_result(
        session, site_id=site_id, day=day, outcome=outcome, note=note, by=by, via=via, only_group_of=by, now=now
    )
    for photo in photos:
        insert_with_blob(
            session,
            InspectionPhoto,
            {
                "result_id": recorded.result_id,
                "site_id": site_id,
                "day": day,
                "filename": photo.filename,
                "content_type": photo.content_type,
                "size": photo.size,
                "sha256": photo.sha256,
                "uploaded_by": by,
                "uploaded_at": now,
            },
            photo,
        )
    return recorded


def photo_bytes(session: Session, photo_id: int) -> tuple[InspectionPhoto, bytes]:
    """A photo as uploaded; its sha256 is verified on every read."""
    photo = session.get(InspectionPhoto, photo_id)
    if photo is None:
        raise ResultRejected("photo", f"no photo {photo_id}", 404)
    if hashlib.sha256(photo.data).hexdigest() != photo.sha256:
        raise PhotoCorrupted(f"photo {photo_id} fails its sha256 check")
    return photo, photo.data


def photos_of(session: Session, result_ids: set[int]) -> dict[int, list[InspectionPhoto]]:
    """Photo rows (without loading their bytes) per result id."""
    if not result_ids:
        return {}
    rows = session.execute(
        select(InspectionPhoto.id, InspectionPhoto.result_id, InspectionPhoto.filename, InspectionPhoto.size)
        .where(InspectionPhoto.result_id.in_(result_ids))
        .order_by(InspectionPhoto.id)
    ).all()
    out: dict[int, list] = {}
    for row in rows:
        out.setdefault(row.result_id, []).append(row)
    return out
