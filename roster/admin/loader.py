"""Read the admin file: YAML with line numbers → validated ``BureauFile``, or every error at once.

Three passes, each reporting every problem it finds with a location and a line:
1. YAML: syntax errors and duplicate keys (ruamel keeps the first of two equal keys silently otherwise);
2. shape: pydantic validation of ``BureauFile``;
3. references: ids that must exist elsewhere in the file (people, groups, roles, feature sections):
   ``roster.admin.references``, run also over a lenient view of a file that failed the shape pass.
"""

from __future__ import annotations

import contextlib
import copy
import difflib
import functools
import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from roster.admin.fast_yaml import NotFast, compose_fast, construct_fast
from roster.admin.guard import MAX_DEPTH, MAX_FILE_BYTES, guard, prescan
from roster.admin.issues import AdminFileError, AdminIssue, Location, format_location
from roster.admin.references import check_references
from roster.admin.schema import BureauFile


@dataclass(frozen=True)  # shared by the remembered parses (_read_yaml)
class LineMap:
    """Lines of every mapping key and sequence item of the document, keyed by their path."""

    lines: dict[Location, int]

    def line_of(self, loc: Location) -> int | None:
        """The line of ``loc``, or of its nearest ancestor present in the file (a missing field → its parent)."""
        for end in range(len(loc), -1, -1):
            line = self.lines.get(tuple(loc[:end]))
            if line is not None:
                return line
        return None


def load_bureau(path: str | Path) -> BureauFile:
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            message = f"file is {size} bytes, over the limit of {MAX_FILE_BYTES} bytes (2 MiB)"
            raise AdminFileError([AdminIssue("(file)", None, message)], str(path))
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AdminFileError([AdminIssue("(file)", None, f"no such file: {path}")], str(path)) from None
    except UnicodeDecodeError as exc:
        raise AdminFileError([AdminIssue("(file)", None, f"not UTF-8 text: {exc}")], str(path)) from None
    return parse_bureau(text, source=str(path))


def parse_bureau(text: str, source: str = "admin file") -> BureauFile:
    """Validate the admin file's text; raises ``AdminFileError`` listing every problem."""
    if len(text) > MAX_FILE_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise AdminFileError([AdminIssue("(file)", None, f"over the limit of {MAX_FILE_BYTES} bytes (2 MiB)")], source)
    if early := prescan(text):
        raise AdminFileError(early, source)
    data, lines, issues = _read_yaml(text)
    if data is None:
        raise AdminFileError(issues, source)
    if not isinstance(data, dict):
        issues.append(AdminIssue("(file)", 1, "the admin file must be a mapping (version:, bureau:, people: ...)"))
        raise AdminFileError(issues, source)
    try:
        bureau = BureauFile.model_validate(data)
    except ValidationError as exc:
        shape = _pydantic_issues(exc, data, lines)
        issues.extend(issue for _, issue in shape)
        issues.extend(_lenient_reference_issues(data, lines, [loc for loc, _ in shape]))
        raise AdminFileError(issues, source) from None
    issues.extend(
        AdminIssue(format_location(loc), lines.line_of(loc), message) for loc, message in check_references(bureau)
    )
    if issues:
        raise AdminFileError(issues, source)
    return bureau


# ---------------------------------------------------------------------------------------------- YAML pass


def _read_yaml(text: str) -> tuple[Any, LineMap, list[AdminIssue]]:
    """The document as plain data, its line map and the YAML-level issues; a fresh copy of the data each call.

    The last few texts are remembered: the console's upload parses a file for its preview and again when the
    admin applies it, and a validate-then-apply script does the same (0.1 s a parse for the seed's 70 KB, a
    copy of the result 3 ms)."""
    data, lines, issues = _read_yaml_remembered(text)
    return copy.deepcopy(data), lines, list(issues)


@functools.lru_cache(maxsize=4)
def _read_yaml_remembered(text: str) -> tuple[Any, LineMap, tuple[AdminIssue, ...]]:
    with contextlib.suppress(NotFast):
        data, lines, issues = _read_yaml_fast(text)
        return data, lines, tuple(issues)
    data, lines, issues = _read_yaml_round_trip(text)
    return data, lines, tuple(issues)


def _read_yaml_fast(text: str) -> tuple[Any, LineMap, list[AdminIssue]]:
    """libyaml for a clean file (roster/admin/fast_yaml.py); ``NotFast`` sends it to the round-trip parser."""
    yaml, node = compose_fast(text)
    if node is None:
        raise NotFast
    if hostile := list(guard(node)):
        return None, LineMap({}), hostile
    data, lines = construct_fast(yaml, node)  # NotFast on a duplicate or merge key: the round trip names them
    return data, LineMap(lines), []


def _read_yaml_round_trip(text: str) -> tuple[Any, LineMap, list[AdminIssue]]:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = True  # found below, all of them, with both lines
    try:
        node = yaml.compose(text)
        hostile = list(guard(node)) if node is not None else []
        if hostile:  # do not walk, construct or expand such a document any further
            return None, LineMap({}), hostile
        issues = list(_duplicate_keys(node, ())) if node is not None else []
        # Construct from the node already composed: parsing is most of the cost (pure-Python ruamel).
        loaded = yaml.constructor.construct_document(node) if node is not None else None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem:
            problem = f"{problem} ({exc.context})"
        return None, LineMap({}), [AdminIssue("(file)", mark.line + 1 if mark else None, f"YAML syntax: {problem}")]
    except YAMLError as exc:
        return None, LineMap({}), [AdminIssue("(file)", None, f"YAML syntax: {exc}")]
    except RecursionError:
        return None, LineMap({}), [AdminIssue("(file)", None, f"nested deeper than {MAX_DEPTH} levels")]
    except ValueError as exc:  # a value the guard let through but the constructor refused
        return None, LineMap({}), [AdminIssue("(file)", None, f"invalid value: {exc}")]
    if loaded is None:
        return None, LineMap({}), [AdminIssue("(file)", None, "the admin file is empty")]
    lines: dict[Location, int] = {}
    data = _plain(loaded, (), lines)
    return data, LineMap(lines), issues


def _duplicate_keys(node: Any, loc: Location) -> Iterable[AdminIssue]:
    from ruamel.yaml.nodes import MappingNode, SequenceNode

    if isinstance(node, MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = getattr(key_node, "value", None)
            line = key_node.start_mark.line + 1
            if isinstance(key, str) and key in seen:
                yield AdminIssue(
                    format_location((*loc, key)), line, f"duplicate key {key!r} (first at line {seen[key]})"
                )
                continue
            if isinstance(key, str):
                seen[key] = line
            yield from _duplicate_keys(value_node, (*loc, key) if isinstance(key, str) else loc)
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            yield from _duplicate_keys(item, (*loc, index))


def _plain(value: Any, loc: Location, lines: dict[Location, int]) -> Any:
    """ruamel's commented containers → plain dicts/lists, recording each key's and item's line."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(value, CommentedMap):
        lines.setdefault(loc, value.lc.line + 1)
        out = {}
        for key in value:
            child = (*loc, key)
            with contextlib.suppress(KeyError, TypeError):
                lines[child] = value.lc.key(key)[0] + 1
            out[key] = _plain(value[key], child, lines)
        return out
    if isinstance(value, CommentedSeq):
        lines.setdefault(loc, value.lc.line + 1)
        out_list = []
        for index, item in enumerate(value):
            child = (*loc, index)
            with contextlib.suppress(KeyError, TypeError, IndexError):
                lines[child] = value.lc.item(index)[0] + 1
            out_list.append(_plain(item, child, lines))
        return out_list
    if isinstance(value, str):
        return str(value)
    return value


# ------------------------------------------------------------------------------------------- shape pass


TYPE_TAGS = {"str", "int", "float", "bool", "list", "dict", "tuple", "date", "time", "datetime", "none"}
TYPE_ERRORS = {"string_type", "int_type", "float_type", "bool_type", "dict_type", "list_type", "model_type"}


def _pydantic_issues(exc: ValidationError, data: dict, lines: LineMap) -> list[tuple[Location, AdminIssue]]:
    issues: list[tuple[Location, AdminIssue]] = []
    # A union (``contact: <person id> | {name, phone}``) fails once per member. Errors of the member that
    # matches the value's shape say what is wrong; "should be a valid string" from the others is noise.
    unions: dict[Location, list[tuple[Location, dict]]] = {}
    for error in exc.errors(include_url=False):
        loc, union_at = _data_path(error["loc"], data)
        if union_at is None:
            issues.append((loc, AdminIssue(format_location(loc), lines.line_of(loc), _message(error, loc))))
        else:
            unions.setdefault(union_at, []).append((loc, error))
    for union_at, errors in unions.items():
        specific = [(loc, e) for loc, e in errors if e["type"] not in TYPE_ERRORS]
        if specific:
            issues.extend(
                (loc, AdminIssue(format_location(loc), lines.line_of(loc), _message(e, loc))) for loc, e in specific
            )
            continue
        value = errors[0][1].get("input")
        expected = sorted({e["msg"].removeprefix("Input should be ") for _, e in errors})
        message = f"expected {' or '.join(expected)} (got {type(value).__name__} {value!r})"
        issues.append((union_at, AdminIssue(format_location(union_at), lines.line_of(union_at), message)))
    return issues


def _data_path(loc: tuple, data: Any) -> tuple[Location, Location | None]:
    """pydantic's loc without its own markers ('[key]', union member tags such as 'constrained-str' or a
    model's name), and where a union member's tag was dropped (None when there was none)."""
    path: list[str | int] = []
    union_at: Location | None = None
    node: Any = data
    for part in loc:
        in_map = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_map or in_list:
            node = node[part]
        elif part == "[key]":
            continue
        elif isinstance(part, str) and (
            "[" in part or "-" in part or part[:1].isupper() or part in TYPE_TAGS or not isinstance(node, dict)
        ):
            # Field names never hold '-' or capitals; a name under a non-mapping value can only be a tag.
            if union_at is None:
                union_at = tuple(path)
            continue
        else:
            node = None
        path.append(part)
    return tuple(path), union_at


def _message(error: dict, loc: Location) -> str:
    kind, msg = error["type"], error["msg"]
    if kind == "extra_forbidden":
        name = loc[-1] if loc else "?"
        allowed = _allowed_fields(loc[:-1])
        hint = difflib.get_close_matches(str(name), allowed, n=1)
        suffix = (
            f"; did you mean {hint[0]!r}?" if hint else (f"; expected one of {', '.join(allowed)}" if allowed else "")
        )
        return f"unknown field {name!r}{suffix}"
    if kind == "string_pattern_mismatch" and error.get("ctx", {}).get("pattern", "").startswith("^[a-z0-9]"):
        return f"not a valid id {error.get('input')!r}: use lower-case letters, digits, '_' or '-' (up to 64)"
    if kind == "missing":
        return "required field is missing"
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix) :]
    if kind in TYPE_ERRORS:
        msg = f"{msg} (got {type(error.get('input')).__name__} {error.get('input')!r})"
    return msg


def _allowed_fields(loc: Location) -> list[str]:
    """Field names (aliases where set) of the model at ``loc`` in ``BureauFile``, for 'did you mean'."""
    annotation: Any = BureauFile
    for part in loc:
        annotation = _unwrap(annotation, part)
        if annotation is None:
            return []
    model = _model_in(annotation)
    if model is None:
        return []
    return [field.alias or name for name, field in model.model_fields.items()]


def _unwrap(annotation: Any, part: str | int) -> Any:
    model = _model_in(annotation)
    if model is not None and isinstance(part, str):
        for name, field in model.model_fields.items():
            if part in (name, field.alias):
                return field.annotation
        return None
    origin = typing.get_origin(annotation)
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if origin in (list, tuple) and isinstance(part, int) and args:
        return args[0]
    if origin is dict and len(args) == 2:
        return args[1]
    if origin in (typing.Union, types.UnionType) and args:
        return _unwrap(args[0], part)
    if origin is typing.Annotated:
        return _unwrap(args[0], part)
    return None


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                return arg
    return None


# -------------------------------------------------------------------------------------- reference pass


def _lenient_reference_issues(data: dict, lines: LineMap, broken: list[Location]) -> list[AdminIssue]:
    """Reference errors of a file that failed the shape pass, so the admin sees every error in one go.

    The raw data is read leniently (wrong types become empty values) and any error at or inside a place
    that already has a shape error is dropped: it would only repeat it. Feature sections are skipped.
    """
    try:
        view = _LenientBureau(data)
        found = check_references(view, features=False)  # type: ignore[arg-type]
    except Exception:  # noqa: BLE001 - best effort on a broken file; the shape errors stand on their own
        return []
    return [
        AdminIssue(format_location(loc), lines.line_of(loc), message)
        for loc, message in found
        if not any(loc[: len(b)] == b for b in broken)
    ]


class _Lenient:
    """Attribute access over a raw mapping: missing or wrongly typed values read as the default."""

    def __init__(self, raw: Any, **defaults: Any) -> None:
        raw = raw if isinstance(raw, dict) else {}
        for name, default in defaults.items():
            value = raw.get(name, default)
            if isinstance(default, str | type(None)):
                value = value if isinstance(value, str) else default
            elif isinstance(default, list):
                value = [v for v in value if isinstance(v, str | list)] if isinstance(value, list) else []
            elif isinstance(default, dict):
                value = value if isinstance(value, dict) else {}
            setattr(self, name, value)


class _LenientBureau:
    def __init__(self, data: dict) -> None:
        def items(name: str) -> list[Any]:
            value = data.get(name)
            return value if isinstance(value, list) else []

        self.bureau = _Lenient(data.get("bureau"), head=None)
        self.people = [_Lenient(p, id="", roles=[], groups=[]) for p in items("people")]
        self.groups = [_Lenient(g, id="", leader=None) for g in items("groups")]
        self.leave = [_Lenient(span, person="") for span in items("leave")]
        roles = data.get("roles")
        default_roles = [{"id": "leader_on_duty"}, {"id": "duty_officer"}]
        self.roles = [_Lenient(r, id="") for r in (roles if isinstance(roles, list) else default_roles)]
        requirements = data.get("requirements", {"leader_on_duty": 1, "duty_officer": 2})
        self.requirements = {
            k: v for k, v in (requirements if isinstance(requirements, dict) else {}).items() if isinstance(v, int)
        }
        pairs = _Lenient(data.get("rules"), not_together=[]).not_together
        self.rules = types.SimpleNamespace(
            not_together=[
                tuple(p) for p in pairs if isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p)
            ]
        )
        self.fairness = _Lenient(data.get("fairness"), ledger={})
        self.holidays = _Lenient({}, holidays=[], workdays=[])
        admins = data.get("admins")
        self.admins = [a for a in admins if isinstance(a, str)] if isinstance(admins, list) else []
