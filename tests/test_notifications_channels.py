"""Person channels -> Apprise URLs, delivery's own texts, and the environment settings."""

from __future__ import annotations

import datetime as dt

import apprise
import pytest

from notifications.channels import ChannelError, apprise_url
from notifications.jobs import deliver_due
from notifications.outbox import enqueue
from notifications.settings import DeliveryPolicy, SettingsError, SmtpSettings
from notifications.templates import format_for_channel, render
from roster.storage import open_session

SMTP = SmtpSettings.from_env(
    {
        "DUTYFLOW_SMTP_HOST": "smtp.cxzjj.gov.cn",
        "DUTYFLOW_SMTP_USER": "duty@cxzjj.gov.cn",
        "DUTYFLOW_SMTP_PASSWORD": "p@ss:/word",
        "DUTYFLOW_SMTP_TLS": "ssl",
    }
)


def _plugin(url: str):  # noqa: ANN202
    notifier = apprise.Apprise()
    assert notifier.add(url), url
    return notifier[0]


def test_email_url_carries_the_smtp_settings() -> None:
    plugin = _plugin(apprise_url("email", "chao.xu01@cxzjj.gov.cn", SMTP))
    assert (plugin.smtp_host, plugin.port, plugin.secure_mode) == ("smtp.cxzjj.gov.cn", 465, "ssl")
    assert (plugin.user, plugin.password) == ("duty@cxzjj.gov.cn", "p@ss:/word")  # quoted and unquoted intact
    assert plugin.targets == [(False, "chao.xu01@cxzjj.gov.cn")]
    assert plugin.from_addr[1] == "duty@cxzjj.gov.cn"


def test_robot_webhook_and_console_urls() -> None:
    assert apprise_url("wecom", "abc-123", SMTP) == "wecombot://abc-123/"
    assert _plugin(apprise_url("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc", SMTP)).key == "abc"
    assert _plugin(apprise_url("dingtalk", "SECRET@tok", SMTP)).token == "tok"
    assert _plugin(apprise_url("feishu", "tok", SMTP)).token == "tok"
    hook = _plugin(apprise_url("webhook", "https://hooks.example.cn/x?token=a%20b", SMTP, message_key="k|1"))
    assert hook.params == {"token": "a b"} and hook.payload_extras == {"dedup_key": "k|1"}
    assert apprise_url("console", "p01", SMTP) == "console://p01"


@pytest.mark.parametrize(
    ("kind", "target", "smtp", "error"),
    [
        ("email", "not-an-address", SMTP, "not an email address"),
        ("email", "a@b.cn", SmtpSettings.from_env({}), "DUTYFLOW_SMTP_HOST"),
        ("webhook", "ftp//nope", SMTP, r"not an http\(s\) URL"),
        ("sms", "13812345678", SMTP, "unknown channel kind"),
        ("wecom", "  ", SMTP, "empty target"),
    ],
)
def test_unusable_channels_are_refused_with_the_reason(kind, target, smtp, error) -> None:  # noqa: ANN001
    with pytest.raises(ChannelError, match=error):
        apprise_url(kind, target, smtp)


def test_texts_in_chinese_by_default_and_english_on_request() -> None:
    assert render("fallback_notice", None, to_channel="钉钉", from_channel="电子邮件", attempts=5).startswith(
        "【改由钉钉发送】"
    )
    assert render("dead_letter_subject", "en", subject="x") == "Undeliverable notification: x"
    assert format_for_channel("dingtalk", "主题", "正文", "zh-CN") == ("", "【主题】\n正文")
    assert format_for_channel("feishu", "Subject", "Body", "en") == ("", "[Subject]\nBody")
    assert format_for_channel("webhook", "主题", "正文", "zh-CN") == ("主题", "正文")


def test_settings_errors_name_the_variable() -> None:
    with pytest.raises(SettingsError, match="DUTYFLOW_SMTP_PORT"):
        SmtpSettings.from_env({"DUTYFLOW_SMTP_PORT": "smtp"})
    with pytest.raises(SettingsError, match="DUTYFLOW_NOTIFY_JITTER"):
        DeliveryPolicy.from_env({"DUTYFLOW_NOTIFY_JITTER": "2"})
    assert SmtpSettings.from_env({"DUTYFLOW_SMTP_TLS": "none"}).port == 25
    assert DeliveryPolicy.from_env({"DUTYFLOW_NOTIFY_BACKOFF_SECONDS": "5"}).backoff == dt.timedelta(seconds=5)


def test_job_entry_point_delivers_and_is_idempotent(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    now = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)
    with open_session(db_url) as s:
        enqueue(
            s,
            key="k",
            source="escalation",
            channel="console",
            address="p01",
            subject="带班提醒",
            body="今晚 20:00 起由您带班。",
            now=now,
        )
        s.commit()
    first = deliver_due(now, db_url)
    assert (first["claimed"], first["sent"]) == (1, 1)
    assert "[notification -> p01] 带班提醒\n今晚 20:00 起由您带班。" in capsys.readouterr().out
    assert deliver_due(now, db_url)["claimed"] == 0
