"""Installs the web console on the app (CSRF is an app-wide dependency in create_app): the guards' answers (redirect to
/login, 403), static files and security headers. Called once by ``roster.web.app.create_app``."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.responses import RedirectResponse, Response

from roster.web.access import Forbidden, LoginRequired
from roster.web.session import SAFE_METHODS, CsrfFailed

STATIC_DIR = Path(__file__).resolve().parent / "static"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",  # invite and board tokens in URLs must not leak to other sites
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'",
}


def install(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_exception_handler(LoginRequired, _to_login)
    app.add_exception_handler(Forbidden, _forbidden)
    app.add_exception_handler(CsrfFailed, _csrf_failed)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # noqa: ANN001, ANN202
        response = await call_next(request)
        if response.headers.get("content-type", "").startswith("text/html"):
            for key, value in SECURITY_HEADERS.items():
                response.headers.setdefault(key, value)
            response.headers.setdefault("Cache-Control", "no-store")
        return response


async def _to_login(request: Request, exc: Exception) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method not in SAFE_METHODS:
        target = "/"  # never come back to a POST
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


async def _forbidden(request: Request, exc: Exception) -> Response:
    from roster.web.templating import render

    return render(request, "error.html", {"title": "没有权限", "kind": "forbidden"}, status_code=403)


async def _csrf_failed(request: Request, exc: Exception) -> Response:
    from roster.web.templating import render

    return render(request, "error.html", {"title": "页面已过期，请刷新后重试", "kind": "csrf"}, status_code=403)
