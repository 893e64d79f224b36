"""The FastAPI application. It imports neither Prefect nor the solver."""

from __future__ import annotations

from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse

from roster.features import FEATURES
from roster.web import console, limits
from roster.web.access import csrf_guard
from roster.web.health import database_health


def create_app(database_url: str | None = None) -> FastAPI:
    """Build the app; ``database_url`` overrides ``DUTYFLOW_DATABASE_URL`` (tests, several bureaus)."""
    app = FastAPI(
        title="dutyflow", version="0.1.0", docs_url="/docs", redoc_url=None, dependencies=[Depends(csrf_guard)]
    )
    app.state.database_url = database_url
    limits.install(app)  # body limits before every route, input-free 422s
    console.install(app)  # the web console: guards' answers, static files, security headers
    for feature in FEATURES:
        for router in feature.routers:
            app.include_router(router())

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        return database_health(app.state.database_url)  # 503 while the database is down

    return app
