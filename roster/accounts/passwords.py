"""Password hashing (argon2id) and the password policy.

Parameters: OWASP's first recommended argon2id configuration (19 MiB, 2 passes, 1 lane), about 0.1 s per
login on a busy 2-core machine. argon2-cffi's own default (64 MiB, 3 passes, 4 lanes) took 0.9-1.2 s there,
which would let a handful of login attempts occupy the server. Hashes with other parameters are upgraded at
the next successful login (``needs_rehash``).
"""

from __future__ import annotations

from functools import cache

MIN_LENGTH = 8
MAX_LENGTH = 256  # argon2 takes any length; a bound keeps a hostile form from costing seconds


@cache
def _hasher():  # noqa: ANN202 - argon2 is imported on first use only (the CLI's fast paths never need it)
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    if not stored_hash:
        return False
    try:
        return _hasher().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher().check_needs_rehash(stored_hash)


# (message key, zh-CN, en): the web layer shows the message in the user's language beside the field.
TOO_SHORT = ("too_short", f"密码至少 {MIN_LENGTH} 个字符", f"at least {MIN_LENGTH} characters")
TOO_LONG = ("too_long", f"密码最多 {MAX_LENGTH} 个字符", f"at most {MAX_LENGTH} characters")
SAME_AS_LOGIN = ("same_as_login", "密码不能与账号相同", "must differ from the login name")
MISMATCH = ("mismatch", "两次输入的密码不一致", "the two passwords differ")


def password_problem(password: str, login: str, confirm: str | None = None) -> tuple[str, str, str] | None:
    """The first reason ``password`` is refused, or None."""
    if len(password) < MIN_LENGTH:
        return TOO_SHORT
    if len(password) > MAX_LENGTH:
        return TOO_LONG
    if password.strip().lower() == login.strip().lower():
        return SAME_AS_LOGIN
    if confirm is not None and confirm != password:
        return MISMATCH
    return None
