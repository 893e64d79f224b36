"""Fairness as people see it: opening ledger + every stored shift, per category, and the spread per role."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from roster.admin.schema import BureauFile
from roster.planning.stored import CATEGORIES, category_counts_before

FAR_FUTURE = dt.date(9999, 12, 31)


def fairness_table(session: Session, bureau: BureauFile) -> dict[str, Any]:
    stored = category_counts_before(session, FAR_FUTURE)
    people = []
    for p in bureau.people:
        roles = [r for r in p.roles if bureau.requirements.get(r, 0) > 0]
        if not roles:
            continue
        opening = bureau.fairness.ledger.get(p.id)
        row: dict[str, Any] = {"id": p.id, "name": p.name, "role": roles[0]}
        for c in CATEGORIES:
            row[c] = (getattr(opening, c) if opening else 0) + stored.get(p.id, {}).get(c, 0)
            row[f"{c}_ledger"] = getattr(opening, c) if opening else 0
        people.append(row)
    spread: dict[str, dict[str, int]] = {}
    for role in dict.fromkeys(r["role"] for r in people):
        rows = [r for r in people if r["role"] == role]
        spread[role] = {c: max(r[c] for r in rows) - min(r[c] for r in rows) for c in CATEGORIES}
    return {"people": people, "spread": spread}
