"""Texts delivery itself writes, keyed by (kind, locale), and the per-channel shape of a message.

Evaluation passes ready subjects and bodies; this module only adds what delivery has to say itself (a
fallback notice, the dead-letter notice to the operator) and fits a message to its channel: a title for
email and webhooks, one block of text for the group robots, which have no title field.
"""

from __future__ import annotations

from roster.config import DEFAULT_LOCALE

CHANNEL_NAMES: dict[tuple[str, str], str] = {
    ("email", "zh-CN"): "电子邮件",
    ("wecom", "zh-CN"): "企业微信",
    ("dingtalk", "zh-CN"): "钉钉",
    ("feishu", "zh-CN"): "飞书",
    ("webhook", "zh-CN"): "Webhook",
    ("console", "zh-CN"): "控制台",
    ("email", "en"): "email",
    ("wecom", "en"): "WeCom",
    ("dingtalk", "en"): "DingTalk",
    ("feishu", "en"): "Feishu",
    ("webhook", "en"): "webhook",
    ("console", "en"): "console",
}

TEMPLATES: dict[tuple[str, str], str] = {
    ("fallback_notice", "zh-CN"): "【改由{to_channel}发送】此消息原定通过{from_channel}发送，{attempts}次均未成功。",
    ("fallback_notice", "en"): "[Sent by {to_channel}] This message was meant for {from_channel}; "
    "{attempts} attempt(s) failed.",
    ("dead_letter_subject", "zh-CN"): "通知无法送达：{subject}",
    ("dead_letter_subject", "en"): "Undeliverable notification: {subject}",
    ("dead_letter_body", "zh-CN"): "消息 #{id}（收件人 {person}）在所有渠道均发送失败，最后一次：{channel} {address}，"
    "错误：{error}。请电话联系收件人；排除故障后可执行 dutyflow notifications retry {id} 重新发送。",
    ("dead_letter_body", "en"): "Message #{id} (to {person}) failed on every channel; last tried {channel} {address}, "
    "error: {error}. Reach the person by phone; after fixing the cause, run dutyflow notifications retry {id}.",
    ("email_footer", "zh-CN"): "——\n本邮件由 dutyflow 值班系统自动发送。",
    ("email_footer", "en"): "--\nSent automatically by the dutyflow duty system.",
}

ROBOT_CHANNELS = frozenset({"wecom", "dingtalk", "feishu"})


def normalize_locale(locale: str | None) -> str:
    if locale and locale.lower().startswith("en"):
        return "en"
    return DEFAULT_LOCALE


def render(kind: str, locale: str | None, **fields: object) -> str:
    """The text of ``kind`` in ``locale`` (Chinese unless English is asked for), filled with ``fields``."""
    return TEMPLATES[(kind, normalize_locale(locale))].format(**fields)


def channel_name(channel: str, locale: str | None) -> str:
    return CHANNEL_NAMES.get((channel, normalize_locale(locale)), channel)


def format_for_channel(channel: str, subject: str, body: str, locale: str | None) -> tuple[str, str]:
    """(title, body) as the channel should show them."""
    if channel in ROBOT_CHANNELS:
        # Group robots show one text block: the subject goes in front, in the brackets staff expect.
        opening, closing = ("【", "】") if normalize_locale(locale) == DEFAULT_LOCALE else ("[", "]")
        return "", f"{opening}{subject}{closing}\n{body}"
    if channel == "email":
        return subject, f"{body}\n\n{render('email_footer', locale)}"
    return subject, body
