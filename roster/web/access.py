"""Who may open what: the role guard every page declares, and the registry of routes open without login.

A page declares its audience once, in its route::

    @router.get("/roster", dependencies=[require_role("admin", "leader", "staff")])
    def roster_page(user: CurrentUser = Depends(current_user)): ...

or takes the user from the guard: ``user: CurrentUser = require_role("admin")``. Anonymous visitors are
redirected to ``/login``; logged-in users without one of the roles get 403. ``public_page`` marks a page
anyone may open (the login form). Routes that authenticate some other way (calendar feed tokens, the
reports API's bearer tokens) register themselves with ``register_open``: tests/test_web_roles.py walks
``app.routes`` and fails for any route that has neither a guard nor a registration.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from fastapi import Depends, Request
from fastapi.routing import APIRoute

from roster.accounts.roles import ROLES
from roster.web.auth import CurrentUser, load_user
from roster.web.session import SAFE_METHODS, CsrfFailed, read_session, submitted_token

# path -> why it needs no login (checked by the role-matrix test; keep the reason honest)
OPEN_ROUTES: dict[str, str] = {
    "/healthz": "liveness probe",
    "/calendars/{token}.ics": "calendar feed: the secret token in the URL",
    "/reports": "reports API: bearer token of the unit",
    "/reports/ack": "reports API: bearer token",
    "/ack/{signed}": "acknowledgement link: signed, expiring",
    "/inspections/results": "inspections API: bearer token",
    "/docs": "API documentation",
    "/docs/oauth2-redirect": "API documentation",
    "/openapi.json": "API documentation",
}


def register_open(path: str, why: str) -> None:
    OPEN_ROUTES[path] = why


class LoginRequired(Exception):
    """Raised by a guard for an anonymous visitor: answered with a redirect to /login."""


class Forbidden(Exception):
    """Raised by a guard for a logged-in user without the role: answered with 403."""


@dataclass(frozen=True)
class Guard:
    """A route's audience. ``roles`` None: anyone (a public page); otherwise a logged-in user with one of them."""

    roles: frozenset[str] | None

    def __call__(self, request: Request) -> CurrentUser | None:
        user = load_user(request)
        if self.roles is None:
            return user
        if user is None:
            raise LoginRequired()
        if not (user.roles & self.roles):
            raise Forbidden()
        return user

    # Depends() caches by the callable: equal guards share one cached call per request.
    def __hash__(self) -> int:
        return hash(("guard", self.roles))


def require_role(*roles: str):  # noqa: ANN201 - a Depends(...) marker
    unknown = set(roles) - set(ROLES)
    if unknown or not roles:
        raise ValueError(f"require_role: roles must be among {ROLES}, got {roles}")
    return Depends(Guard(frozenset(roles)))


LOGGED_IN = ROLES  # any role: every logged-in user
public_page = Depends(Guard(None))


def current_user(user: CurrentUser = Depends(Guard(frozenset(ROLES)))) -> CurrentUser:
    """The logged-in user, any role (anonymous visitors are sent to /login). Pages open to some roles only
    use ``require_role`` instead (or as well)."""
    return user


def route_guard(route: object) -> Guard | None:
    """The Guard among a route's dependencies (searched recursively), or None."""
    if not isinstance(route, APIRoute):
        return None
    cached = getattr(route, "_dutyflow_guard", False)
    if cached is not False:
        return cached
    found = None
    stack = list(route.dependant.dependencies)
    while stack and found is None:
        dep = stack.pop()
        if isinstance(dep.call, Guard):
            found = dep.call
        stack.extend(dep.dependencies)
    route._dutyflow_guard = found  # type: ignore[attr-defined]
    return found


def is_page_route(route: object) -> bool:
    return route_guard(route) is not None


async def csrf_guard(request: Request) -> None:
    """App-wide dependency: an unsafe request to a page (a route with a role guard)
    must repeat the session's token. Routes authenticated by their own tokens (``POST /reports`` with a
    bearer token, the acknowledgement form with its one-time token) never read the session cookie, so a
    forged cross-site request gains nothing there and they are left to their own checks."""
    if request.method in SAFE_METHODS:
        return
    guard = route_guard(request.scope.get("route"))
    if guard is None:
        return
    data = read_session(request)
    if guard.roles is not None and (data is None or data.account_id is None):
        return  # not logged in: the route's guard sends the visitor to /login before anything happens
    token = await submitted_token(request)
    if data is None or not token or not hmac.compare_digest(token, data.csrf):
        raise CsrfFailed()
