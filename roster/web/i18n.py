"""Chinese first, English on request. Source strings are the Chinese text; ``EN`` maps them to English.

In templates: ``{{ _("今日值班") }}`` or with fields ``{{ _("共 {n} 人", n=3) }}``. In Python:
``translate("今日值班", lang)``. A feature adds its strings with ``register({"中文": "English", ...})``.
A string without an English entry shows in Chinese (tests/test_web_i18n.py lists the templates' misses).
"""

from __future__ import annotations

from fastapi import Request

from roster.web.session import LANG_COOKIE

ZH, EN_LANG = "zh-CN", "en"
LANGS = (ZH, EN_LANG)
EN: dict[str, str] = {}


def register(messages: dict[str, str]) -> None:
    EN.update(messages)


def translate(text: str, lang: str, **fields: object) -> str:
    out = EN.get(text, text) if lang == EN_LANG else text
    return out.format(**fields) if fields else out


def pick(lang: str, zh: str, en: str) -> str:
    """For messages built in Python with both languages at hand (errors from domain code)."""
    return en if lang == EN_LANG else zh


def request_lang(request: Request, locale: str | None = None) -> str:
    """The language switch's cookie, else the person's language from the admin file, else Chinese."""
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LANGS:
        return chosen
    if locale in LANGS:
        return locale  # type: ignore[return-value]
    return ZH


register(
    {
        "楚雄值班": "Duty console",
        "值班系统": "Duty console",
        "今日值班": "On duty today",
        "排班表": "Roster",
        "排班": "Planning",
        "换班与请假": "Swaps & leave",
        "我的班次": "My shifts",
        "管理": "Admin",
        "审计日志": "Audit log",
        "登录": "Log in",
        "退出": "Log out",
        "账号": "Login",
        "密码": "Password",
        "确认密码": "Confirm password",
        "设置密码": "Set password",
        "修改密码": "Change password",
        "当前密码": "Current password",
        "新密码": "New password",
        "保存": "Save",
        "提交": "Submit",
        "取消": "Cancel",
        "返回首页": "Back to the start page",
        "账号或密码不正确": "Wrong login or password",
        "请输入账号": "Enter your login",
        "请输入密码": "Enter your password",
        "尝试次数过多，请 {seconds} 秒后再试": "Too many attempts; try again in {seconds} s",
        "邀请链接无效、已使用或已过期": "The invite link is invalid, used or expired",
        "欢迎，{name}。请设置登录密码（至少 8 个字符）。": "Welcome, {name}. Choose a password (8 characters or more).",
        "没有权限": "Not allowed",
        "您的账号（{roles}）无权打开此页。": "Your account ({roles}) may not open this page.",
        "页面已过期，请刷新后重试": "The page has expired; reload it and try again",
        "表单已过期或来源不明（CSRF 校验失败），未做任何更改。": (
            "The form expired or did not come from this site (CSRF check failed); nothing was changed."
        ),
        "管理员": "admin",
        "带班领导": "leader on duty",
        "值班人员": "staff",
        "报送单位": "reporting unit",
        "角色": "Roles",
        "语言": "Language",
        "密码已更新": "Password updated",
        "当前密码不正确": "The current password is wrong",
        "English": "English",
        "中文": "中文",
        "页面不存在": "Page not found",
    }
)

ROLE_LABELS = {"admin": "管理员", "leader": "带班领导", "staff": "值班人员", "unit": "报送单位"}
