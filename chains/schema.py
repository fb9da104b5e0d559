"""Reading plain dicts (TOML tables) into typed values, with errors that name the key path.

Shared by every layer that reads configuration (chains, bridge, protocol, sim)."""

from __future__ import annotations

import math
from typing import Any, Iterable, Mapping

from chains.errors import ConfigError

MISSING = object()


def join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def table(data: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path}: must be a table, got {_describe(data)}")
    return data


def reject_unknown(data: Mapping[str, Any], allowed: Iterable[str], path: str) -> None:
    allowed = tuple(allowed)
    unknown = [str(k) for k in data if k not in allowed]
    if unknown:
        where = f"{path}: " if path else ""
        raise ConfigError(f"{where}unknown key(s) {', '.join(unknown)}; expected some of {', '.join(allowed)}")


def check_number(
    value: Any,
    where: str,
    minimum: float | None = None,
    maximum: float | None = None,
    above: float | None = None,
) -> float:
    """``value`` as a float within bounds (``above`` is an exclusive lower bound)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise ConfigError(f"{where}: must be a number, got {_describe(value)}")
    if minimum is not None and value < minimum:
        raise ConfigError(f"{where}: must be >= {minimum:g}, got {value:g}")
    if above is not None and value <= above:
        raise ConfigError(f"{where}: must be > {above:g}, got {value:g}")
    if maximum is not None and value > maximum:
        raise ConfigError(f"{where}: must be <= {maximum:g}, got {value:g}")
    return float(value)


def number(
    data: Mapping[str, Any],
    key: str,
    path: str,
    default: Any = MISSING,
    minimum: float | None = None,
    maximum: float | None = None,
    above: float | None = None,
) -> float:
    where = join(path, key)
    value = data.get(key, default)
    if value is MISSING:
        raise ConfigError(f"{where}: required")
    return check_number(value, where, minimum, maximum, above)


def integer(
    data: Mapping[str, Any],
    key: str,
    path: str,
    default: Any = MISSING,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int:
    where = join(path, key)
    value = data.get(key, default)
    if value is MISSING:
        raise ConfigError(f"{where}: required")
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{where}: must be an integer, got {_describe(value)}")
    if minimum is not None and value < minimum:
        raise ConfigError(f"{where}: must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ConfigError(f"{where}: must be <= {maximum}, got {value}")
    return value


def choice(data: Mapping[str, Any], key: str, path: str, options: Iterable[str], default: Any = MISSING) -> str:
    where = join(path, key)
    value = data.get(key, default)
    options = tuple(options)
    if value is MISSING:
        raise ConfigError(f"{where}: required (one of {', '.join(map(repr, options))})")
    if value not in options:
        raise ConfigError(f"{where}: must be one of {', '.join(map(repr, options))}, got {_describe(value)}")
    return value


def string(data: Mapping[str, Any], key: str, path: str, default: Any = MISSING) -> str:
    where = join(path, key)
    value = data.get(key, default)
    if value is MISSING:
        raise ConfigError(f"{where}: required")
    if not isinstance(value, str):
        raise ConfigError(f"{where}: must be a string, got {_describe(value)}")
    return value


def boolean(data: Mapping[str, Any], key: str, path: str, default: Any = MISSING) -> bool:
    where = join(path, key)
    value = data.get(key, default)
    if value is MISSING:
        raise ConfigError(f"{where}: required")
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: must be true or false, got {_describe(value)}")
    return value


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return repr(value)
