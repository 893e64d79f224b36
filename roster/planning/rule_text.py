"""Hard-rule refusals in the user's language: which rule, and why, with names instead of ids."""

from __future__ import annotations

from roster.admin.schema import BureauFile
from roster.planning.check import Violation

RULE_NAMES = {
    "rest": ("最短休息时间", "minimum rest"),
    "leave": ("请假期间不值班", "no duty while on leave"),
    "consecutive": ("连续值班天数上限", "maximum consecutive duties"),
    "monthly_max": ("每月值班次数上限", "maximum duties per month"),
    "not_together": ("不得同班", "never on duty together"),
    "role": ("岗位资格", "role eligibility"),
    "double_seat": ("同一班次一个席位", "one seat per shift"),
    "gap": ("值班覆盖", "coverage"),
}


def rule_name(rule: str, lang: str) -> str:
    zh, en = RULE_NAMES.get(rule, (rule, rule))
    return en if lang == "en" else zh


def describe(v: Violation, bureau: BureauFile, lang: str) -> str:
    if lang == "en":
        return f"rule “{rule_name(v.rule, lang)}”: {v.message}"
    return f"违反“{rule_name(v.rule, lang)}”规则：{_zh_detail(v, bureau)}"


def _name(bureau: BureauFile, pid: str) -> str:
    person = bureau.person(pid)
    return person.name if person else pid


def _zh_detail(v: Violation, bureau: BureauFile) -> str:
    rules = bureau.rules
    who = _name(bureau, v.people[0]) if v.people else ""
    day = f"{v.date.month}月{v.date.day}日"
    if v.rule == "rest":
        return f"{who} 两次值班之间的休息不足 {rules.min_rest_hours:g} 小时（{day}）"
    if v.rule == "leave":
        return f"{who} {day} 在请假"
    if v.rule == "consecutive":
        return f"{who} 将连续值班超过 {rules.max_consecutive_duties} 天（{day}）"
    if v.rule == "monthly_max":
        return f"{who} {v.date.year}年{v.date.month}月值班将超过 {rules.max_duties_per_month} 次"
    if v.rule == "not_together" and len(v.people) == 2:
        return f"{who} 与 {_name(bureau, v.people[1])} 不得同时值班（{day}）"
    if v.rule == "role":
        return f"{who} 不具备该值班岗位的资格"
    if v.rule == "double_seat":
        return f"{who} 将在 {day} 的同一班次占两个席位"
    return v.message
