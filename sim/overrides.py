"""``--set key.path=value`` overrides applied to a scenario's raw tables before validation."""

from __future__ import annotations

import copy
import re
import tomllib
from typing import Any, Iterable

from chains.errors import ConfigError

KEY_SEGMENT = re.compile(r"\"[^\"]*\"|'[^']*'|[^.\"']+")  # bare or quoted, as in TOML: routes."perp->vault-l1"


def parse_value(text: str) -> Any:
    """A TOML value (``300``, ``0.5``, ``true``, ``[1, 2]``, ``"x"``); anything else is a bare string."""
    try:
        return tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        return text


def parse_assignment(assignment: str) -> tuple[list[str], Any]:
    key, separator, value = assignment.partition("=")
    key = key.strip()
    if not separator or not key:
        raise ConfigError(f"--set {assignment!r}: expected KEY=VALUE, e.g. bridge.latency.mean=300")
    segments = KEY_SEGMENT.findall(key)
    if ".".join(segments) != key or any(not part.strip("\"'") for part in segments):
        raise ConfigError(f"--set {assignment!r}: {key!r} is not a dotted key path")
    return [part.strip("\"'") for part in segments], parse_value(value.strip())


def apply_overrides(data: dict[str, Any], assignments: Iterable[str]) -> dict[str, Any]:
    """A copy of ``data`` with each ``key.path=value`` set; intermediate tables are created.

    Whether the key exists and the value fits is checked afterwards, by the same
    validation as the file, so an override is reported with its full key path. A
    number indexes an array of tables: ``chains.1.finality_depth=0``.
    """
    result = copy.deepcopy(data)
    for assignment in assignments:
        parts, value = parse_assignment(assignment)
        node: Any = result
        for depth, part in enumerate(parts[:-1]):
            child = _child(node, part, assignment, parts[: depth + 1])
            if not isinstance(child, (dict, list)):
                raise ConfigError(
                    f"--set {assignment!r}: {'.'.join(parts[: depth + 1])} is a value, not a table"
                )
            node = child
        if isinstance(node, list):
            node[_index(node, parts[-1], assignment, parts)] = value
        else:
            node[parts[-1]] = value
    return result


def _child(node: Any, part: str, assignment: str, path: list[str]) -> Any:
    """A table's entry (created when missing) or, for an array of tables, the entry at index ``part``."""
    if isinstance(node, list):
        return node[_index(node, part, assignment, path)]
    return node.setdefault(part, {})


def _index(node: list[Any], part: str, assignment: str, path: list[str]) -> int:
    """``chains.1.finality_depth``: a number indexes an array (``[[chains]]`` tables), from 0."""
    where = ".".join(path)
    if not part.isdigit():
        raise ConfigError(f"--set {assignment!r}: {'.'.join(path[:-1])} is an array; index it with a number, not {part!r}")
    if int(part) >= len(node):
        raise ConfigError(f"--set {assignment!r}: {where}: no entry {part}, the array has {len(node)}")
    return int(part)
