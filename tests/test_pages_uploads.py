"""The streaming multipart reader: files to disk with size and sha256, limits enforced while reading."""

from __future__ import annotations

import asyncio
import hashlib
import os
from pathlib import Path

import pytest
from starlette.requests import Request

from roster.web.uploads import UploadError, clean_filename, read_form

BOUNDARY = "----dutyflowtest"


def run(coro):  # noqa: ANN001, ANN201
    """asyncio.run in a thread of its own: Playwright's sync API may hold this worker's event loop."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def body(parts: list[tuple[str, str | None, str, bytes]]) -> bytes:
    out = b""
    for name, filename, ctype, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
        out += f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n".encode()
        if ctype:
            out += f"Content-Type: {ctype}\r\n".encode()
        out += b"\r\n" + data + b"\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode()


def request_of(raw: bytes, chunk: int = 65536, declare_length: bool = True) -> tuple[Request, list[int]]:
    """A Starlette request whose body arrives in ``chunk``-sized pieces; the list counts pieces handed out."""
    pieces = [raw[i : i + chunk] for i in range(0, len(raw), chunk)] or [b""]
    handed: list[int] = []

    async def receive() -> dict:
        i = len(handed)
        handed.append(i)
        return {"type": "http.request", "body": pieces[i], "more_body": i + 1 < len(pieces)}

    headers = [(b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode())]
    if declare_length:
        headers.append((b"content-length", str(len(raw)).encode()))
    return Request({"type": "http", "method": "POST", "headers": headers}, receive), handed


def test_fields_and_files_are_staged_with_checksums(tmp_path: Path) -> None:
    photo = os.urandom(300_000)
    raw = body(
        [
            ("csrf", None, "", b"tok"),
            ("text", None, "", "巡查 5 处，无异常".encode()),
            ("files", "C:\\Users\\me\\现场.jpg", "image/jpeg", photo),
            ("files", "", "application/octet-stream", b""),  # an empty <input type=file>
        ]
    )
    form = run(read_form(request_of(raw)[0], tmp_path, file_limit=1024 * 1024))
    assert form.get("text") == "巡查 5 处，无异常" and form.get("csrf") == "tok" and form.get("missing") == ""
    [staged] = form.files["files"]
    assert staged.filename == "现场.jpg" and staged.content_type == "image/jpeg" and staged.size == len(photo)
    assert staged.sha256 == hashlib.sha256(photo).hexdigest() and staged.path.read_bytes() == photo


def test_a_file_over_the_limit_stops_the_read(tmp_path: Path) -> None:
    raw = body([("files", "big.jpg", "image/jpeg", b"x" * 2_000_000)])
    request, handed = request_of(raw, chunk=65536, declare_length=False)
    with pytest.raises(UploadError) as refused:
        run(read_form(request, tmp_path, file_limit=500_000))
    assert (
        refused.value.status == 413
        and refused.value.field == "files"
        and refused.value.message == "big.jpg: larger than 488 KB"
    )
    total = -(-len(raw) // 65536)
    assert len(handed) <= 500_000 // 65536 + 2 < total  # stopped at the limit, the rest never read


def test_declared_length_over_the_cap_is_refused_before_reading(tmp_path: Path) -> None:
    raw = body([("files", "big.jpg", "image/jpeg", b"x" * 3_000_000)])
    request, handed = request_of(raw)
    with pytest.raises(UploadError) as refused:
        run(read_form(request, tmp_path, file_limit=100_000, max_files=1))
    assert refused.value.status == 413 and handed == []


def test_bad_bodies_name_the_problem(tmp_path: Path) -> None:
    too_many = body([("files", f"{i}.jpg", "image/jpeg", b"x") for i in range(4)])
    with pytest.raises(UploadError, match="at most 3 files"):
        run(read_form(request_of(too_many)[0], tmp_path, file_limit=1000, max_files=3))
    with pytest.raises(UploadError) as bad_text:
        run(read_form(request_of(body([("text", None, "", b"\xff\xfe")]))[0], tmp_path, file_limit=10))
    assert bad_text.value.field == "text" and "UTF-8" in bad_text.value.message
    plain = Request({"type": "http", "method": "POST", "headers": [(b"content-type", b"text/plain")]}, None)
    with pytest.raises(UploadError) as wrong:
        run(read_form(plain, tmp_path, file_limit=10))
    assert wrong.value.status == 415


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("../../etc/passwd", "passwd"), ("a\x00b\x1f.jpg", "ab.jpg"), ("...", "photo-3"), ("", "photo-3")],
)
def test_clean_filename(raw: str, expected: str) -> None:
    assert clean_filename(raw, 3) == expected
