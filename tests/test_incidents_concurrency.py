"""Two leaders sign the same draft at the same moment: exactly one wins, the other is told who did."""

from __future__ import annotations

import threading

from sqlalchemy import select

from roster.incidents import ledger, reports
from roster.incidents.errors import SignConflict
from roster.storage import open_session
from roster.storage.models.incidents import SIGNED, IncidentEvent, IncidentReport
from tests.incidents_helpers import install, utc

NOW = utc(2026, 11, 29, 3, 0)  # p03 leads the 29 November shift; p01 (head) and p02 are named signers


def test_two_leaders_signing_one_draft_at_once(any_db_url: str) -> None:
    with open_session(any_db_url) as session:
        install(session, utc(2026, 11, 29).date())
        incident = ledger.open_incident(
            session, title="燃气管道泄漏", severity="major", received_at=NOW, now=NOW, place="鹿城南路", by="p10"
        )
        report = reports.draft(session, incident.id, now=NOW, by="p10")
        session.commit()
        report_id, version = report.id, report.version

    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def sign_as(signer: str) -> None:
        with open_session(any_db_url) as session:
            seen = session.get(IncidentReport, report_id).version  # both read the draft before either signs
            barrier.wait()
            try:
                reports.sign(session, report_id, version=seen, signer=signer, now=NOW)
                session.commit()
                outcomes[signer] = "signed"
            except SignConflict as exc:
                session.rollback()
                outcomes[signer] = exc

    threads = [threading.Thread(target=sign_as, args=(who,)) for who in ("p03", "p02")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    winners = [who for who, outcome in outcomes.items() if outcome == "signed"]
    assert len(outcomes) == 2 and len(winners) == 1, outcomes
    loser = next(who for who in outcomes if who not in winners)
    told = outcomes[loser]
    assert isinstance(told, SignConflict) and f"（{winners[0]}）于" in str(told) and "already signed" in str(told)
    with open_session(any_db_url) as session:
        row = session.get(IncidentReport, report_id)
        assert (row.status, row.signed_by, row.version) == (SIGNED, winners[0], version + 1)
        signed = session.scalars(select(IncidentEvent).where(IncidentEvent.kind == "signed")).all()
        assert [e.actor for e in signed] == winners


def test_two_officers_registering_at_once_get_consecutive_numbers(any_db_url: str) -> None:
    with open_session(any_db_url) as session:
        install(session, utc(2026, 11, 29).date())
    barrier = threading.Barrier(2)
    codes: list[str] = []

    def register(title: str) -> None:
        with open_session(any_db_url) as session:
            barrier.wait()
            incident = ledger.open_incident(session, title=title, severity="general", received_at=NOW, now=NOW)
            session.commit()
            codes.append(incident.code)

    threads = [threading.Thread(target=register, args=(t,)) for t in ("井盖缺失", "路灯倒伏")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(codes) == ["2026-11-001", "2026-11-002"]
