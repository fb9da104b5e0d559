"""``eth_call`` and ``eth_estimateGas``: run on the requested block's state, as geth runs them.

Calls come from any address without charging it (the base fee and the gas price are
zero for the execution, as geth does for a call without fees); a revert is answered
with code 3 and the revert data, so tools can decode custom errors. ``pending`` is the
head's state: the pool executes only when a block is built.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_abi import decode as abi_decode

from chains.chain import Chain
from chains.engines.base import CallResult
from chains.rpc.blocks import PENDING, BlockRef, resolve_block
from chains.rpc.errors import EXECUTION_REVERTED, SERVER_ERROR, RpcError, invalid_params
from chains.rpc.params import parse_address, parse_data, parse_fixed_data, parse_object, parse_quantity, positional

ERROR_STRING_SELECTOR = bytes.fromhex("08c379a0")  # Error(string)
ZERO_ADDRESS = b"\x00" * 20


@dataclass(frozen=True)
class CallRequest:
    """The transaction object of ``eth_call`` / ``eth_estimateGas``, decoded."""

    sender: bytes
    to: bytes  # b"" creates a contract
    gas: int | None
    gas_price: int | None
    max_fee_per_gas: int | None
    max_priority_fee_per_gas: int | None
    value: int
    data: bytes
    access_list: tuple[tuple[bytes, tuple[int, ...]], ...] | None
    type: int | None = None


TRANSACTION_KEYS = (
    "from", "to", "gas", "gasPrice", "maxFeePerGas", "maxPriorityFeePerGas", "value",
    "data", "input", "nonce", "accessList", "chainId", "type",
)
# fields that would change what the transaction does, and that this endpoint cannot honour
UNSUPPORTED_KEYS = ("authorizationList", "blobVersionedHashes", "maxFeePerBlobGas", "blobs")


def parse_call_request(value: Any, what: str = "transaction") -> CallRequest:
    """Check every field a transaction object may have; other fields are ignored, as geth ignores them."""
    obj = parse_object(value, what)
    unsupported = [key for key in UNSUPPORTED_KEYS if obj.get(key) is not None]
    if unsupported:
        raise invalid_params(f"{what}: {', '.join(unsupported)} not supported by this endpoint")

    def quantity(key: str) -> int | None:
        return None if obj.get(key) is None else parse_quantity(obj[key], f"{what}.{key}")

    data = b"" if obj.get("data") is None else parse_data(obj["data"], f"{what}.data")
    if obj.get("input") is not None:
        given_input = parse_data(obj["input"], f"{what}.input")
        if obj.get("data") is not None and given_input != data:
            raise invalid_params(f"{what} has both data and input, and they differ")
        data = given_input
    for key in ("nonce", "chainId"):
        quantity(key)  # checked; a call ignores them (eth_sendTransaction passes them on)
    if obj.get("gasPrice") is not None and (obj.get("maxFeePerGas") is not None or obj.get("maxPriorityFeePerGas") is not None):
        raise invalid_params(f"{what}: give gasPrice or maxFeePerGas/maxPriorityFeePerGas, not both")
    return CallRequest(
        sender=ZERO_ADDRESS if obj.get("from") is None else parse_address(obj["from"], f"{what}.from"),
        to=b"" if obj.get("to") is None else parse_address(obj["to"], f"{what}.to"),
        gas=quantity("gas"),
        gas_price=quantity("gasPrice"),
        max_fee_per_gas=quantity("maxFeePerGas"),
        max_priority_fee_per_gas=quantity("maxPriorityFeePerGas"),
        value=quantity("value") or 0,
        data=data,
        access_list=None if obj.get("accessList") is None else _parse_access_list(obj["accessList"], f"{what}.accessList"),
        type=quantity("type"),
    )


def _parse_access_list(value: Any, what: str) -> tuple[tuple[bytes, tuple[int, ...]], ...]:
    if not isinstance(value, list):
        raise invalid_params(f"{what} must be an array")
    entries = []
    for index, item in enumerate(value):
        entry = parse_object(item, f"{what}[{index}]")
        keys = entry.get("storageKeys", [])
        if not isinstance(keys, list):
            raise invalid_params(f"{what}[{index}].storageKeys must be an array")
        slots = tuple(int.from_bytes(parse_fixed_data(k, 32, f"{what}[{index}].storageKeys"), "big") for k in keys)
        entries.append((parse_address(entry.get("address"), f"{what}[{index}].address"), slots))
    return tuple(entries)


# -- execution ---------------------------------------------------------------


def revert_error(data: bytes) -> RpcError:
    """Code 3 with the revert data, and the reason in the message when it is an ``Error(string)``."""
    message = "execution reverted"
    if data[:4] == ERROR_STRING_SELECTOR:
        try:
            message += f": {abi_decode(['string'], data[4:])[0]}"
        except Exception:  # noqa: BLE001 - malformed reason data: the bare message and the data stay
            pass
    return RpcError(EXECUTION_REVERTED, message, data="0x" + data.hex())


def _failure(result: CallResult) -> RpcError:
    if result.error == "reverted":
        return revert_error(result.output)
    return RpcError(SERVER_ERROR, f"execution failed: {result.error}")


def _message(request: CallRequest) -> dict[str, Any]:
    return dict(to=None if request.to == b"" else request.to, data=request.data, sender=request.sender,
                value=request.value, gas=request.gas)


def execute_call(chain: Chain, request: CallRequest, block: BlockRef) -> bytes:
    gas_price = request.gas_price if request.gas_price is not None else request.max_fee_per_gas or 0
    result = chain.call(gas_price=gas_price, block=block, **_message(request))
    if not result.success:
        raise _failure(result)
    return result.output


def estimate_gas(chain: Chain, request: CallRequest, block: BlockRef) -> int:
    """The least gas limit with which the transaction does not fail."""
    result = chain.estimate_gas(block=block, **_message(request))
    if not result.success:
        if result.error == "reverted":
            raise revert_error(result.output)
        cap = request.gas or chain.config.block_gas_limit
        raise RpcError(SERVER_ERROR, f"gas required exceeds allowance ({cap}) or always failing transaction: {result.error}")
    return result.gas_used


# -- the methods ---------------------------------------------------------------


def _no_overrides(overrides: Any) -> None:
    if overrides not in (None, {}):
        raise invalid_params("state overrides are not supported by this endpoint")


def eth_call(chain: Chain, params: list[Any]) -> str:
    transaction, block, overrides = positional(params, "eth_call", 1, 2)
    _no_overrides(overrides)
    request = parse_call_request(transaction)
    return "0x" + execute_call(chain, request, resolve_block(chain, block)).hex()


def eth_estimate_gas(chain: Chain, params: list[Any]) -> int:
    """Defaults to the pending block, as anvil does: a batch of sends can be estimated one after another."""
    transaction, block, overrides = positional(params, "eth_estimateGas", 1, 2)
    _no_overrides(overrides)
    request = parse_call_request(transaction)
    return estimate_gas(chain, request, resolve_block(chain, block, default=PENDING))


METHODS = {
    "eth_call": eth_call,
    "eth_estimateGas": eth_estimate_gas,
}
