"""Issue 16 (3): hostile and careless admin files get located errors, quickly, and change nothing.

On the main of the time a "billion laughs" file hung validate/apply, an alias cycle and 2026-02-30 gave raw
tracebacks, and a 50 MB value was applied. Speed is measured in bench/admin_hostile.py, not asserted here.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from roster.admin.loader import AdminFileError, parse_bureau
from roster.cli import app
from tests.admin_helpers import NOW, SEED, SEED_TEXT, dump, line_of

runner = CliRunner()

LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(8)
)
HOSTILE = {
    "billion laughs": (LAUGHS, "f", 6, "aliases expand"),
    "alias cycle": ("version: 1\nbureau: &b\n  name: x\n  self: *b\n", "bureau.self", 2, "alias cycle"),
    "invalid date": (
        SEED_TEXT.replace("to: 2026-12-06", "to: 2026-02-30", 1),
        "leave[0].to",
        line_of(SEED_TEXT, "to: 2026-12-06"),
        "invalid date '2026-02-30'",
    ),
    "over 2 MiB": (SEED_TEXT + "#" + "x" * (2 * 1024 * 1024), "(file)", None, "2 MiB"),
    "50 MB-ish value on one line": ("version: 1\nbureau:\n  name: " + "楚" * 600_000 + "\n", "(file)", 3, "line of"),
    "long folded value": (
        SEED_TEXT.replace(
            "bureau:\n", "bureau:\n  note: >\n" + "    " + "x" * 900 + "\n" * 0 + ("    " + "y" * 900 + "\n") * 6, 1
        ),
        "bureau.note",
        7,
        "over the limit of 4000",
    ),
    "NUL in a name": (
        SEED_TEXT.replace("name: 李明", 'name: "李\\0明"', 1),
        "people[",
        line_of(SEED_TEXT, "name: 李明"),
        "U+0000",
    ),
    "deep nesting": ("version: 1\nx: " + "[" * 300 + "]" * 300 + "\n", "(file)", 2, "nested deeper"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_files_get_a_located_error_and_change_nothing(name: str, db_url: str, tmp_path: Path) -> None:
    text, location, line, message = HOSTILE[name]
    path = tmp_path / "bureau.yaml"
    path.write_text(text, encoding="utf-8")
    before = dump(db_url)
    for command in (["validate", str(path), "--json"], ["apply", str(path), "--json", "--now", NOW.isoformat()]):
        result = runner.invoke(app, command)
        assert result.exit_code == 1, (name, result.output[-500:])
        assert result.exception is None or isinstance(result.exception, SystemExit)
        errors = json.loads(result.stdout)["errors"]
        found = [e for e in errors if message in e["message"]]
        assert found, (name, errors)
        assert found[0]["location"].startswith(location) and (line is None or found[0]["line"] == line), found
    assert dump(db_url) == before


HOSTILE_TOKENS = [
    "*nowhere", "&x", "2026-02-30", "2026-13-45", '"\\0"', "[", "{", "'", "!!binary AAAA", "!!python/object:os.system",
    "- ", ": :", "~", "-1", "1e400", "🙂", "\t", "<<: *a", "? ", "%TAG ! x", "---", "...", "|", ">-", "x" * 5000,
]  # fmt: skip


@st.composite
def mutated_seed(draw: st.DrawFn) -> str:
    lines = SEED_TEXT.splitlines()
    rng = random.Random(draw(st.integers(0, 2**32)))
    for _ in range(draw(st.integers(1, 4))):
        i = rng.randrange(len(lines))
        op = draw(st.sampled_from(["delete", "duplicate", "token", "text", "indent", "swap"]))
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "token":
            cut = rng.randrange(len(lines[i]) + 1)
            lines[i] = lines[i][:cut] + draw(st.sampled_from(HOSTILE_TOKENS)) + lines[i][cut:]
        elif op == "text":
            cut = rng.randrange(len(lines[i]) + 1)
            lines[i] = lines[i][:cut] + draw(st.text(max_size=12)) + lines[i][cut:]
        elif op == "indent":
            lines[i] = " " * rng.choice([1, 2, 3, 5]) + lines[i]
        else:
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
    return "\n".join(lines) + "\n"


def test_parser_never_raises_anything_but_located_errors_on_a_mutated_seed() -> None:
    @settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(mutated_seed())
    def check(text: str) -> None:
        try:
            parse_bureau(text)
        except AdminFileError as exc:
            assert exc.issues and all(i.location and i.message for i in exc.issues)
            assert all(i.line is not None or i.location != "(file)" or i.message for i in exc.issues)

    check()


def test_apply_of_a_mutated_seed_exits_0_or_1_with_a_location_and_changes_nothing_on_failure(
    db_url: str, tmp_path: Path
) -> None:
    first = runner.invoke(app, ["apply", str(SEED), "--json", "--now", NOW.isoformat()])
    assert first.exit_code == 0, first.output
    path = tmp_path / "mutated.yaml"

    @settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(mutated_seed())
    def check(text: str) -> None:
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        before = dump(db_url)
        result = runner.invoke(app, ["apply", str(path), "--json", "--now", NOW.isoformat()])
        assert result.exit_code in (0, 1), result.output[-800:]
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        if result.exit_code == 1:
            errors = json.loads(result.stdout)["errors"]
            assert errors and all(e["location"] for e in errors)
            assert dump(db_url) == before

    check()
