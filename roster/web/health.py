"""``/healthz``: 200 while the database answers, 503 while it does not (a load balancer stops sending)."""

from __future__ import annotations

from fastapi.responses import JSONResponse


def database_health(url: str | None) -> JSONResponse:
    from sqlalchemy import text

    from roster.storage import get_engine

    try:
        with get_engine(url).connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure to reach the database means "not healthy"
        reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        return JSONResponse(status_code=503, content={"status": "database unavailable", "reason": reason})
    return JSONResponse(content={"status": "ok"})
