"""The admin file's fast path: libyaml (ruamel's C parser) for the common case of a clean file.

ruamel's round-trip parser is pure Python: the seed's 700-line file takes 0.6-0.8 s to compose, and every
``validate``, ``apply`` and admin upload pays it. The C parser composes the same nodes in under 0.1 s, with the
same YAML 1.2 resolver, but its error messages are terser. So a file goes through here first and only a file
this path cannot take whole (a syntax error, a duplicate key, a merge key) goes on to the round-trip parser,
whose located messages the user then reads. Both paths give the same data and line numbers
(tests/test_admin_fast_yaml.py).
"""

from __future__ import annotations

import functools
from typing import Any

from roster.admin.issues import Location


class NotFast(Exception):
    """This file needs the round-trip parser (its errors, its duplicate keys or its merge keys)."""


def compose_fast(text: str) -> Any:
    """The composed node graph, or ``NotFast``."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    if "<<" in text:  # a merge key (or those characters in a value): the constructor rewrites merged nodes
        raise NotFast
    if "%YAML" in text:  # a version directive: the C parser does not pass it on, and 1.1 reads `yes` as true
        raise NotFast
    yaml = YAML(typ="safe", pure=False)
    yaml.Resolver = _yaml_1_2_resolver()
    try:
        return yaml, yaml.compose(text)
    except (YAMLError, ValueError, RecursionError) as exc:
        raise NotFast from exc


@functools.cache
def _yaml_1_2_resolver() -> type:
    """ruamel's resolver asks for the document's YAML version for every scalar, and behind the C parser each
    answer costs two caught ``AttributeError``s before it falls back to 1.2 (the C path does not read a
    ``%YAML`` directive): a third of the seed's compose time. The same rules with the answer fixed."""
    from ruamel.yaml.resolver import VersionedResolver

    return type("Yaml12Resolver", (VersionedResolver,), {"processing_version": (1, 2)})


def construct_fast(yaml: Any, node: Any) -> tuple[Any, dict[Location, int]]:
    """Plain data and the line of every key and item; ``NotFast`` when a mapping's pairs are not exactly the
    dict built from them (a duplicate key)."""
    from ruamel.yaml.error import YAMLError

    try:
        data = yaml.constructor.construct_document(node)
        lines: dict[Location, int] = {}
        _record_lines(node, data, (), lines)
    except (YAMLError, ValueError, TypeError) as exc:  # zip(strict=True) raises ValueError on a count mismatch
        raise NotFast from exc
    return data, lines


def _record_lines(node: Any, value: Any, loc: Location, lines: dict[Location, int]) -> None:
    """Walk the nodes beside the data they built: a mapping's pairs are in the dict's order (keys unique)."""
    lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(value, dict):
        for (key_node, value_node), (key, child) in zip(node.value, value.items(), strict=True):
            if isinstance(key, str) and key_node.value != key:
                raise NotFast  # not the pair this key came from
            lines[(*loc, key)] = key_node.start_mark.line + 1
            _record_lines(value_node, child, (*loc, key), lines)
    elif isinstance(value, list):
        for index, (item_node, child) in enumerate(zip(node.value, value, strict=True)):
            lines[(*loc, index)] = item_node.start_mark.line + 1
            _record_lines(item_node, child, (*loc, index), lines)
