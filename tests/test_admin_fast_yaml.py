"""The admin file's two YAML paths (roster/admin/fast_yaml.py) give the same data and the same lines."""

from __future__ import annotations

import datetime as dt

import pytest

from roster.admin import loader
from tests.admin_helpers import SEED_TEXT, replace_once

TRICKY = """\
version: 1
bureau:
  name: "测试局"
  timezone: Asia/Shanghai
  phone: 015083496675
  yes_is_text: no
  when: 2026-02-01
  at: 2026-02-01T08:30:00+08:00
  ratio: 1.5
  empty:
  list: [a, 'b', {c: 1, d: [2, 3]}]
people:
  - id: p01
    groups: [a]
  -
    id: p02
    note: |
      two
      lines
"""


@pytest.mark.parametrize("text", [SEED_TEXT, TRICKY], ids=["seed", "tricky"])
def test_fast_path_equals_the_round_trip_parser(text: str) -> None:
    fast_data, fast_lines, fast_issues = loader._read_yaml_fast(text)
    slow_data, slow_lines, slow_issues = loader._read_yaml_round_trip(text)
    assert fast_issues == slow_issues == []
    assert fast_data == slow_data
    assert [_kind(v) for v in _leaves(fast_data)] == [_kind(v) for v in _leaves(slow_data)]
    assert fast_lines == slow_lines


def test_files_the_fast_path_cannot_take_whole_go_to_the_round_trip_parser() -> None:
    merged = "base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n"
    duplicate = replace_once(SEED_TEXT, "  timezone: Asia/Shanghai\n", "  timezone: Asia/Shanghai\n  timezone: X\n")
    for text in (merged, duplicate, "a: [1, 2\n", ""):
        with pytest.raises(loader.NotFast):
            loader._read_yaml_fast(text)
    assert loader._read_yaml(merged)[0] == {"base": {"x": 1}, "other": {"x": 1, "y": 2}}


def test_a_yaml_1_1_directive_is_read_as_1_1() -> None:
    """The C parser does not pass a ``%YAML`` directive to the resolver (1.2 rules for every file): a file that
    asks for 1.1 goes to the round-trip parser, where ``yes`` is a boolean, as the file's author meant."""
    text = "%YAML 1.1\n---\nenabled: yes\n"
    with pytest.raises(loader.NotFast):
        loader._read_yaml_fast(text)
    assert loader._read_yaml(text)[0] == {"enabled": True}
    assert loader._read_yaml("enabled: yes\n")[0] == {"enabled": "yes"}


def test_a_clean_file_never_reaches_the_round_trip_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(text: str) -> None:
        raise AssertionError("the round-trip parser was used for a clean file")

    monkeypatch.setattr(loader, "_read_yaml_round_trip", refuse)
    loader._read_yaml_remembered.cache_clear()
    assert loader.parse_bureau(SEED_TEXT).bureau.timezone == "Asia/Shanghai"


def _kind(value: object) -> type:
    """The plain type under ruamel's round-trip subclasses (ScalarInt, ScalarFloat, TimeStamp keep the format)."""
    return next(t for t in (bool, int, float, str, dt.datetime, dt.date, type(None)) if isinstance(value, t))


def _leaves(value: object) -> list[object]:
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]
