"""Numbers as people read them: dollars, seconds, gas, gwei, percentages and counts.

The unit of a metric is told by its name, as the summary names them: ``*_usd`` is
dollars, ``*_s`` / ``*_seconds`` (or a key under a ``*_s`` table) seconds, ``*_gwei``
gwei, ``gas`` gas, ``*_pct`` percent; anything else is a count or a plain number.
"""

from __future__ import annotations

import math
from typing import Any


def unit_of(name: str) -> str:
    leaf = name.rsplit(".", 1)[-1]
    parent = name.rsplit(".", 2)[-2] if name.count(".") >= 1 else ""
    if leaf.endswith("_usd") or leaf.startswith("var95_") or leaf.startswith("lar95_"):
        return "usd"
    if leaf.endswith("_gwei") or parent.endswith("_gwei"):
        return "gwei"
    if leaf.endswith("_pct"):
        return "pct"
    if leaf == "gas" or leaf.endswith("_gas"):
        return "gas"
    if leaf.endswith("_s") or leaf.endswith("_seconds") or (parent.endswith("_s") and leaf != "count"):
        return "s"
    return ""


def usd(value: float | None, decimals: int = 2) -> str:
    if value is None or _nan(value):
        return "-"
    return f"-${-value:,.{decimals}f}" if value < 0 else f"${value:,.{decimals}f}"


def seconds(value: float | None) -> str:
    if value is None or _nan(value):
        return "-"
    if abs(value) < 120:
        return f"{value:,.1f} s"
    if abs(value) < 7200:
        return f"{value / 60:,.1f} min ({value:,.0f} s)"
    return f"{value / 3600:,.2f} h ({value:,.0f} s)"


def gwei(value: float | None) -> str:
    if value is None or _nan(value):
        return "-"
    return f"{value:,.3f} gwei" if abs(value) < 10 else f"{value:,.1f} gwei"


def percent(fraction: float | None) -> str:
    """A fraction (0.25) as a percentage (25.0 %)."""
    if fraction is None or _nan(fraction):
        return "-"
    return f"{fraction * 100:,.1f} %"


def number(value: Any) -> str:
    if value is None or (isinstance(value, float) and _nan(value)):
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value == int(value) and abs(value) < 1e15:
            return f"{int(value):,}"
        return f"{value:,.4g}" if abs(value) < 1 else f"{value:,.2f}"
    return str(value)


def formatted(name: str, value: Any) -> str:
    """``value`` of metric ``name`` with its unit."""
    unit = unit_of(name)
    if value is None or isinstance(value, str) or isinstance(value, bool):
        return number(value)
    if unit == "usd":
        return usd(float(value))
    if unit == "s":
        return seconds(float(value))
    if unit == "gas":
        return f"{number(value)} gas"
    if unit == "gwei":
        return gwei(float(value))
    if unit == "pct":
        return f"{float(value):,.2f} %"
    return number(value)


def label(name: str) -> str:
    """``liquidations.volume_usd`` as a heading: ``liquidations volume (USD)``."""
    unit = unit_of(name)
    if unit == "s":
        name = name.replace("_s.", ".")  # liquidations.liquidation_to_seizure_s.mean: the unit goes to the end
    words = name.replace(".", " ").replace("_", " ")
    for suffix in (" usd", " gwei", " pct", " seconds", " s"):
        if words.endswith(suffix):
            words = words[: -len(suffix)]
            break
    shown = {"usd": "USD", "s": "s", "gas": "gas", "gwei": "gwei", "pct": "%"}.get(unit)
    return f"{words} ({shown})" if shown and shown != "gas" else words


def _nan(value: float) -> bool:
    return isinstance(value, float) and math.isnan(value)
