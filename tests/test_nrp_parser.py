"""The benchmark reader: the three shipped instances, line-ending and layout variants, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nrp.parser import (
    NrpCover,
    NrpFormatError,
    NrpInstance,
    NrpRequest,
    NrpShift,
    NrpStaff,
    parse_file,
    parse_text,
    to_text,
)

DATA = Path(__file__).resolve().parent.parent / "bench" / "data" / "nrp"


def raw_sections(path: Path) -> dict[str, list[str]]:
    """Data lines per section, read naively (the test's own reading of the file, for cross-checking)."""
    out: dict[str, list[str]] = {}
    current = None
    for line in path.read_bytes().decode().split("\r\n"):
        if line.startswith("SECTION_"):
            current = line
            out[current] = []
        elif line and not line.startswith("#") and current:
            out[current].append(line)
    return out


@pytest.mark.parametrize(("number", "staff", "shifts"), [(1, 8, 1), (2, 14, 2), (3, 20, 3)])
def test_shipped_instances_match_their_files(number: int, staff: int, shifts: int) -> None:
    path = DATA / f"Instance{number}.txt"
    assert b"\r\n" in path.read_bytes()  # the shipped files are CRLF, as published
    raw = raw_sections(path)
    inst = parse_file(path)
    assert inst.name == f"Instance{number}"
    assert inst.horizon == 14 == int(raw["SECTION_HORIZON"][0])
    assert len(inst.staff) == staff == len(raw["SECTION_STAFF"])
    assert len(inst.shifts) == shifts == len(raw["SECTION_SHIFTS"])
    assert len(inst.on_requests) == len(raw["SECTION_SHIFT_ON_REQUESTS"])
    assert len(inst.off_requests) == len(raw["SECTION_SHIFT_OFF_REQUESTS"])
    assert len(inst.cover) == len(raw["SECTION_COVER"]) == 14 * shifts
    assert sum(len(days) for days in inst.days_off.values()) == sum(
        len(line.split(",")) - 1 for line in raw["SECTION_DAYS_OFF"]
    )
    assert inst.weekends() == ((5, 6), (12, 13))


def test_instance3_details() -> None:
    inst = parse_file(DATA / "Instance3.txt")
    assert inst.shift("L").cannot_follow == {"E", "D"}
    assert inst.shift("E").cannot_follow == frozenset()
    a = inst.employee("A")
    assert dict(a.max_shifts) == {"E": 14, "D": 14, "L": 0}
    assert (a.max_total_minutes, a.min_total_minutes) == (4320, 3360)
    assert (a.max_consecutive_shifts, a.min_consecutive_shifts, a.min_consecutive_days_off, a.max_weekends) == (
        5,
        2,
        2,
        1,
    )
    p = inst.employee("P")
    assert (p.max_total_minutes, p.min_total_minutes, p.min_consecutive_shifts) == (2160, 1200, 1)
    assert inst.days_off["A"] == {0}


MINIMAL = """SECTION_HORIZON
7
SECTION_SHIFTS
D,480,N
N,600
SECTION_STAFF
A,D=7|N=2,3000,0,5,1,1,1
B,,3000,0,5,1,1,1
"""


def test_line_endings_layout_and_optional_sections() -> None:
    lf = parse_text(MINIMAL, "x")
    assert parse_text(MINIMAL.replace("\n", "\r\n"), "x") == lf
    assert parse_text(MINIMAL.replace("\n", "\r"), "x") == lf
    assert lf.days_off == {} and lf.on_requests == () and lf.off_requests == () and lf.cover == ()
    assert lf.shift("N").cannot_follow == frozenset() and lf.shift("D").cannot_follow == {"N"}
    assert dict(lf.employee("B").max_shifts) == {}  # an empty MaxShifts field = no per-type limit
    assert lf.weekends() == ((5, 6),)

    reordered = (
        "# comment first\n\nSECTION_COVER\n0,N,1,10,1\n\nSECTION_DAYS_OFF\nA,1,2\nA,3\n  B , 4 \n"
        "SECTION_SHIFT_ON_REQUESTS\nSECTION_SHIFT_OFF_REQUESTS\n# nothing\n" + MINIMAL
    )
    inst = parse_text(reordered, "y")
    assert inst.days_off == {"A": {1, 2, 3}, "B": {4}}  # repeated employee lines merge, fields are trimmed
    assert inst.cover[0].shift == "N" and inst.cover[0].under_weight == 10
    assert parse_text(MINIMAL.replace("7\n", "10\n"), "z").weekends() == ((5, 6),)
    assert parse_text(MINIMAL.replace("7\n", "13\n"), "z").weekends() == ((5, 6), (12,))


@pytest.mark.parametrize(
    ("text", "line", "section", "fragment"),
    [
        (MINIMAL.replace("A,D=7|N=2,3000,0,5,1,1,1", "A,D=7|N=2,3000,0,5,1,1"), 7, "SECTION_STAFF", "expected 8"),
        (MINIMAL.replace("D=7|N=2", "D=7|X=2"), 7, "SECTION_STAFF", "unknown shift 'X'"),
        (MINIMAL.replace("D=7|N=2", "D=seven"), 7, "SECTION_STAFF", "MaxShifts for D must be an integer"),
        (MINIMAL.replace("D,480,N", "D,480,Q"), 4, "SECTION_SHIFTS", "unknown shift 'Q'"),
        (MINIMAL.replace("N,600", "D,600"), 5, "SECTION_SHIFTS", "defined twice"),
        (MINIMAL.replace("B,,", "A,,"), 8, "SECTION_STAFF", "employee 'A' defined twice"),
        (MINIMAL.replace("7\n", "-3\n", 1), 2, "SECTION_HORIZON", ">= 1"),
        (MINIMAL + "SECTION_DAYS_OFF\nA,7\n", 10, "SECTION_DAYS_OFF", "outside the horizon 0..6"),
        (MINIMAL + "SECTION_DAYS_OFF\nZ,1\n", 10, "SECTION_DAYS_OFF", "unknown employee 'Z'"),
        (MINIMAL + "SECTION_SHIFT_ON_REQUESTS\nA,1,D\n", 10, "SECTION_SHIFT_ON_REQUESTS", "expected 4"),
        (MINIMAL + "SECTION_SHIFT_OFF_REQUESTS\nA,1,D,x\n", 10, "SECTION_SHIFT_OFF_REQUESTS", "weight"),
        (MINIMAL + "SECTION_COVER\n0,D,1,1,1\n0,D,2,1,1\n", 11, "SECTION_COVER", "repeated (line 10)"),
        (MINIMAL + "SECTION_COVER\n0,D,-1,1,1\n", 10, "SECTION_COVER", "requirement must be >= 0"),
        (MINIMAL + "SECTION_WHATEVER\n", 9, None, "unknown section"),
        (MINIMAL + "SECTION_STAFF\n", 9, "SECTION_STAFF", "section repeated (first at line 6)"),
        ("7\n" + MINIMAL, 1, None, "data before the first SECTION_"),
    ],
)
def test_malformed_input_names_line_and_section(text: str, line: int, section: str | None, fragment: str) -> None:
    with pytest.raises(NrpFormatError) as info:
        parse_text(text, "bad", source="bad.txt")
    err = info.value
    assert (err.line, err.section) == (line, section), str(err)
    assert fragment in str(err)
    assert str(err).startswith(f"bad.txt:{line}")


def test_missing_required_section_and_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(NrpFormatError, match=r"\[SECTION_STAFF\]: required section missing"):
        parse_text(MINIMAL.split("SECTION_STAFF")[0], "x")
    binary = tmp_path / "bin.txt"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(NrpFormatError, match="not UTF-8"):
        parse_file(binary)


@pytest.mark.parametrize("number", [1, 2, 3])
def test_writing_an_instance_back_reads_the_same(number: int) -> None:
    inst = parse_file(DATA / f"Instance{number}.txt")
    assert parse_text(to_text(inst), inst.name) == inst


_ids = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZabcdefghjk0123456789_", min_size=1, max_size=4)


@st.composite
def instances(draw: st.DrawFn) -> NrpInstance:
    horizon = draw(st.integers(1, 35))
    shift_ids = draw(st.lists(_ids, min_size=1, max_size=5, unique=True))
    shifts = tuple(
        NrpShift(sid, draw(st.integers(0, 900)), frozenset(draw(st.lists(st.sampled_from(shift_ids), max_size=3))))
        for sid in shift_ids
    )
    staff_ids = draw(st.lists(_ids, min_size=1, max_size=6, unique=True))
    small = st.integers(0, 10_000)
    staff = tuple(
        NrpStaff(
            eid,
            {sid: draw(st.integers(0, horizon)) for sid in draw(st.lists(st.sampled_from(shift_ids), unique=True))},
            *(draw(small) for _ in range(6)),
        )
        for eid in staff_ids
    )
    day = st.integers(0, horizon - 1)
    days_off = {
        e: frozenset(draw(st.sets(day, min_size=1, max_size=3))) for e in draw(st.sets(st.sampled_from(staff_ids)))
    }
    request = st.builds(NrpRequest, st.sampled_from(staff_ids), day, st.sampled_from(shift_ids), st.integers(0, 5))
    cells = draw(st.sets(st.tuples(day, st.sampled_from(shift_ids)), max_size=10))
    cover = tuple(
        NrpCover(d, s, draw(st.integers(0, 9)), draw(st.integers(0, 100)), draw(st.integers(0, 5)))
        for d, s in sorted(cells)
    )
    return NrpInstance(
        "generated",
        horizon,
        shifts,
        staff,
        days_off,
        tuple(draw(st.lists(request, max_size=6))),
        tuple(draw(st.lists(request, max_size=6))),
        cover,
    )


@settings(max_examples=60, deadline=None)
@given(instances())
def test_round_trip_of_arbitrary_instances(inst: NrpInstance) -> None:
    text = to_text(inst)
    assert parse_text(text, "generated") == inst
    assert parse_text(text.replace("\r\n", "\n"), "generated") == inst
