"""Jinja2 pages: the shared layout's context (user, language, CSRF token, navigation) and ``render``.

Templates live in roster/web/templates (one folder per feature). Every page extends ``base.html``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from starlette.responses import HTMLResponse

from roster.web.auth import CurrentUser, load_user
from roster.web.i18n import ROLE_LABELS, request_lang, translate
from roster.web.session import ensure_session, write_session

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
templates.env.policies["json.dumps_kwargs"] = {"ensure_ascii": False, "sort_keys": True}


@dataclass(frozen=True)
class NavItem:
    path: str
    label: str  # Chinese source string, translated at render time
    roles: frozenset[str]
    order: int


NAV: list[NavItem] = []


def register_nav(path: str, label: str, roles: tuple[str, ...], order: int) -> None:
    """Add a page to the top navigation for the given roles (idempotent)."""
    if not any(item.path == path for item in NAV):
        NAV.append(NavItem(path, label, frozenset(roles), order))
        NAV.sort(key=lambda item: item.order)


def nav_for(user: CurrentUser | None) -> list[NavItem]:
    if user is None:
        return []
    return [item for item in NAV if item.roles & user.roles]


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    user = load_user(request)
    lang = request_lang(request, user.locale if user else None)
    session = ensure_session(request)
    _ = partial(translate, lang=lang)
    ctx = {
        "request": request,
        "user": user,
        "lang": lang,
        "_": _,
        "csrf_token": session.csrf,
        "csrf_field": Markup(f'<input type="hidden" name="csrf_token" value="{session.csrf}">'),
        "nav": nav_for(user),
        "role_label": lambda role: _(ROLE_LABELS.get(role, role)),
        "current_path": request.url.path,
        "roles_text": "、".join(_(ROLE_LABELS[r]) for r in sorted(user.roles)) if user else "",
    }
    ctx.update(context or {})
    response = templates.TemplateResponse(request, name, ctx, status_code=status_code, headers=headers)
    if getattr(request.state, "dutyflow_session_new", False):
        write_session(request, response, session)
    return response
