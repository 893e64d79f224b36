"""The FastAPI application. It imports neither Prefect nor the solver."""

from __future__ import annotations

import importlib
import pkgutil

from fastapi import Depends, FastAPI

from roster.web import console, routes
from roster.web.session import csrf_guard


def create_app(database_url: str | None = None) -> FastAPI:
    """Build the app; ``database_url`` overrides ``DUTYFLOW_DATABASE_URL`` (tests, several bureaus)."""
    app = FastAPI(
        title="dutyflow", version="0.1.0", docs_url="/docs", redoc_url=None, dependencies=[Depends(csrf_guard)]
    )
    app.state.database_url = database_url
    console.install(app)  # the web console: guards' answers, static files, security headers
    for module in sorted(pkgutil.iter_modules(routes.__path__), key=lambda m: m.name):
        router = getattr(importlib.import_module(f"{routes.__name__}.{module.name}"), "router", None)
        if router is not None:
            app.include_router(router)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
