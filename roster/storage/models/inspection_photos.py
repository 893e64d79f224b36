"""Photos taken on an inspection visit, attached to the result they document (append-only, like results).

Bytes are kept in the database with their sha256 (as report attachments are), written in chunks so a large
photo is never held in memory whole (roster/storage/blobs.py). ``result_id`` is a plain column, not a
foreign key: this feature's migration branch starts from the base revision, and the link is only read.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from roster.storage.base import Base


class InspectionPhoto(Base):
    __tablename__ = "inspection_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    result_id: Mapped[int] = mapped_column(index=True)  # inspection_results.id
    site_id: Mapped[str] = mapped_column(String(64))
    day: Mapped[dt.date] = mapped_column(index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str | None] = mapped_column(String(64))
    uploaded_at: Mapped[dt.datetime]
