"""Property: any valid bureau, applied after any other, is exactly what ``current_bureau`` returns, and the
people, group and leave rows mirror the file (removed people inactive, never deleted)."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from roster.admin.apply import apply_bureau
from roster.admin.current import current_bureau
from roster.admin.loader import check_references
from roster.admin.schema import BureauFile
from roster.storage import open_session
from roster.storage.models.people import Group, GroupMembership, Leave, Person

NAMES = st.text(alphabet=st.sampled_from("张王李赵钱孙周吴abcdeXYZ"), min_size=1, max_size=6)
ROLES = ["leader_on_duty", "duty_officer"]


@st.composite
def bureaus(draw: st.DrawFn) -> BureauFile:
    person_ids = draw(
        st.lists(st.sampled_from([f"p{n:02d}" for n in range(1, 13)]), min_size=2, max_size=8, unique=True)
    )
    group_ids = draw(st.lists(st.sampled_from(["construction", "parks", "water", "g-4"]), max_size=3, unique=True))
    people = []
    for pid in person_ids:
        person = {
            "id": pid,
            "name": draw(NAMES),
            "phone": draw(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)),
            "roles": draw(st.lists(st.sampled_from(ROLES), max_size=2, unique=True)),
            "groups": draw(st.lists(st.sampled_from(group_ids), max_size=2, unique=True)) if group_ids else [],
            "rank": draw(st.sampled_from(["", "科员", "副局长"])),
        }
        if draw(st.booleans()):
            person["email"] = f"{pid}@cxzjj.gov.cn"
        if draw(st.booleans()):
            person["locale"] = draw(st.sampled_from(["zh-CN", "en"]))
        if draw(st.booleans()):
            person["calendar_reminder_minutes"] = draw(st.integers(0, 600))
        person["channels"] = draw(
            st.lists(
                st.fixed_dictionaries({"kind": st.sampled_from(["email", "console"]), "target": NAMES}), max_size=2
            )
        )
        people.append(person)
    eligible = {role: sum(role in p["roles"] for p in people) for role in ROLES}
    requirements = {role: min(draw(st.integers(0, 2)), eligible[role]) for role in ROLES}
    kind = draw(st.sampled_from(["full", "day_night"]))
    pattern = {"kind": kind, "handover": draw(st.sampled_from(["08:00", "08:30", "09:00"]))}
    if kind == "day_night":
        pattern["night_starts"] = draw(st.sampled_from(["17:30", "18:00", "20:00"]))
    pair = st.lists(st.sampled_from(person_ids), min_size=2, max_size=2, unique=True)
    leave = []
    for _ in range(draw(st.integers(0, 3))):
        first = dt.date(2026, 1, 1) + dt.timedelta(days=draw(st.integers(0, 400)))
        last = first + dt.timedelta(days=draw(st.integers(0, 10)))
        leave.append({"person": draw(st.sampled_from(person_ids)), "from": first, "to": last, "reason": draw(NAMES)})
    data = {
        "version": 1,
        "bureau": {
            "name": draw(NAMES),
            "timezone": draw(st.sampled_from(["Asia/Shanghai", "Asia/Urumqi", "UTC", "Europe/Berlin"])),
            "locale": draw(st.sampled_from(["zh-CN", "en"])),
            "head": draw(st.one_of(st.none(), st.sampled_from(person_ids))),
        },
        "shift_pattern": pattern,
        "requirements": requirements,
        "rules": {
            "min_rest_hours": draw(st.sampled_from([0, 12, 24, 36.5, 48])),
            "max_consecutive_duties": draw(st.integers(1, 3)),
            "max_duties_per_month": draw(st.integers(1, 10)),
            "not_together": draw(st.lists(pair, max_size=2)),
        },
        "fairness": {
            "ledger": {
                pid: {"duties": draw(st.integers(0, 9)), "nights": draw(st.integers(0, 9))}
                for pid in draw(st.lists(st.sampled_from(person_ids), max_size=3, unique=True))
            }
        },
        "people": people,
        "groups": [
            {"id": gid, "name": draw(NAMES), "leader": draw(st.one_of(st.none(), st.sampled_from(person_ids)))}
            for gid in group_ids
        ],
        "leave": leave,
        "holidays": {
            "covered_years": draw(st.lists(st.sampled_from([2027, 2028]), max_size=2, unique=True)),
            "holidays": [{"date": "2027-01-01", "name": "元旦"}] if draw(st.booleans()) else [],
        },
    }
    bureau = BureauFile.model_validate(data)
    assert check_references(bureau) == []  # the strategy only builds valid files
    return bureau


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=st.lists(bureaus(), min_size=1, max_size=3))
def test_apply_then_current_bureau_round_trips(db_url: str, sequence: list[BureauFile]) -> None:
    now = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
    with open_session(db_url) as s:
        ever: set[str] = set(s.scalars(select(Person.id)))
        for step, bureau in enumerate(sequence):
            apply_bureau(s, bureau, now + dt.timedelta(minutes=step))
            s.commit()
            assert current_bureau(s) == bureau
            ids = {p.id for p in bureau.people}
            ever |= ids
            rows = {p.id: p for p in s.scalars(select(Person))}
            assert set(rows) == ever  # nobody is ever deleted
            assert {pid for pid, row in rows.items() if row.active} == ids
            for person in bureau.people:
                row = rows[person.id]
                assert (row.name, row.phone, row.roles) == (person.name, person.phone, person.roles)
            assert {g.id for g in s.scalars(select(Group)) if g.active} == {g.id for g in bureau.groups}
            assert {(m.group_id, m.person_id) for m in s.scalars(select(GroupMembership))} == {
                (g, p.id) for p in bureau.people for g in p.groups
            }
            assert {(r.person_id, r.first_day, r.last_day) for r in s.scalars(select(Leave))} == {
                (span.person, span.first_day, span.last_day) for span in bureau.leave
            }
            # Applying the same bureau again is a no-op.
            assert apply_bureau(s, bureau, now + dt.timedelta(hours=1)).changes == []
            s.commit()
