"""The role matrix: every route of the app, every role, walked from ``app.routes`` (pages added later are
covered without touching this file). A route must either declare its audience with ``require_role`` /
``current_user`` / ``public_page`` or be registered open with ``roster.web.access.register_open``.

- anonymous on a guarded route → 303 to /login?next=…;
- logged in without one of the route's roles → 403;
- logged in with one → neither 403 nor a trip to /login;
- every state-changing page route refuses a missing or wrong CSRF token with 403.
"""

from __future__ import annotations

import re

from fastapi.routing import iter_route_contexts

from roster.web.access import OPEN_ROUTES, route_guard
from tests.web_helpers import ACCOUNTS

SAFE = {"GET", "HEAD", "OPTIONS"}


def _routes(app):
    for ctx in iter_route_contexts(app.routes):
        for method in sorted((ctx.methods or set()) - {"HEAD"}):
            yield method, ctx.path, route_guard(ctx.original_route)


def _url(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def _to_login(response) -> bool:
    return response.status_code == 303 and response.headers["location"].startswith("/login?next=")


def test_every_route_is_guarded_or_registered_open(web_app):
    unguarded = [
        (method, path) for method, path, guard in _routes(web_app) if guard is None and path not in OPEN_ROUTES
    ]
    unguarded = [(m, p) for m, p in unguarded if not p.startswith("/static")]
    assert not unguarded, f"routes without require_role/current_user/public_page or register_open: {unguarded}"


def test_role_matrix(web_app, client_for):
    clients = {login: client_for(login) for login in ACCOUNTS}
    anonymous = client_for(None)
    checked = 0
    for method, path, guard in _routes(web_app):
        if guard is None:
            continue
        url = _url(path)
        response = anonymous.request(method, url, csrf=False)
        if guard.roles is None:
            assert not _to_login(response), f"{method} {path}: public page sends anonymous visitors to /login"
            continue
        assert _to_login(response), f"{method} {path}: anonymous got {response.status_code}, not a redirect to /login"
        for login, roles in ACCOUNTS.items():
            response = clients[login].request(method, url)
            if roles & guard.roles:
                assert response.status_code != 403 and not _to_login(response), (
                    f"{method} {path}: {login} ({roles}) refused with {response.status_code}"
                )
            else:
                assert response.status_code == 403, f"{method} {path}: {login} ({roles}) got {response.status_code}"
            checked += 1
    assert checked >= len(ACCOUNTS)


def test_every_state_changing_page_route_needs_the_csrf_token(web_app, client_for):
    clients = {login: client_for(login) for login in ACCOUNTS}
    checked = 0
    for method, path, guard in _routes(web_app):
        if guard is None or method in SAFE:
            continue
        login = next((lg for lg, roles in ACCOUNTS.items() if guard.roles is None or roles & guard.roles), None)
        client = clients[login]
        for token in (None, "forged"):
            headers = {"X-CSRF-Token": token} if token else {}
            response = client.http.request(method, _url(path), headers=headers, data={"csrf_token": token or ""})
            assert response.status_code == 403, f"{method} {path} with CSRF token {token!r}: {response.status_code}"
        checked += 1
    assert checked >= 3
