"""Read a Shift Scheduling Benchmark instance (the ``SECTION_*`` text format) into frozen dataclasses.

The format (schedulingbenchmarks.org, "Nurse Rostering Instances 1..24"): plain text, usually CRLF, lines
starting with ``#`` are comments, blank lines separate blocks, each block opens with a ``SECTION_<NAME>``
line followed by comma-separated rows:

=========================== ====================================================================
``SECTION_HORIZON``         one integer: days in the horizon (day 0 is a Monday)
``SECTION_SHIFTS``          ShiftID, length in minutes, shifts which cannot follow it (``|``-separated)
``SECTION_STAFF``           ID, MaxShifts (``S=n|S=n``), MaxTotalMinutes, MinTotalMinutes,
                            MaxConsecutiveShifts, MinConsecutiveShifts, MinConsecutiveDaysOff, MaxWeekends
``SECTION_DAYS_OFF``        EmployeeID, day indexes ... (an employee may appear on several lines)
``SECTION_SHIFT_ON_REQUESTS``  EmployeeID, Day, ShiftID, Weight
``SECTION_SHIFT_OFF_REQUESTS`` EmployeeID, Day, ShiftID, Weight
``SECTION_COVER``           Day, ShiftID, Requirement, Weight for under, Weight for over
=========================== ====================================================================

``HORIZON``, ``SHIFTS`` and ``STAFF`` are required; the other sections may be absent or empty. Sections may come
in any order (they are resolved after reading, so references are checked against the whole file). Every
error is a :class:`NrpFormatError` naming the file, line and section.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

SECTIONS = (
    "SECTION_HORIZON",
    "SECTION_SHIFTS",
    "SECTION_STAFF",
    "SECTION_DAYS_OFF",
    "SECTION_SHIFT_ON_REQUESTS",
    "SECTION_SHIFT_OFF_REQUESTS",
    "SECTION_COVER",
)
REQUIRED = ("SECTION_HORIZON", "SECTION_SHIFTS", "SECTION_STAFF")


class NrpFormatError(ValueError):
    """Malformed instance input; ``line`` is 1-based (0 = the file as a whole)."""

    def __init__(self, source: str, line: int, section: str | None, message: str) -> None:
        self.source, self.line, self.section, self.message = source, line, section, message
        where = f"{source}:{line}" if line else source
        super().__init__(f"{where}{f' [{section}]' if section else ''}: {message}")


@dataclass(frozen=True)
class NrpShift:
    id: str
    minutes: int
    cannot_follow: frozenset[str] = frozenset()  # shift ids that may not be worked the day after this one


@dataclass(frozen=True)
class NrpStaff:
    id: str
    max_shifts: Mapping[str, int]  # per shift id; a shift absent from the file's MaxShifts field is unlimited
    max_total_minutes: int
    min_total_minutes: int
    max_consecutive_shifts: int
    min_consecutive_shifts: int
    min_consecutive_days_off: int
    max_weekends: int


@dataclass(frozen=True)
class NrpRequest:
    employee: str
    day: int
    shift: str
    weight: int


@dataclass(frozen=True)
class NrpCover:
    day: int
    shift: str
    requirement: int
    under_weight: int
    over_weight: int


@dataclass(frozen=True)
class NrpInstance:
    name: str
    horizon: int
    shifts: tuple[NrpShift, ...]
    staff: tuple[NrpStaff, ...]
    days_off: Mapping[str, frozenset[int]] = field(default_factory=dict)  # employees without days off absent
    on_requests: tuple[NrpRequest, ...] = ()
    off_requests: tuple[NrpRequest, ...] = ()
    cover: tuple[NrpCover, ...] = ()

    def shift(self, shift_id: str) -> NrpShift:
        return next(s for s in self.shifts if s.id == shift_id)

    def employee(self, employee_id: str) -> NrpStaff:
        return next(e for e in self.staff if e.id == employee_id)

    def weekends(self) -> tuple[tuple[int, ...], ...]:
        """Day indexes of each Saturday/Sunday pair in the horizon (day 0 is a Monday); a weekend cut by the
        horizon's end keeps only its days inside it."""
        out = []
        for start in range(5, self.horizon, 7):
            out.append(tuple(d for d in (start, start + 1) if d < self.horizon))
        return tuple(out)


@dataclass
class _Row:
    line: int
    fields: list[str]


class _Reader:
    """Splits the text into sections of rows, remembering each row's line number."""

    def __init__(self, text: str, source: str) -> None:
        self.source = source
        self.sections: dict[str, list[_Row]] = {}
        self.header_line: dict[str, int] = {}
        current: str | None = None
        for number, raw in enumerate(text.splitlines(), start=1):  # splitlines handles CRLF, CR and LF
            line = raw.strip().lstrip("\ufeff")
            if not line or line.startswith("#"):
                continue
            if line.upper().startswith("SECTION_"):
                name = line.split(",")[0].strip().upper()
                if name not in SECTIONS:
                    raise NrpFormatError(
                        source, number, None, f"unknown section {name!r} (known: {', '.join(SECTIONS)})"
                    )
                if name in self.sections:
                    raise NrpFormatError(
                        source, number, name, f"section repeated (first at line {self.header_line[name]})"
                    )
                self.sections[name], self.header_line[name], current = [], number, name
                continue
            if current is None:
                raise NrpFormatError(source, number, None, f"data before the first SECTION_ header: {line[:40]!r}")
            self.sections[current].append(_Row(number, [f.strip() for f in line.split(",")]))
        for name in REQUIRED:
            if name not in self.sections:
                raise NrpFormatError(source, 0, name, "required section missing")

    def error(self, row: _Row, section: str, message: str) -> NrpFormatError:
        return NrpFormatError(self.source, row.line, section, message)

    def fields(self, row: _Row, section: str, count: int, names: str, *, allow_fewer: int | None = None) -> list[str]:
        values = row.fields
        if allow_fewer is not None and allow_fewer <= len(values) < count:
            values = values + [""] * (count - len(values))  # "D,480" is the same as "D,480,"
        if len(values) != count:
            raise self.error(row, section, f"expected {count} comma-separated fields ({names}), got {len(values)}")
        return values

    def integer(self, row: _Row, section: str, value: str, what: str, *, minimum: int = 0) -> int:
        try:
            number = int(value)
        except ValueError:
            raise self.error(row, section, f"{what} must be an integer, got {value!r}") from None
        if number < minimum:
            raise self.error(row, section, f"{what} must be >= {minimum}, got {number}")
        return number


def parse_text(text: str, name: str = "instance", source: str | None = None) -> NrpInstance:
    """Parse instance text; ``source`` (default ``name``) is used in error messages.

    Sections are read in a fixed order (horizon, shifts, staff, then the rest), whatever their order in the file,
    because the later ones are checked against the earlier: days against the horizon, names against the shifts
    and staff defined anywhere in the file.
    """
    r = _Reader(text, source or name)
    horizon = _parse_horizon(r)
    shifts = _parse_shifts(r)
    shift_ids = {s.id for s in shifts}
    staff = _parse_staff(r, shift_ids)
    staff_ids = {e.id for e in staff}
    return NrpInstance(
        name=name,
        horizon=horizon,
        shifts=shifts,
        staff=staff,
        days_off=_parse_days_off(r, horizon, staff_ids),
        on_requests=_parse_requests(r, "SECTION_SHIFT_ON_REQUESTS", horizon, shift_ids, staff_ids),
        off_requests=_parse_requests(r, "SECTION_SHIFT_OFF_REQUESTS", horizon, shift_ids, staff_ids),
        cover=_parse_cover(r, horizon, shift_ids),
    )


def _day(r: _Reader, horizon: int, row: _Row, section: str, value: str) -> int:
    number = r.integer(row, section, value, "day index")
    if number >= horizon:
        raise r.error(row, section, f"day index {number} outside the horizon 0..{horizon - 1}")
    return number


def _known_shift(r: _Reader, shift_ids: set[str], row: _Row, section: str, value: str) -> str:
    if value not in shift_ids:
        raise r.error(row, section, f"unknown shift {value!r} (defined: {', '.join(sorted(shift_ids))})")
    return value


def _known_employee(r: _Reader, staff_ids: set[str], row: _Row, section: str, value: str) -> str:
    if value not in staff_ids:
        raise r.error(row, section, f"unknown employee {value!r}")
    return value


def _parse_horizon(r: _Reader) -> int:
    section = "SECTION_HORIZON"
    horizon_rows = r.sections[section]
    if len(horizon_rows) != 1:
        line = horizon_rows[1].line if horizon_rows else r.header_line[section]
        raise NrpFormatError(r.source, line, section, f"expected one line (days), got {len(horizon_rows)}")
    (horizon_text,) = r.fields(horizon_rows[0], section, 1, "days")
    return r.integer(horizon_rows[0], section, horizon_text, "horizon", minimum=1)


def _parse_shifts(r: _Reader) -> tuple[NrpShift, ...]:
    # Ids first, then successors (which may name shifts defined further down).
    section = "SECTION_SHIFTS"
    shift_rows: list[tuple[_Row, str, int, list[str]]] = []
    for row in r.sections[section]:
        sid, minutes, successors = r.fields(
            row, section, 3, "ShiftID, length in minutes, shifts which cannot follow", allow_fewer=2
        )
        if not sid:
            raise r.error(row, section, "empty ShiftID")
        if any(other[1] == sid for other in shift_rows):
            raise r.error(row, section, f"shift {sid!r} defined twice")
        shift_rows.append((row, sid, r.integer(row, section, minutes, f"length of shift {sid}"), successors.split("|")))
    if not shift_rows:
        raise NrpFormatError(r.source, r.header_line[section], section, "no shifts defined")
    shift_ids = {sid for _, sid, _, _ in shift_rows}
    return tuple(
        NrpShift(sid, minutes, frozenset(_known_shift(r, shift_ids, row, section, s) for s in successors if s))
        for row, sid, minutes, successors in shift_rows
    )


_STAFF_NUMBERS = (
    "MaxTotalMinutes",
    "MinTotalMinutes",
    "MaxConsecutiveShifts",
    "MinConsecutiveShifts",
    "MinConsecutiveDaysOff",
    "MaxWeekends",
)


def _parse_staff(r: _Reader, shift_ids: set[str]) -> tuple[NrpStaff, ...]:
    section = "SECTION_STAFF"
    staff: list[NrpStaff] = []
    for row in r.sections[section]:
        values = r.fields(row, section, 8, f"ID, MaxShifts, {', '.join(_STAFF_NUMBERS)}")
        eid = values[0]
        if not eid:
            raise r.error(row, section, "empty employee ID")
        if any(e.id == eid for e in staff):
            raise r.error(row, section, f"employee {eid!r} defined twice")
        max_shifts = _parse_max_shifts(r, shift_ids, row, section, values[1])
        numbers = [r.integer(row, section, v, what) for v, what in zip(values[2:], _STAFF_NUMBERS, strict=True)]
        staff.append(NrpStaff(eid, max_shifts, *numbers))
    if not staff:
        raise NrpFormatError(r.source, r.header_line[section], section, "no staff defined")
    return tuple(staff)


def _parse_max_shifts(r: _Reader, shift_ids: set[str], row: _Row, section: str, value: str) -> dict[str, int]:
    """The ``S=n|S=n`` MaxShifts field; a shift it does not name stays unlimited (absent from the mapping)."""
    max_shifts: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in value.split("|"))):
        sid, eq, limit = part.partition("=")
        if not eq:
            raise r.error(row, section, f"MaxShifts entry {part!r} must look like ShiftID=limit")
        sid = _known_shift(r, shift_ids, row, section, sid.strip())
        if sid in max_shifts:
            raise r.error(row, section, f"MaxShifts names shift {sid!r} twice")
        max_shifts[sid] = r.integer(row, section, limit.strip(), f"MaxShifts for {sid}")
    return max_shifts


def _parse_days_off(r: _Reader, horizon: int, staff_ids: set[str]) -> dict[str, frozenset[int]]:
    # An employee may appear on several lines: their days are merged.
    section = "SECTION_DAYS_OFF"
    days_off: dict[str, set[int]] = {}
    for row in r.sections.get(section, []):
        eid = _known_employee(r, staff_ids, row, section, row.fields[0])
        days_off.setdefault(eid, set()).update(_day(r, horizon, row, section, v) for v in row.fields[1:] if v)
    return {e: frozenset(days) for e, days in days_off.items()}


def _parse_requests(
    r: _Reader, section: str, horizon: int, shift_ids: set[str], staff_ids: set[str]
) -> tuple[NrpRequest, ...]:
    """SECTION_SHIFT_ON_REQUESTS or SECTION_SHIFT_OFF_REQUESTS (same row layout)."""
    out: list[NrpRequest] = []
    for row in r.sections.get(section, []):
        eid, d, sid, weight = r.fields(row, section, 4, "EmployeeID, Day, ShiftID, Weight")
        out.append(
            NrpRequest(
                _known_employee(r, staff_ids, row, section, eid),
                _day(r, horizon, row, section, d),
                _known_shift(r, shift_ids, row, section, sid),
                r.integer(row, section, weight, "weight"),
            )
        )
    return tuple(out)


def _parse_cover(r: _Reader, horizon: int, shift_ids: set[str]) -> tuple[NrpCover, ...]:
    section = "SECTION_COVER"
    cover: list[NrpCover] = []
    seen: dict[tuple[int, str], int] = {}  # (day, shift) -> line, to name the first one when repeated
    for row in r.sections.get(section, []):
        d, sid, requirement, under, over = r.fields(
            row, section, 5, "Day, ShiftID, Requirement, Weight for under, Weight for over"
        )
        item = NrpCover(
            _day(r, horizon, row, section, d),
            _known_shift(r, shift_ids, row, section, sid),
            r.integer(row, section, requirement, "requirement"),
            r.integer(row, section, under, "weight for under"),
            r.integer(row, section, over, "weight for over"),
        )
        if (item.day, item.shift) in seen:
            raise r.error(
                row,
                section,
                f"cover for day {item.day} shift {item.shift} repeated (line {seen[item.day, item.shift]})",
            )
        seen[item.day, item.shift] = row.line
        cover.append(item)
    return tuple(cover)


def parse_file(path: str | Path) -> NrpInstance:
    """Parse an instance file; its stem (``Instance1``) becomes the instance name."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NrpFormatError(str(path), 0, None, f"not UTF-8/ASCII text ({exc.reason})") from None
    return parse_text(text, name=path.stem, source=str(path))


def to_text(instance: NrpInstance) -> str:
    """The instance in the benchmark's own format (CRLF, every section, the set's header comments):
    ``parse_text(to_text(x)) == x`` for every instance, so generated or edited instances can be written out."""
    lines = ["# Written by dutyflow (nrp.parser.to_text)", "SECTION_HORIZON", "# The horizon length in days:"]
    lines += [str(instance.horizon), "", "SECTION_SHIFTS", "# ShiftID, Length in mins, Shifts which cannot follow"]
    lines += [f"{s.id},{s.minutes},{'|'.join(sorted(s.cannot_follow))}" for s in instance.shifts]
    lines += [
        "",
        "SECTION_STAFF",
        "# ID, MaxShifts, MaxTotalMinutes, MinTotalMinutes, MaxConsecutiveShifts, MinConsecutiveShifts, "
        "MinConsecutiveDaysOff, MaxWeekends",
    ]
    for e in instance.staff:
        caps = "|".join(f"{sid}={n}" for sid, n in e.max_shifts.items())
        lines.append(
            f"{e.id},{caps},{e.max_total_minutes},{e.min_total_minutes},{e.max_consecutive_shifts},"
            f"{e.min_consecutive_shifts},{e.min_consecutive_days_off},{e.max_weekends}"
        )
    lines += ["", "SECTION_DAYS_OFF", "# EmployeeID, DayIndexes (start at zero)"]
    lines += [f"{eid},{','.join(str(d) for d in sorted(days))}" for eid, days in instance.days_off.items() if days]
    for name, requests in (
        ("SECTION_SHIFT_ON_REQUESTS", instance.on_requests),
        ("SECTION_SHIFT_OFF_REQUESTS", instance.off_requests),
    ):
        lines += ["", name, "# EmployeeID, Day, ShiftID, Weight"]
        lines += [f"{r.employee},{r.day},{r.shift},{r.weight}" for r in requests]
    lines += ["", "SECTION_COVER", "# Day, ShiftID, Requirement, Weight for under, Weight for over"]
    lines += [f"{c.day},{c.shift},{c.requirement},{c.under_weight},{c.over_weight}" for c in instance.cover]
    return "\r\n".join(lines) + "\r\n"
