"""Checking and decoding JSON-RPC parameters: quantities, data, addresses, hashes, booleans.

Every failure is an ``invalid params`` error (-32602) naming the parameter.
"""

from __future__ import annotations

from typing import Any

from eth_utils import is_address, to_canonical_address, to_checksum_address

from chains.rpc.errors import invalid_params


def positional(params: list[Any], method: str, required: int, optional: int = 0) -> list[Any]:
    """``params`` padded with ``None`` to ``required + optional`` entries, after checking its length."""
    most = required + optional
    if not required <= len(params) <= most:
        expected = f"{required}" if not optional else f"{required} to {most}"
        raise invalid_params(f"{method} takes {expected} parameter(s), got {len(params)}")
    return list(params) + [None] * (most - len(params))


def parse_quantity(value: Any, what: str) -> int:
    """A non-negative integer: a ``0x`` hex string (as JSON-RPC sends it) or a plain JSON integer."""
    if isinstance(value, bool):
        raise invalid_params(f"{what} must be a quantity, got {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise invalid_params(f"{what} cannot be negative, got {value}")
        return value
    if isinstance(value, str) and value[:2] in ("0x", "0X") and len(value) > 2:
        try:
            return int(value[2:], 16)
        except ValueError:
            pass
    raise invalid_params(f"{what} must be a hex quantity such as '0x1a', got {value!r}")


def parse_data(value: Any, what: str) -> bytes:
    if isinstance(value, str) and value[:2] in ("0x", "0X") and len(value) % 2 == 0:
        try:
            return bytes.fromhex(value[2:])
        except ValueError:
            pass
    raise invalid_params(f"{what} must be 0x-prefixed hex data of whole bytes, got {_short(value)}")


def parse_fixed_data(value: Any, size: int, what: str) -> bytes:
    data = parse_data(value, what)
    if len(data) != size:
        raise invalid_params(f"{what} must be {size} bytes, got {len(data)}")
    return data


def parse_address(value: Any, what: str) -> bytes:
    if not isinstance(value, str) or not is_address(value):
        raise invalid_params(f"{what} must be a 20-byte hex address (with a valid checksum if mixed-case), got {_short(value)}")
    return to_canonical_address(value)


def checksum(value: Any, what: str) -> str:
    return to_checksum_address(parse_address(value, what))


def parse_bool(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise invalid_params(f"{what} must be true or false, got {_short(value)}")
    return value


def parse_object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid_params(f"{what} must be a JSON object, got {_short(value)}")
    return value


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
