"""A person's channel {kind, target} as an Apprise URL: the one place that knows Apprise's URL schemes.

    email     target an address          -> mailto(s)://[user:password@]smtp-host:port/?smtp=..&from=..&to=..
    wecom     a robot key or robot URL   -> wecombot://KEY (or the https://qyapi.weixin.qq.com/... URL as is)
    dingtalk  access token [SECRET@TOKEN] or robot URL -> dingtalk://[SECRET@]TOKEN/
    feishu    a robot token or robot URL -> feishu://TOKEN
    webhook   an http(s) URL             -> json(s)://host/path  (POSTs {"title", "message", "type", ...})
    console   a label (e.g. person id)   -> console://LABEL (printed by this process)
A target that already is an Apprise URL (``scheme://`` other than http/https) is used as given.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from notifications.settings import TLS_MODES, SmtpSettings

KINDS = ("email", "wecom", "dingtalk", "feishu", "webhook", "console")
ROBOT_SCHEMES = {"wecom": "wecombot", "dingtalk": "dingtalk", "feishu": "feishu"}


class ChannelError(ValueError):
    """The channel cannot be used as configured (unknown kind, bad target, no SMTP server): not worth retrying."""


def apprise_url(kind: str, target: str, smtp: SmtpSettings, *, message_key: str | None = None) -> str:
    target = target.strip()
    if not target:
        raise ChannelError(f"{kind} channel has an empty target")
    if kind == "email":
        return _email_url(target, smtp)
    if kind in ROBOT_SCHEMES:
        if "://" in target:
            return target  # the robot's own https URL (Apprise parses it) or a ready Apprise URL
        safe = "@" if kind == "dingtalk" else ""
        return f"{ROBOT_SCHEMES[kind]}://{quote(target, safe=safe)}/"
    if kind == "webhook":
        return _webhook_url(target, message_key)
    if kind == "console":
        return f"console://{quote(target, safe='')}"
    raise ChannelError(f"unknown channel kind {kind!r}; expected one of {', '.join(KINDS)}")


def _email_url(address: str, smtp: SmtpSettings) -> str:
    if "@" not in address or address.startswith("@") or address.endswith("@"):
        raise ChannelError(f"email channel: not an email address: {address!r}")
    if not smtp.host:
        raise ChannelError("email channel: DUTYFLOW_SMTP_HOST is not set")
    # Apprise refuses a sender at an IP address; "dutyflow@localhost" is the harmless default.
    sender = smtp.sender or (smtp.user if smtp.user and "@" in smtp.user else "dutyflow@localhost")
    credentials = ""
    if smtp.user:
        credentials = quote(smtp.user, safe="")
        if smtp.password:
            credentials += ":" + quote(smtp.password, safe="")
        credentials += "@"
    scheme = "mailto" if smtp.tls == "none" else "mailtos"
    query = urlencode({"smtp": smtp.host, "from": sender, "to": address, "mode": TLS_MODES[smtp.tls]}, quote_via=quote)
    return f"{scheme}://{credentials}{_host(smtp.host)}:{smtp.port}/?{query}"


def _webhook_url(target: str, message_key: str | None) -> str:
    parts = urlsplit(target)
    if parts.scheme in ("http", "https"):
        if not parts.netloc:
            raise ChannelError(f"webhook channel: no host in {target!r}")
        scheme = "json" if parts.scheme == "http" else "jsons"
        url = f"{scheme}://{parts.netloc}{parts.path or '/'}"
        # The message's dedup key travels with it, so the receiver can drop a repeat after a crash.
        # Apprise passes query parameters on to the receiver only when prefixed with "-".
        params = {f"-{name}": value for name, value in parse_qsl(parts.query, keep_blank_values=True)}
        if message_key:
            params[":dedup_key"] = message_key
        return f"{url}?{urlencode(params, quote_via=quote)}" if params else url
    if parts.scheme and "://" in target:
        return target
    raise ChannelError(f"webhook channel: not an http(s) URL: {target!r}")


def _host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host
