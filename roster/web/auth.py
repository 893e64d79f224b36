"""The logged-in user of a request: session cookie → account → roles from the admin file in force."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from roster.accounts.roles import PERSON, find_subject
from roster.admin.current import NoBureauApplied, current_bureau
from roster.storage import open_session
from roster.storage.models.accounts import Account
from roster.web.session import read_session


@dataclass(frozen=True)
class CurrentUser:
    account_id: int
    login: str
    kind: str  # "person" or "unit"
    subject_id: str  # person id (p05) or unit id (grp-parks)
    name: str
    roles: frozenset[str]
    locale: str | None  # the person's language from the admin file, if set
    csrf: str

    @property
    def person_id(self) -> str | None:
        return self.subject_id if self.kind == PERSON else None

    def has(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))


def load_user(request: Request) -> CurrentUser | None:
    """The request's user (cached on the request), or None: no cookie, a bad signature, an ended session,
    a disabled account, or someone no longer in the admin file."""
    if "dutyflow_user" in request.scope.get("state", {}):
        return request.state.dutyflow_user
    user = _load(request)
    request.state.dutyflow_user = user
    return user


def _load(request: Request) -> CurrentUser | None:
    data = read_session(request)
    if data is None or data.account_id is None:
        return None
    with open_session(request.app.state.database_url) as session:
        account = session.get(Account, data.account_id)
        if account is None or account.disabled_at is not None or account.session_epoch != data.epoch:
            return None
        try:
            bureau = current_bureau(session)
        except NoBureauApplied:
            return None
        subject = find_subject(bureau, account.kind, account.subject_id)
    if subject is None or not subject.roles:
        return None
    return CurrentUser(
        account.id,
        account.login,
        account.kind,
        account.subject_id,
        subject.name,
        subject.roles,
        subject.locale,
        data.csrf,
    )


def optional_user(request: Request) -> CurrentUser | None:
    return load_user(request)
