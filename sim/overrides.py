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
    validation as the file, so an override is reported with its full key path.
    """
    result = copy.deepcopy(data)
    for assignment in assignments:
        parts, value = parse_assignment(assignment)
        node = result
        for depth, part in enumerate(parts[:-1]):
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError(
                    f"--set {assignment!r}: {'.'.join(parts[: depth + 1])} is a value, not a table"
                )
            node = child
        node[parts[-1]] = value
    return result
