"""Texts of duty messages: Chinese by default, English for recipients whose locale is ``en``."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


def _clock(instant: dt.datetime, tz: str) -> str:
    return instant.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")


def rollcall_text(locale: str, *, name: str, code: str, reply_until: dt.datetime, tz: str, url: str) -> tuple[str, str]:
    """The roll call itself: the code must be typed (page or CLI); the link only opens the page."""
    until = _clock(reply_until, tz)
    if locale == "en":
        return (
            f"[dutyflow] Roll call: reply with code {code} by {until[-5:]}",
            f"{name}, this is a roll call of the duty office.\nType the code {code} on the roll-call page "
            f"({url}) or run `dutyflow duty rollcall answer {code}` before {until}.\n"
            "Opening the link alone does not answer.",
        )
    return (
        f"【查岗】请于 {until[-5:]} 前输入查岗码 {code}",
        f"{name}同志：现进行值班查岗。\n请在 {until} 前于查岗页面（{url}）输入查岗码 {code}，"
        f"或运行 dutyflow duty rollcall answer {code}。\n仅打开链接不算应答。",
    )


def missed_checkin_text(locale: str, *, who: str, shift_start: dt.datetime, tz: str) -> tuple[str, str]:
    start = _clock(shift_start, tz)
    if locale == "en":
        return (f"[dutyflow] {who} has not checked in", f"{who} has not checked in for the duty starting {start}.")
    return (f"【签到】{who} 未按时签到", f"{who} 未按时签到（{start} 接班），请核实到岗情况。")


def unanswered_text(locale: str, *, who: str, sent_at: dt.datetime, tz: str) -> tuple[str, str]:
    sent = _clock(sent_at, tz)
    if locale == "en":
        return (f"[dutyflow] {who} did not answer a roll call", f"{who} did not answer the roll call of {sent}.")
    return (f"【查岗】{who} 未应答查岗", f"{who} 未在规定时间内应答 {sent} 的查岗，请核实。")


def open_handover_text(locale: str, *, handover_at: dt.datetime, tz: str, missing: str) -> tuple[str, str]:
    at = _clock(handover_at, tz)
    if locale == "en":
        return (f"[dutyflow] Handover of {at} not complete", f"The handover of {at} is not complete: {missing}.")
    return (f"【交接班】{at} 交接班未完成", f"{at} 的交接班尚未完成：{missing}。")
