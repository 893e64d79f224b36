"""The web console (accounts, 今日值班, board, roster, planning drafts, requests, 我的班次, admin, audit),
declared once: see roster/feature.py. Each router is imported only when the web app is built."""

from __future__ import annotations

from typing import TYPE_CHECKING

from roster.feature import Feature

if TYPE_CHECKING:
    from fastapi import APIRouter


def _login() -> APIRouter:
    from roster.web.routes.web_auth import router

    return router


def _today() -> APIRouter:
    from roster.web.routes.console_home import router

    return router


def _roster() -> APIRouter:
    from roster.web.routes.console_roster import router

    return router


def _plan() -> APIRouter:
    from roster.web.routes.console_plan import router

    return router


def _requests() -> APIRouter:
    from roster.web.routes.console_requests import router

    return router


def _me() -> APIRouter:
    from roster.web.routes.console_me import router

    return router


def _admin() -> APIRouter:
    from roster.web.routes.console_admin import router

    return router


def _audit() -> APIRouter:
    from roster.web.routes.console_audit import router

    return router


# /login, /invite and /lang first; then one router per page family.
FEATURE = Feature(
    name="web",
    routers=(_login, _today, _roster, _plan, _requests, _me, _admin, _audit),
)
