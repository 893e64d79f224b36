"""HTTP: report submission (``POST /reports``), acknowledgement (``POST /reports/ack``, ``GET /ack/{signed}``).

Submission is JSON with attachments base64-encoded (no multipart: it would need another dependency, and
JSON keeps one validated shape). ``Authorization: Bearer <unit token>``; a token submits only for its own
unit. The body is read with a size cap before parsing, the submission is committed, then acknowledged.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import html
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from roster.storage import session_scope
from roster.timeutil import utc_now

router = APIRouter(tags=["reports"])
MAX_ATTACHMENTS = 10


class AttachmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    filename: str = Field(min_length=1, max_length=255)
    content_type: str = Field(default="application/octet-stream", max_length=100)
    content_base64: str = Field(description="the file's bytes, standard base64")


class SubmissionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    unit: str = Field(min_length=1, max_length=64)
    date: dt.date = Field(description="the local reporting day")
    kind: Literal["report", "zero"] = Field(description="report = daily report (日报告), zero = zero report (零报告)")
    text: str = Field(default="", max_length=100_000)
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=200)
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
    signed: str = Field(min_length=1, max_length=2000, description="the signed token of an acknowledgement link")


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
    from roster.admin.current import current_section
    from roster.reports.feature import FEATURE as REPORTS
    from roster.reports.schema import attachment_limit_bytes

    with session_scope(database_url) as session:
        limit = attachment_limit_bytes(current_section(session, REPORTS))
    # The whole body may carry twice the attachment limit (base64 grows by 4/3) plus 1 MiB of text: a body
    # beyond that is refused (413) before it is read into memory.
    return limit, 2 * (limit * 4 // 3) + 1024 * 1024


async def _read_capped(request: Request, cap: int) -> bytes | None:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > cap:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


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
    from roster.reports.ledger import ReportError

    url = request.app.state.database_url
    token = authorization[7:].strip() if authorization and authorization[:7].lower() == "bearer " else None
    if not token:
        return _error(401, None, "Authorization: Bearer <unit token> is required")
    token_owner = await run_in_threadpool(_unit_of_token, url, token)
    if token_owner is None:
        return _error(401, None, "unknown or revoked token")
    limit, cap = await run_in_threadpool(_limits, url)
    raw = await _read_capped(request, cap)
    if raw is None:
        return _error(413, None, f"body larger than {cap} bytes")
    try:
        body = SubmissionIn.model_validate_json(raw)
    except ValidationError as exc:
        detail = [{"loc": ["body", *e["loc"]], "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        return JSONResponse(status_code=422, content={"detail": detail})
    if body.unit != token_owner:
        if not await run_in_threadpool(_active_unit_exists, url, body.unit):
            return _error(404, "unit", f"no active reporting unit {body.unit!r}")
        return _error(403, "unit", "this token may submit only for its own unit")
    attachments = _decoded_attachments(body)
    if isinstance(attachments, JSONResponse):
        return attachments
    key = body.idempotency_key or request.headers.get("idempotency-key") or None
    try:
        receipt = await run_in_threadpool(_record, url, body, attachments, key, _clock(request), limit)
    except ReportError as exc:
        return _error(exc.status, exc.field, exc.message)
    return JSONResponse(status_code=200 if receipt["replayed"] else 201, content=receipt)


def _unit_of_token(url: str | None, token: str) -> str | None:
    from roster.reports import links

    with session_scope(url) as session:
        return links.unit_of_token(session, token)


def _active_unit_exists(url: str | None, unit_id: str) -> bool:
    from roster.storage.models.reports import ReportUnit

    with session_scope(url) as session:
        row = session.get(ReportUnit, unit_id)
        return row is not None and row.active


def _decoded_attachments(body: SubmissionIn) -> list[Any] | JSONResponse:
    """The attachments' bytes, or a 422 naming the first one that is not valid base64."""
    from roster.reports.ledger import Attachment

    attachments = []
    for i, item in enumerate(body.attachments):
        try:
            data = base64.b64decode(item.content_base64, validate=True)
        except (binascii.Error, ValueError):
            return _error(422, f"attachments[{i}].content_base64", "not valid base64")
        attachments.append(Attachment(filename=item.filename, content_type=item.content_type, data=data))
    return attachments


def _record(
    url: str | None, body: SubmissionIn, attachments: list[Any], key: str | None, now: dt.datetime, limit: int
) -> dict[str, Any]:
    from roster.reports.ledger import submit

    with session_scope(url) as session:  # committed before we answer
        receipt = submit(
            session,
            unit_id=body.unit,
            day=body.date,
            kind=body.kind,
            text=body.text,
            attachments=attachments,
            idempotency_key=key,
            now=now,
            via="http",
            attachment_limit=limit,
        )
    return receipt.as_dict()


def _ack_by_link(url: str | None, signed: str, now: dt.datetime) -> dict[str, Any]:
    from roster.reports import links
    from roster.reports.ledger import acknowledge

    with session_scope(url) as session:
        claim = links.verify_ack(links.server_secret(session, now), signed, now)
        return acknowledge(session, unit_id=claim.unit_id, day=claim.day, by=claim.person_id, now=now, via="link")


async def _ack(request: Request, signed: str) -> dict[str, Any] | JSONResponse:
    from roster.reports.ledger import ReportError
    from roster.reports.links import LinkError

    try:
        return await run_in_threadpool(_ack_by_link, request.app.state.database_url, signed, _clock(request))
    except LinkError as exc:
        return _error(410 if "expired" in str(exc) else 403, "signed", str(exc))
    except ReportError as exc:
        return _error(exc.status, exc.field, exc.message)


@router.post(
    "/reports/ack",
    response_model=AckOut,
    responses={403: {"description": "forged or misused link"}, 410: {"description": "expired link"}},
)
async def ack_report(request: Request, body: AckIn) -> Any:
    """Acknowledge a late or missing report with the signed token of an acknowledgement link."""
    return await _ack(request, body.signed)


@router.get("/ack/{signed}", response_class=HTMLResponse, responses={403: {}, 410: {}})
async def ack_link(request: Request, signed: str) -> Any:
    """The link in an escalation message: acknowledges (unit, date, person) and stops further steps."""
    result = await _ack(request, signed)
    if isinstance(result, JSONResponse):
        return result
    text = html.escape(f"已确认：{result['unit']} {result['date']}（{result['acked_by']}），后续催报已停止。")
    return HTMLResponse(f"<!doctype html><meta charset=utf-8><title>dutyflow</title><p>{text}</p>")
