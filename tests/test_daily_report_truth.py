"""The bureau's daily report says only what is true (issue 16); its decision and rendering are pure (issue 18)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from roster.inspections.daily_report import DailyFacts, UnitState, decide_daily_report, render_daily_report

FACTS = DailyFacts(
    day=dt.date(2026, 11, 23),
    now_local="2026-11-23 17:30",
    bureau_name="楚雄市住房和城乡建设局",
    subject="安全生产",
    duty=("带班领导：马永红（13800000000）；", "值班员：李明（13900000000）。"),
    groups_planned=2,
    visits_planned=3,
    done_by_sector=(("供水", 3),),
    visits_done=3,
    task_forces=(),
    issues=(),
    overdue=(),
    cumulative="累计检查水厂3个。",
    units=(UnitState("供水组", "submitted"), UnitState("锦绣物业", "zero_report")),
)


def _text(facts: DailyFacts) -> tuple[bool, str]:
    verdict = decide_daily_report(facts)
    return verdict.zero_report, render_daily_report(facts, verdict)


def test_zero_report_only_when_every_unit_reported_on_time_and_nothing_was_found() -> None:
    zero, text = _text(FACTS)
    assert zero and text.startswith("楚雄市住房和城乡建设局安全生产零报告\n")
    assert "无瞒报、漏报、迟报" in text and "今日2个工作组安排检查3处" in text


def test_missing_units_are_named_and_no_claim_of_no_omission() -> None:
    facts = replace(FACTS, units=(UnitState("供水组", "missing"), UnitState("锦绣物业", "pending")))
    zero, text = _text(facts)
    assert not zero and text.startswith("楚雄市住房和城乡建设局安全生产日报告")
    assert "截至报告时间，尚有2个单位未报送：供水组、锦绣物业。" in text
    assert "供水组：未报送" in text and "锦绣物业：尚未报送（未到时限）" in text
    assert "无瞒报" not in text and "漏报" not in text


def test_a_late_report_forbids_the_no_late_claim() -> None:
    facts = replace(FACTS, units=(UnitState("供水组", "submitted", late_submission=True),))
    zero, text = _text(facts)
    assert zero and "迟报单位：供水组。" in text and "无瞒报" not in text


def test_findings_overdue_or_missing_results_make_it_a_daily_report() -> None:
    for facts in (
        replace(FACTS, issues=(("锦绣家园", "物业小区", "消防通道堵塞"),)),
        replace(FACTS, overdue=(("2026-11-22", "东方名城", "物业小区组"),)),
        replace(FACTS, visits_done=1),
    ):
        zero, text = _text(facts)
        assert not zero and "以上情况，特此报告。" in text
    _, text = _text(replace(FACTS, visits_done=1, done_by_sector=(("供水", 1),)))
    assert "已报送结果1处" in text and "已报送的检查未发现问题" in text


def test_without_the_ledger_the_report_says_nothing_about_units() -> None:
    zero, text = _text(replace(FACTS, units=None, subject=""))
    assert zero and text.startswith("楚雄市住房和城乡建设局零报告") and "四、" not in text and "无瞒报" not in text


def test_two_writers_of_the_days_report_at_once_leave_one_whole_file(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    """Two overlapping daily-report runs: each used to write `<day>.tmp` and rename it, and the slower
    rename found its file already gone (FileNotFoundError in the flow test, about one run in five)."""
    import threading

    from roster.inspections.daily_report import DailyReport, write_report

    monkeypatch.setenv("DUTYFLOW_HOME", str(tmp_path))
    report = DailyReport(FACTS.day, True, "零报告\n" * 2000, 0, 0, 0)
    errors: list[BaseException] = []

    def write(barrier: threading.Barrier) -> None:
        barrier.wait()
        try:
            write_report(report)
        except BaseException as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)

    for _ in range(100):
        barrier = threading.Barrier(2)
        threads = [threading.Thread(target=write, args=(barrier,)) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    [written] = (tmp_path / "reports").iterdir()
    assert written.name == "2026-11-23-zero-report.txt" and written.read_text(encoding="utf-8") == report.text
