"""``eth_call`` and ``eth_estimateGas``, executed on py-evm as geth executes them.

eth-tester's own ``call`` turns a revert into a message and drops the revert data, and
charges the caller for gas (so an address without ether cannot even read a view).
Tools need the data (to decode custom errors) and call from any address, so these two
run the message directly: on the state of the requested block (for ``pending``, the
chain's live pending state), with the base fee and the gas price set to zero for the
execution, as geth does for a call without fees (``GASPRICE`` still reads the caller's).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

from eth.abc import BlockHeaderAPI, ComputationAPI, VirtualMachineAPI
from eth.exceptions import Revert, VMError
from eth.vm.spoof import SpoofTransaction
from eth_abi import decode as abi_decode

from chains.chain import Chain
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


def _header_of(chain: Chain, block: BlockRef) -> BlockHeaderAPI:
    evm = chain.backend.chain
    return evm.header if block == PENDING else evm.get_canonical_block_header_by_number(block)


@contextmanager
def _costless(chain: Chain, block: BlockRef) -> Iterator[tuple[VirtualMachineAPI, BlockHeaderAPI]]:
    """A VM on the state of ``block`` whose execution context charges no base fee; its state is rolled back.

    For the pending block this is the chain's live pending VM (its state holds the
    transactions not yet mined), so the context is swapped only for the duration.
    """
    header = _header_of(chain, block)
    vm = chain.backend.chain.get_vm(at_header=header)
    state = vm.state
    original = state.execution_context
    state.execution_context = vm.create_execution_context(
        header.copy(base_fee_per_gas=0), original.prev_hashes, vm.chain_context
    )
    snapshot = state.snapshot()
    try:
        yield vm, header
    finally:
        state.revert(snapshot)
        state.execution_context = original


def _gas_price(request: CallRequest, base_fee: int) -> int:
    """What ``GASPRICE`` reads: the price given, or the effective price of the EIP-1559 fees given, else 0."""
    if request.gas_price is not None:
        return request.gas_price
    if request.max_fee_per_gas is None and request.max_priority_fee_per_gas is None:
        return 0
    tip = request.max_priority_fee_per_gas or 0
    cap = base_fee + tip if request.max_fee_per_gas is None else request.max_fee_per_gas
    return min(cap, base_fee + tip)


def _message(chain: Chain, vm: VirtualMachineAPI, request: CallRequest, gas: int, base_fee: int) -> SpoofTransaction:
    builder = vm.get_transaction_builder()
    fields = dict(
        nonce=vm.state.get_nonce(request.sender), gas_price=_gas_price(request, base_fee), gas=gas, to=request.to,
        value=request.value, data=request.data,
    )
    if request.access_list is None:
        unsigned = builder.create_unsigned_transaction(**fields)
    else:
        unsigned = builder.new_unsigned_access_list_transaction(
            chain_id=chain.chain_id, access_list=request.access_list, **fields
        )
    return SpoofTransaction(unsigned, from_=request.sender)


def revert_error(data: bytes) -> RpcError:
    """Code 3 with the revert data, and the reason in the message when it is an ``Error(string)``."""
    message = "execution reverted"
    if data[:4] == ERROR_STRING_SELECTOR:
        try:
            message += f": {abi_decode(['string'], data[4:])[0]}"
        except Exception:  # noqa: BLE001 - malformed reason data: the bare message and the data stay
            pass
    return RpcError(EXECUTION_REVERTED, message, data="0x" + data.hex())


def _failure(error: VMError, output: bytes) -> RpcError:
    if isinstance(error, Revert):
        return revert_error(output)
    return RpcError(SERVER_ERROR, f"execution failed: {error}")


def execute_call(chain: Chain, request: CallRequest, block: BlockRef) -> bytes:
    with _costless(chain, block) as (vm, header):
        gas = header.gas_limit if request.gas is None else min(request.gas, header.gas_limit)
        message = _message(chain, vm, request, gas, header.base_fee_per_gas)
        computation: ComputationAPI = vm.state.costless_execute_transaction(message)
    if computation.is_error:
        raise _failure(computation.error, computation.output)
    return computation.output


def estimate_gas(chain: Chain, request: CallRequest, block: BlockRef) -> int:
    """The least gas (within py-evm's tolerance) with which the transaction does not fail."""
    with _costless(chain, block) as (vm, header):
        cap = header.gas_limit if request.gas is None else min(request.gas, header.gas_limit)
        message = _message(chain, vm, request, cap, header.base_fee_per_gas)
        try:
            return chain.backend.chain.gas_estimator(vm.state, SpoofTransaction(message, gas_price=0))
        except Revert as error:
            raise revert_error(error.args[0] if error.args and isinstance(error.args[0], bytes) else b"") from None
        except VMError as error:
            raise RpcError(
                SERVER_ERROR, f"gas required exceeds allowance ({cap}) or always failing transaction: {error}"
            ) from None


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
