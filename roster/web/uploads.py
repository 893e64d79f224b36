"""Streaming ``multipart/form-data`` for the report and inspection pages (python-multipart).

The body is fed to the parser as it arrives; each file part goes straight to a temporary file while its size
and sha256 are counted, and a part over the per-file limit stops the read at once (the rest of the body is
never read). Text fields are capped too. Nothing is buffered whole: a 10 MB photo costs a few 64 KB chunks of
memory (bench/web_reports.py measures it). Storing the staged files is roster/storage/blobs.py's job.
"""

from __future__ import annotations

import hashlib
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from roster.storage.blobs import SpooledFile

TEXT_FIELD_LIMIT = 200_000  # bytes of one text field


class UploadError(ValueError):
    """A refused upload: ``field`` names the form field, ``status`` is the HTTP status (413 or 422)."""

    def __init__(self, field: str, message: str, status: int = 422) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.status = status


@dataclass
class Form:
    fields: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, list[SpooledFile]] = field(default_factory=dict)

    def get(self, name: str, default: str = "") -> str:
        values = self.fields.get(name)
        return values[-1] if values else default


def clean_filename(raw: str, index: int) -> str:
    """The base name of what a browser sent (phones send paths or ``image.jpg`` alike), without control
    characters; a name that is empty afterwards gets ``photo-N``."""
    name = PureWindowsPath(PurePosixPath(raw).name).name
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    return (name or f"photo-{index}")[-120:]


def human_size(size: int) -> str:
    return f"{size / 1048576:.0f} MB" if size >= 1048576 else f"{size / 1024:.0f} KB"


class _Receiver:
    """python-multipart callbacks: one part at a time, files to disk, text into a capped buffer."""

    def __init__(self, folder: Path, file_limit: int, max_files: int) -> None:
        self.folder, self.file_limit, self.max_files = folder, file_limit, max_files
        self.form = Form()
        self.count = 0
        self._reset()

    def _reset(self) -> None:
        self.headers: dict[bytes, bytes] = {}
        self.hname = b""
        self.hvalue = b""
        self.name = ""
        self.filename: str | None = None
        self.ctype = ""
        self.text = bytearray()
        self.handle: Any = None
        self.digest = hashlib.sha256()
        self.size = 0

    def callbacks(self) -> dict[str, Any]:
        return {
            "on_part_begin": self._reset,
            "on_header_field": lambda d, s, e: setattr(self, "hname", self.hname + d[s:e]),
            "on_header_value": lambda d, s, e: setattr(self, "hvalue", self.hvalue + d[s:e]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._data,
            "on_part_end": self._part_end,
        }

    def _header_end(self) -> None:
        self.headers[self.hname.lower()] = self.hvalue
        self.hname, self.hvalue = b"", b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self.headers.get(b"content-disposition", b""))
        self.name = options.get(b"name", b"").decode("utf-8", "replace")
        raw = options.get(b"filename")
        self.filename = None if raw is None else raw.decode("utf-8", "replace")
        self.ctype = self.headers.get(b"content-type", b"").decode("latin-1")[:100]
        if self.filename:  # an <input type=file> left empty sends filename="" and no bytes: skipped
            self.count += 1
            if self.count > self.max_files:
                raise UploadError(self.name, f"at most {self.max_files} files", 413)
            self.handle = (self.folder / f"part-{self.count}").open("wb")

    def _data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self.handle is not None:
            self.size += len(chunk)
            if self.size > self.file_limit:
                raise UploadError(self.name, f"{self.filename}: larger than {human_size(self.file_limit)}", 413)
            self.digest.update(chunk)
            self.handle.write(chunk)
        elif self.filename is None:
            self.text += chunk
            if len(self.text) > TEXT_FIELD_LIMIT:
                raise UploadError(self.name, f"longer than {TEXT_FIELD_LIMIT} bytes", 413)

    def _part_end(self) -> None:
        if self.handle is not None:
            self.handle.close()
            path = self.handle.name
            staged = SpooledFile(
                filename=clean_filename(self.filename or "", self.count),
                content_type=self.ctype or "application/octet-stream",
                path=Path(path),
                size=self.size,
                sha256=self.digest.hexdigest(),
            )
            if self.size:
                self.form.files.setdefault(self.name, []).append(staged)
        elif self.filename is None:
            try:
                value = self.text.decode("utf-8")
            except UnicodeDecodeError:
                raise UploadError(self.name, "not valid UTF-8 text") from None
            self.form.fields.setdefault(self.name, []).append(value)
        self._reset()


async def read_form(request: Request, folder: Path, *, file_limit: int, max_files: int = 10) -> Form:
    """Parse a multipart body into ``folder`` (a temporary directory the caller removes afterwards)."""
    ctype, options = parse_options_header(request.headers.get("content-type", ""))
    if ctype != b"multipart/form-data" or b"boundary" not in options:
        raise UploadError("Content-Type", "expected multipart/form-data", 415)
    cap = max_files * file_limit + 2 * 1024 * 1024
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise UploadError("body", f"larger than {cap} bytes", 413)
    receiver = _Receiver(folder, file_limit, max_files)
    parser = MultipartParser(options[b"boundary"], receiver.callbacks())
    seen = 0
    try:
        async for chunk in request.stream():
            seen += len(chunk)
            if seen > cap:
                raise UploadError("body", f"larger than {cap} bytes", 413)
            parser.write(chunk)
        parser.finalize()
    except MultipartParseError:
        raise UploadError("body", "not a well-formed multipart/form-data body") from None
    finally:
        if receiver.handle is not None:
            receiver.handle.close()
    return receiver.form


def staging_folder() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="dutyflow-upload-")
