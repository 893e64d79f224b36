"""``POST /inspections/results``: a group member records what a visit found, with their bearer token.

A token may record only for sites assigned to its holder's group that day (403 otherwise); unknown or
revoked tokens get 401. Bodies are validated at the edge; every 4xx names the field.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, HTTPException
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from roster.inspections.results import ResultRejected, person_of_token, record_result
from roster.safe_text import check_text
from roster.timeutil import utc_now
from roster.web.deps import db_session

router = APIRouter(prefix="/inspections", tags=["inspections"])
Text = Annotated[str, AfterValidator(check_text)]  # NUL and control characters: 422 naming the field


class ResultIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    site: Text = Field(min_length=1, max_length=64, description="Site id, e.g. rc001")
    date: dt.date = Field(description="The visit's local date")
    result: Literal["ok", "issue"]
    note: Text = Field(default="", max_length=2000)


class ResultOut(BaseModel):
    result_id: int
    site: str
    date: dt.date
    result: str
    recorded_by: str
    late: bool


def _bearer(authorization: str | None) -> str:
    if not authorization or not authorization.lower().startswith("bearer ") or not authorization[7:].strip():
        raise HTTPException(
            401, detail={"field": "Authorization", "message": "send 'Authorization: Bearer <token>'"},
            headers={"WWW-Authenticate": "Bearer"},
        )  # fmt: skip
    return authorization[7:].strip()


class Problem(BaseModel):
    field: str
    message: str


class ProblemOut(BaseModel):
    detail: Problem


_ERRORS = {
    401: {"model": ProblemOut, "description": "missing, unknown or revoked token"},
    403: {"model": ProblemOut, "description": "the site is not assigned to your group that day"},
    404: {"model": ProblemOut, "description": "unknown site, or the site was not assigned that day"},
}


@router.post("/results", response_model=ResultOut, status_code=201, responses=_ERRORS)
def post_result(
    body: ResultIn,
    authorization: str | None = Header(default=None),
    session: Session = Depends(db_session),
) -> ResultOut:
    token = _bearer(authorization)
    person = person_of_token(session, token)
    if person is None:
        raise HTTPException(
            401, detail={"field": "Authorization", "message": "unknown or revoked token"},
            headers={"WWW-Authenticate": "Bearer"},
        )  # fmt: skip
    try:
        rec = record_result(
            session, site_id=body.site, day=body.date, outcome=body.result, note=body.note, by=person,
            via="http", only_group_of=person, now=utc_now(),
        )  # fmt: skip
        session.commit()
    except ResultRejected as exc:
        session.rollback()
        raise HTTPException(exc.status, detail={"field": exc.field, "message": str(exc)}) from None
    return ResultOut(result_id=rec.result_id, site=rec.site_id, date=rec.day, result=rec.outcome,
                     recorded_by=person, late=rec.late)  # fmt: skip
