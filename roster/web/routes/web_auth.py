"""Log in, log out, invite links, password change and the language switch."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from roster.accounts import throttle
from roster.accounts.passwords import hash_password, needs_rehash, verify_password
from roster.accounts.service import AccountError, authenticate, pending_invite, redeem_invite, set_password
from roster.admin.current import NoBureauApplied, current_bureau
from roster.storage import open_session
from roster.storage.models.accounts import Account
from roster.web.access import current_user, public_page
from roster.web.auth import CurrentUser
from roster.web.deps import clock_now
from roster.web.i18n import LANGS, pick, register, request_lang, translate
from roster.web.session import LANG_COOKIE, clear_session, is_https, new_login_session, write_session
from roster.web.templating import render

router = APIRouter(tags=["web console"], include_in_schema=False)

register(
    {
        "账号为管理文件中的人员编号（如 p05）或报送单位编号；首次登录请使用管理员发给您的邀请链接。": (
            "Your login is your person id in the admin file (e.g. p05) or your reporting unit's id; the first "
            "time, use the invite link your administrator sent you."
        ),
        "请联系管理员重新发送邀请。": "Ask your administrator for a new invite.",
        "设置密码并登录": "Set password and log in",
        "导航": "Navigation",
        "系统尚未加载管理文件": "No admin file has been applied yet",
    }
)


def safe_next(target: str | None) -> str:
    """Only paths on this site: never ``//evil.example`` or an absolute URL (open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.get("/login", dependencies=[public_page])
def login_form(request: Request, next: str = "/") -> Response:
    return render(request, "login.html", {"title": "登录", "next": safe_next(next), "login": "", "errors": {}})


@router.post("/login", dependencies=[public_page])
def login_submit(request: Request, login: str = Form(""), password: str = Form(""), next: str = Form("/")) -> Response:
    lang = request_lang(request)
    errors: dict[str, str] = {}
    if not login.strip():
        errors["login"] = translate("请输入账号", lang)
    if not password:
        errors["password"] = translate("请输入密码", lang)
    ctx = {"title": "登录", "next": safe_next(next), "login": login.strip(), "errors": errors}
    if errors:
        return render(request, "login.html", ctx, status_code=400)
    now = clock_now(request)
    key, address = login.strip().lower()[:80], client_address(request)
    with open_session(request.app.state.database_url) as session:
        limited = throttle.check(session, key, address, now)
        if limited is not None:
            ctx["form_error"] = translate("尝试次数过多，请 {seconds} 秒后再试", lang, seconds=limited.retry_after)
            return render(
                request, "login.html", ctx, status_code=429, headers={"Retry-After": str(limited.retry_after)}
            )
        try:
            bureau = current_bureau(session)
        except NoBureauApplied:
            ctx["form_error"] = translate("系统尚未加载管理文件", lang)
            return render(request, "login.html", ctx, status_code=503)
        account = authenticate(session, bureau, login, password)
        if account is None:
            throttle.record_failure(session, key, address, now)
            session.commit()
            ctx["errors"] = {"password": translate("账号或密码不正确", lang)}
            return render(request, "login.html", ctx, status_code=400)
        throttle.clear_account(session, key)
        account.last_login_at = now
        if needs_rehash(account.password_hash or ""):
            account.password_hash = hash_password(password)
        session.commit()
        data = new_login_session(account.id, account.session_epoch)
    response = RedirectResponse(safe_next(next), status_code=303)
    write_session(request, response, data)
    return response


@router.post("/logout", dependencies=[public_page])
def logout(request: Request) -> Response:
    response = RedirectResponse("/login", status_code=303)
    clear_session(request, response)
    return response


@router.get("/invite/{token}", dependencies=[public_page])
def invite_form(request: Request, token: str) -> Response:
    """Shows whose invite it is; opening the link changes nothing (mail scanners fetch links)."""
    with open_session(request.app.state.database_url) as session:
        found = pending_invite(session, token, clock_now(request))
        name = login = ""
        if found is not None:
            login = found[1].login
            name = _display_name(session, found[1])
    ctx = {"title": "设置密码", "invalid": found is None, "token": token, "name": name, "login": login, "errors": {}}
    return render(request, "invite.html", ctx, status_code=200 if found else 404)


@router.post("/invite/{token}", dependencies=[public_page])
def invite_submit(request: Request, token: str, password: str = Form(""), confirm: str = Form("")) -> Response:
    lang = request_lang(request)
    now = clock_now(request)
    with open_session(request.app.state.database_url) as session:
        try:
            account = redeem_invite(session, token, password, confirm, now)
        except AccountError as exc:
            session.rollback()
            found = pending_invite(session, token, now)
            ctx = {
                "title": "设置密码",
                "invalid": found is None,
                "token": token,
                "name": _display_name(session, found[1]) if found else "",
                "login": found[1].login if found else "",
                "errors": {exc.field: pick(lang, exc.zh, exc.en)},
            }
            return render(request, "invite.html", ctx, status_code=400 if found else 404)
        account.last_login_at = now
        session.commit()
        data = new_login_session(account.id, account.session_epoch)
    response = RedirectResponse("/", status_code=303)
    write_session(request, response, data)
    return response


def _display_name(session, account: Account) -> str:  # noqa: ANN001
    from roster.accounts.roles import find_subject

    try:
        subject = find_subject(current_bureau(session), account.kind, account.subject_id)
    except NoBureauApplied:
        return account.login
    return subject.name if subject else account.login


@router.get("/account/password")
def password_form(request: Request, user: CurrentUser = Depends(current_user)) -> Response:
    return render(request, "password.html", {"title": "修改密码", "errors": {}})


@router.post("/account/password")
def password_submit(
    request: Request,
    current: str = Form(""),
    password: str = Form(""),
    confirm: str = Form(""),
    user: CurrentUser = Depends(current_user),
) -> Response:
    lang = request_lang(request, user.locale)
    now = clock_now(request)
    with open_session(request.app.state.database_url) as session:
        account = session.get(Account, user.account_id)
        assert account is not None  # the guard just loaded it
        errors: dict[str, str] = {}
        if not verify_password(account.password_hash, current):
            errors["current"] = translate("当前密码不正确", lang)
        else:
            try:
                set_password(session, account, password, confirm, now, actor=account.login)
            except AccountError as exc:
                errors[exc.field] = pick(lang, exc.zh, exc.en)
        if errors:
            session.rollback()
            return render(request, "password.html", {"title": "修改密码", "errors": errors}, status_code=400)
        session.commit()
        data = new_login_session(account.id, account.session_epoch)  # this device stays logged in
    response = RedirectResponse("/", status_code=303)
    write_session(request, response, data)
    return response


@router.post("/lang", dependencies=[public_page])
def switch_language(request: Request, lang: str = Form(""), next: str = Form("/")) -> Response:
    response = RedirectResponse(safe_next(next), status_code=303)
    if lang in LANGS:
        response.set_cookie(
            LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax", secure=is_https(request), path="/"
        )
    return response
