"""Guards against hostile or careless admin files, run before the document is constructed: each problem is
refused with its location, in well under a second, before anything could hang, crash or be applied.

``prescan`` reads the raw text for what the YAML parser itself is slow at (very long lines, deep nesting);
``guard`` walks the composed node graph once (sizes memoised per node, so a shared alias is measured once)
for alias cycles, alias expansion ("billion laughs"), depth, over-long values, characters no database stores
alike, and impossible dates such as 2026-02-30.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from roster.admin.issues import AdminIssue, Location, format_location
from roster.safe_text import text_problem

# Limits on hostile or careless files: each is refused with a located error before anything is applied.
MAX_FILE_BYTES = 2 * 1024 * 1024  # the seed bureau's file is 70 KB
MAX_NODES = 100_000  # values after expanding aliases (the seed has 6,349): no "billion laughs"
MAX_DEPTH = 40
MAX_SCALAR = 4_000  # characters in one value (the seed's longest is 35)


def prescan(text: str) -> list[AdminIssue]:
    """Cheap checks on the raw text for what the YAML parser itself is slow at: very long lines (a parser
    scans a 2 MB value for seconds) and deep nesting (its time grows with the square of the depth)."""
    depth = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if len(line) > MAX_SCALAR + 200:
            return [AdminIssue("(file)", number, f"line of {len(line)} characters, over the limit of {MAX_SCALAR}")]
        if len(line) - len(line.lstrip(" ")) > 4 * MAX_DEPTH:
            return [AdminIssue("(file)", number, f"indented deeper than {MAX_DEPTH} levels")]
        if "[" not in line and "{" not in line:
            depth -= line.count("]") + line.count("}")
            continue
        for char in line:
            depth += (char in "[{") - (char in "]}")
            if depth > 2 * MAX_DEPTH:  # brackets inside quoted text count too: hence the generous bound
                return [AdminIssue("(file)", number, f"nested deeper than {MAX_DEPTH} levels")]
    return []


def _children(node: Any, loc: Location) -> list[tuple[Any, Location]]:
    """A composed node's children with their paths (mapping keys by their text, items by index)."""
    from ruamel.yaml.nodes import MappingNode, SequenceNode

    if isinstance(node, MappingNode):
        out = []
        for key_node, value_node in node.value:
            key = getattr(key_node, "value", None)
            name = key if isinstance(key, str) else "?"
            out += [(key_node, (*loc, name)), (value_node, (*loc, name))]
        return out
    if isinstance(node, SequenceNode):
        return [(item, (*loc, index)) for index, item in enumerate(node.value)]
    return []


def guard(root: Any) -> list[AdminIssue]:
    """Refuse what would hang or crash the loader, with its location: alias cycles, aliases expanding beyond
    ``MAX_NODES`` values, nesting beyond ``MAX_DEPTH``, over-long values, characters no database stores
    alike, and invalid dates. The walk stops at the first problem. Sizes are memoised per node, so a shared
    alias is measured once; a location is only formatted for a problem (the seed has 6,500 nodes)."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()

    def refuse(node: Any, loc: Location, message: str) -> AdminIssue:
        mark = getattr(node, "start_mark", None)
        return AdminIssue(format_location(loc), mark.line + 1 if mark is not None else None, message)

    def visit(node: Any, loc: Location, depth: int) -> AdminIssue | None:
        if id(node) in on_path:
            return refuse(node, loc, "alias cycle: this value contains itself")
        if id(node) in sizes:
            return None
        if depth > MAX_DEPTH:
            return refuse(node, loc, f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(node.value, str):
            sizes[id(node)] = 1
            problem = _scalar_problem(node)
            return refuse(node, loc, problem) if problem else None
        on_path.add(id(node))
        total = 1
        for child, child_loc in _children(node, loc):
            if problem := visit(child, child_loc, depth + 1):
                return problem
            total += sizes[id(child)]
            if total > MAX_NODES:
                return refuse(node, loc, f"aliases expand this to over {MAX_NODES} values")
        on_path.discard(id(node))
        sizes[id(node)] = total
        return None

    problem = visit(root, (), 0)
    return [problem] if problem else []


def _scalar_problem(node: Any) -> str | None:
    """What is wrong with one scalar value, if anything."""
    text = node.value
    if len(text) > MAX_SCALAR:
        return f"value of {len(text)} characters, over the limit of {MAX_SCALAR}"
    if problem := text_problem(text):
        return problem
    tag = str(getattr(node.tag, "value", node.tag) or "")
    if tag.endswith(":timestamp"):
        found = re.match(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[Tt ]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?", text)
        try:
            if found is None:
                raise ValueError("not a date")
            numbers = [int(g) for g in found.groups() if g is not None]
            dt.datetime(*numbers)  # type: ignore[misc]
        except ValueError as exc:
            return f"invalid date {text!r}: {exc}"
    return None
