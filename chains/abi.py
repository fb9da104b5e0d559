"""A contract's functions by name: calldata encoded and results decoded with eth-abi, as web3 would.

web3's contract objects validate and normalise on every call, which costs several times
the encoding itself; the simulation's agents call contracts thousands of times a run.
This keeps only what a call needs (selector, input and output types), found once per
contract, and gives results the shape web3's ``call()`` gives them: one output
unwrapped, several as a tuple, arrays as lists, addresses checksummed.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from eth_abi import decode as abi_decode, encode as abi_encode
from eth_utils import function_abi_to_4byte_selector, to_canonical_address, to_checksum_address
from eth_utils.abi import collapse_if_tuple

from chains.errors import XmarginError


@functools.lru_cache(maxsize=1 << 16)
def checksum(address: str | bytes) -> str:
    """EIP-55 form of an address, remembered: the same few hundred addresses come back all run long."""
    return to_checksum_address(address)


class AbiError(XmarginError):
    """A function the contract does not have, or arguments that do not fit it."""


@dataclass(frozen=True)
class Function:
    name: str
    selector: bytes
    inputs: tuple[str, ...]
    outputs: tuple[Mapping[str, Any], ...]

    def encode(self, args: Iterable[Any]) -> bytes:
        args = tuple(args)
        try:
            return self.selector + abi_encode(self.inputs, args)
        except Exception as exc:  # noqa: BLE001 - eth-abi raises several types for a value that does not fit
            raise AbiError(f"{self.name}({', '.join(self.inputs)}) cannot take {args!r}: {exc}") from None

    def decode(self, data: bytes) -> Any:
        values = abi_decode([collapse_if_tuple(o) for o in self.outputs], data)
        shaped = tuple(_shape(o, v) for o, v in zip(self.outputs, values))
        if len(shaped) == 1:
            return shaped[0]
        return shaped


def _shape(abi: Mapping[str, Any], value: Any) -> Any:
    kind = abi["type"]
    if kind.endswith("]"):
        element = {**abi, "type": kind[: kind.rindex("[")]}
        return [_shape(element, item) for item in value]
    if kind == "tuple":
        return tuple(_shape(component, item) for component, item in zip(abi["components"], value))
    if kind == "address":
        return checksum(value)
    return value


def function_of(entry: Mapping[str, Any]) -> Function:
    """A function's ABI entry, compiled."""
    return Function(
        entry["name"], function_abi_to_4byte_selector(entry), tuple(collapse_if_tuple(i) for i in entry["inputs"]),
        tuple(entry.get("outputs", ())),
    )


class ContractAbi:
    """The functions of one ABI; overloads (Vyper's default arguments) are told apart by argument count."""

    def __init__(self, abi: Iterable[Mapping[str, Any]]) -> None:
        self._functions: dict[tuple[str, int], Function] = {}
        for entry in abi:
            if entry.get("type") != "function":
                continue
            function = function_of(entry)
            self._functions[(function.name, len(function.inputs))] = function

    def function(self, name: str, arity: int) -> Function:
        try:
            return self._functions[(name, arity)]
        except KeyError:
            known = sorted({n for n, _ in self._functions})
            raise AbiError(f"no function {name} taking {arity} argument(s); the contract has {', '.join(known)}") from None

    def encode(self, name: str, *args: Any) -> bytes:
        return self.function(name, len(args)).encode(args)


@dataclass(frozen=True)
class BoundCall:
    """One function of one contract with its arguments: what a call or a transaction carries."""

    to: bytes
    function: Function
    args: tuple[Any, ...]

    @property
    def fn_name(self) -> str:
        return self.function.name

    @property
    def calldata(self) -> bytes:
        return self.function.encode(self.args)


class Calls:
    """``calls.name(*args)`` builds a :class:`BoundCall` to ``address`` (like web3's ``contract.functions``)."""

    def __init__(self, address: bytes, abi: ContractAbi) -> None:
        self._address = address
        self._abi = abi

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)

        def bind(*args: Any) -> BoundCall:
            return BoundCall(self._address, self._abi.function(name, len(args)), args)

        return bind


def bound_from_web3(function: Any) -> BoundCall:
    """A web3 ``ContractFunction`` (already given its arguments) as a :class:`BoundCall`."""
    return BoundCall(to_canonical_address(function.address), function_of(function.abi), tuple(function.args))
