"""The FastAPI application. It imports neither Prefect nor the solver."""

from __future__ import annotations

from fastapi import FastAPI

from roster.features import FEATURES


def create_app(database_url: str | None = None) -> FastAPI:
    """Build the app; ``database_url`` overrides ``DUTYFLOW_DATABASE_URL`` (tests, several bureaus)."""
    app = FastAPI(title="dutyflow", version="0.1.0", docs_url="/docs", redoc_url=None)
    app.state.database_url = database_url
    for feature in FEATURES:
        for router in feature.routers:
            app.include_router(router())

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
