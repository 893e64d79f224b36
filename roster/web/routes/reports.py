"""HTTP: report submission (``POST /reports``), acknowledgement (``POST /reports/ack``, ``GET /ack/{signed}``).

Submission is JSON with attachments base64-encoded (no multipart: it would need another dependency, and
JSON keeps one validated shape). ``Authorization: Bearer <unit token>``; a token submits only for its own
unit. The body is read with a size cap before parsing, the submission is committed, then acknowledged.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import collections
import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from roster.safe_text import check_text
from roster.storage import session_scope
from roster.timeutil import utc_now
from roster.web.limits import upload_body_cap

router = APIRouter(tags=["reports"])
MAX_ATTACHMENTS = 10
UPLOAD_SLOTS = 2  # submissions read and decoded at once; the others wait with their bodies unread
UPLOAD_READ_SECONDS = 300
# Text the databases store alike: NUL, lone surrogates and control characters get a 422 naming the field.
Text = Annotated[str, AfterValidator(check_text)]


class AttachmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    filename: str = Field(min_length=1, max_length=255, description="normalised: base name, unique per submission")
    content_type: Text = Field(default="application/octet-stream", max_length=100)
    content_base64: str = Field(description="the file's bytes, standard base64")


class SubmissionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    unit: Text = Field(min_length=1, max_length=64)
    date: dt.date = Field(description="the local reporting day")
    kind: Literal["report", "zero"] = Field(description="report = daily report (日报告), zero = zero report (零报告)")
    text: Text = Field(default="", max_length=100_000)
    idempotency_key: Text | None = Field(default=None, min_length=1, max_length=200)
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=MAX_ATTACHMENTS)


class AttachmentOut(BaseModel):
    filename: str
    size: int
    sha256: str


class ReceiptOut(BaseModel):
    receipt: str
    unit: str
    date: str
    revision: int
    kind: str
    received_at: str
    late: bool
    replayed: bool
    correction: bool
    attachments: list[AttachmentOut]


class AckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    signed: Text = Field(min_length=1, max_length=2000, description="the signed token of an acknowledgement link")
    csrf: Text = Field(min_length=1, max_length=200, description="the one-time form token of the link's page")


class AckOut(BaseModel):
    unit: str
    date: str
    acked_by: str | None
    acked_at: str | None
    first: bool
    via: str


def _clock(request: Request) -> dt.datetime:
    clock = getattr(request.app.state, "clock", None)  # tests may inject a clock
    return clock() if clock else utc_now()


def _error(status: int, field: str | None, message: str) -> JSONResponse:
    loc = ["body", field] if field else []
    return JSONResponse(status_code=status, content={"detail": [{"loc": loc, "msg": message}]})


def _limits(database_url: str | None) -> tuple[int, int]:
    from roster.reports.ledger import bureau_attachment_limit

    with session_scope(database_url) as session:
        limit = bureau_attachment_limit(session)
    return limit, upload_body_cap(limit)


async def _read_capped(request: Request, cap: int) -> bytearray | None:
    """The body, or None once it passes ``cap`` (declared or streamed). The chunks are moved into one buffer
    of the exact size, each freed as it is copied: the body is never held twice (a growing buffer would
    be, while it is reallocated; a join too)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > cap:
        return None
    chunks: collections.deque[bytes] = collections.deque()
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            return None
        chunks.append(chunk)
    body, at = bytearray(size), 0
    while chunks:
        chunk = chunks.popleft()
        body[at : at + len(chunk)] = chunk
        at += len(chunk)
    return body


def _inlined(schema: dict[str, Any]) -> dict[str, Any]:
    """The model's JSON schema with its $defs inlined (the body is parsed by hand, so FastAPI does not
    register the models under components)."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return walk(dict(defs[node["$ref"].rsplit("/", 1)[1]]))
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(schema)


_SUBMIT_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": _inlined(SubmissionIn.model_json_schema())}},
    },
}


@router.post(
    "/reports",
    status_code=201,
    response_model=ReceiptOut,
    openapi_extra=_SUBMIT_DOC,
    responses={
        200: {"model": ReceiptOut, "description": "a repeat of an earlier submission: nothing changed"},
        401: {"description": "missing or unknown token"},
        403: {"description": "the token belongs to another unit"},
        404: {"description": "unknown unit"},
        409: {"description": "idempotency key reused for different content"},
        413: {"description": "body too large"},
        422: {"description": "invalid body; detail names the field"},
    },
)
async def submit_report(request: Request, authorization: Annotated[str | None, Header()] = None) -> Any:
    """File a daily report or a zero report for one unit and local day. The receipt is returned only once
    the submission is committed. Attachments: base64 in ``attachments[].content_base64``."""
    from roster.reports import links

    url = request.app.state.database_url
    token = authorization[7:].strip() if authorization and authorization[:7].lower() == "bearer " else None
    if not token:
        return _error(401, None, "Authorization: Bearer <unit token> is required")

    def token_unit() -> str | None:
        with session_scope(url) as session:
            return links.unit_of_token(session, token)

    token_owner = await run_in_threadpool(token_unit)
    if token_owner is None:
        return _error(401, None, "unknown or revoked token")
    async with _upload_slots(request):  # a few uploads at a time: ten 100 MB bodies must not hold 1 GB
        return await _receive_submission(request, url, token_owner)


def _upload_slots(request: Request) -> asyncio.Semaphore:
    slots = getattr(request.app.state, "upload_slots", None)
    if slots is None:  # one per app (and so per event loop)
        slots = request.app.state.upload_slots = asyncio.Semaphore(UPLOAD_SLOTS)
    return slots


async def _receive_submission(request: Request, url: str | None, token_owner: str) -> Any:
    """Read (capped), parse and record an authenticated submission."""
    from roster.reports.ledger import Attachment, ReportError, submit

    limit, cap = await run_in_threadpool(_limits, url)
    try:
        raw = await asyncio.wait_for(_read_capped(request, cap), UPLOAD_READ_SECONDS)
    except TimeoutError:  # a client trickling its body must not hold an upload slot for ever
        return _error(408, None, f"body not received within {UPLOAD_READ_SECONDS} s")
    if raw is None:
        return _error(413, None, f"body larger than {cap} bytes")
    try:
        body = SubmissionIn.model_validate_json(raw)
    except ValidationError as exc:
        detail = [{"loc": ["body", *e["loc"]], "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        return JSONResponse(status_code=422, content={"detail": detail})
    if body.unit != token_owner:

        def unit_exists() -> bool:
            from roster.storage.models.reports import ReportUnit

            with session_scope(url) as session:
                row = session.get(ReportUnit, body.unit)
                return row is not None and row.active

        if not await run_in_threadpool(unit_exists):
            return _error(404, "unit", f"no active reporting unit {body.unit!r}")
        return _error(403, "unit", "this token may submit only for its own unit")
    attachments = []
    for i, item in enumerate(body.attachments):
        try:
            data = base64.b64decode(item.content_base64, validate=True)
        except (binascii.Error, ValueError):
            return _error(422, f"attachments[{i}].content_base64", "not valid base64")
        attachments.append(Attachment(filename=item.filename, content_type=item.content_type, data=data))
    now = _clock(request)

    def record() -> dict[str, Any]:
        with session_scope(url) as session:  # committed before we answer
            receipt = submit(
                session,
                unit_id=body.unit,
                day=body.date,
                kind=body.kind,
                text=body.text,
                attachments=attachments,
                idempotency_key=body.idempotency_key or request.headers.get("idempotency-key") or None,
                now=now,
                via="http",
                attachment_limit=limit,
            )
        return receipt.as_dict()

    try:
        receipt = await run_in_threadpool(record)
    except ReportError as exc:
        return _error(exc.status, exc.field, exc.message)
    return JSONResponse(status_code=200 if receipt["replayed"] else 201, content=receipt)


# ------------------------------------------------------------------------------------------ acknowledgement
# GET shows, POST acknowledges. A GET changes nothing (mail scanners and chat previews fetch links); the POST
# must bring the one-time form token of the page it came from, and only a person above the unit may send it.

_LINK_ERRORS = {
    "link has expired": (410, "链接已过期。", "This link has expired."),
    "confirmation page has expired: open the link again": (
        410,
        "确认页已过期，请重新打开链接。",
        "This page has expired: open the link again.",
    ),
}


def _link_error(exc: Exception) -> tuple[int, str, str]:
    text = str(exc)
    return _LINK_ERRORS.get(text, (403, f"链接无效：{text}。", f"Invalid link: {text}."))


@router.post(
    "/reports/ack",
    response_model=AckOut,
    responses={
        403: {"description": "forged link, a form token of another link, or a person not above the unit"},
        409: {"description": "the form token was already used"},
        410: {"description": "expired link or form token"},
        413: {"description": "body too large"},
    },
)
async def ack_report(request: Request, body: AckIn) -> Any:
    """Acknowledge a late or missing report: the signed token of an acknowledgement link plus the one-time
    form token shown on that link's page (``GET /ack/{signed}``)."""
    from roster.reports.ack import confirm_link
    from roster.reports.links import LinkError

    try:
        status, outcome = await run_in_threadpool(
            confirm_link, request.app.state.database_url, body.signed, body.csrf, _clock(request)
        )
    except LinkError as exc:
        status, zh, en = _link_error(exc)
        return _error(status, "signed" if "link" in str(exc) else "csrf", f"{zh} / {en}")
    if status != 200:
        return _error(status, "signed", " / ".join(dict.fromkeys(outcome)))
    return outcome[1]


def _html(status: int, text: str) -> HTMLResponse:
    from roster.web.ack_page import HEADERS

    return HTMLResponse(text, status_code=status, headers=HEADERS)


@router.get("/ack/{signed}", response_class=HTMLResponse, responses={403: {}, 410: {}})
async def ack_link(request: Request, signed: Annotated[str, Path(max_length=2000)]) -> Any:
    """The link in an escalation message: shows what would be acknowledged and by whom. Changes nothing."""
    from roster.reports.ack import view_link
    from roster.reports.links import LinkError
    from roster.web.ack_page import confirm_page, error_page

    try:
        facts, decision, token = await run_in_threadpool(
            view_link, request.app.state.database_url, signed, _clock(request)
        )
    except LinkError as exc:
        status, zh, en = _link_error(exc)
        return _html(status, error_page(status, zh, en))
    return _html(200, confirm_page(facts, decision, f"/ack/{signed}", token if decision.allowed else None))


_FORM_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["csrf"],
                    "properties": {"csrf": {"type": "string", "maxLength": 200}},
                }
            }
        },
    }
}


@router.post(
    "/ack/{signed}",
    response_class=HTMLResponse,
    openapi_extra=_FORM_DOC,
    responses={403: {}, 409: {}, 410: {}, 413: {}, 422: {}},
)
async def ack_link_confirm(request: Request, signed: Annotated[str, Path(max_length=2000)]) -> Any:
    """The form on the link's page: acknowledges (unit, date, person) and stops further steps."""
    from urllib.parse import parse_qs

    from roster.reports.ack import confirm_link
    from roster.reports.links import LinkError
    from roster.web.ack_page import done_page, error_page

    raw = await request.body()  # the body limit middleware has capped it
    try:
        fields = parse_qs(raw.decode("utf-8"), max_num_fields=5)
    except (UnicodeDecodeError, ValueError):
        fields = {}
    token = (fields.get("csrf") or [""])[0]
    if not token:
        return _html(422, error_page(422, "缺少确认表单令牌（csrf）。", "The form token (csrf) is missing."))
    try:
        status, outcome = await run_in_threadpool(
            confirm_link, request.app.state.database_url, signed, token, _clock(request)
        )
    except LinkError as exc:
        status, zh, en = _link_error(exc)
        return _html(status, error_page(status, zh, en))
    if status != 200:
        return _html(status, error_page(status, *outcome))
    return _html(200, done_page(outcome[0], outcome[1]["first"]))
