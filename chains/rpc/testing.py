"""Testing methods in the style of Anvil and Hardhat: snapshots, mining, time, automine, state, impersonation.

All of them act through the :class:`~chains.Chain` API, so what they do is what the
chain's own users get: ``evm_revert`` drops the pool, a timestamp that is not after the
head's is refused, and a snapshot is used up by reverting to it (as in Anvil and
Hardhat: a second ``evm_revert`` to it answers false).
"""

from __future__ import annotations

from typing import Any

from chains.chain import Chain
from chains.errors import ChainStateError
from chains.rpc.errors import invalid_params
from chains.rpc.params import parse_address, parse_bool, parse_data, parse_fixed_data, parse_quantity, positional

MAX_BLOCKS_PER_CALL = 10_000
MAX_CODE_SIZE = 24_576
MAX_TIMESTAMP = 2**64 - 1  # a block header's timestamp is a uint64


def _timestamp(value: Any, what: str = "timestamp") -> int:
    timestamp = parse_quantity(value, what)
    if timestamp > MAX_TIMESTAMP:
        raise invalid_params(f"{what} {timestamp} does not fit a block header (at most 2**64 - 1)")
    return timestamp


def evm_snapshot(chain: Chain, params: list[Any]) -> int:
    positional(params, "evm_snapshot", 0)
    return chain.snapshot()


def evm_revert(chain: Chain, params: list[Any]) -> bool:
    """``true`` once reverted; ``false`` for an unknown snapshot id (as Hardhat and Anvil answer)."""
    (snapshot_id,) = positional(params, "evm_revert", 1)
    try:
        chain.revert(parse_quantity(snapshot_id, "snapshot id"), keep=False)
    except ChainStateError:
        return False
    return True


def _mine(chain: Chain, blocks: int, interval: int | None, first_timestamp: int | None) -> None:
    if not 1 <= blocks <= MAX_BLOCKS_PER_CALL:
        raise invalid_params(f"blocks must be between 1 and {MAX_BLOCKS_PER_CALL}, got {blocks}")
    if first_timestamp is not None and first_timestamp <= chain.head_timestamp:
        raise invalid_params(f"timestamp {first_timestamp} is not after the head block's ({chain.head_timestamp})")
    start = chain.next_timestamp if first_timestamp is None else first_timestamp
    _timestamp(start + (interval or chain.block_time) * (blocks - 1), "the last block's timestamp")
    timestamp = first_timestamp
    for _ in range(blocks):
        block = chain.mine(timestamp)
        timestamp = None if interval is None else block.timestamp + interval


def evm_mine(chain: Chain, params: list[Any]) -> str:
    """Mine one block (``[timestamp]``), or ``[{"timestamp": t, "blocks": n}]`` as Ganache and Anvil take."""
    (options,) = positional(params, "evm_mine", 0, 1)
    timestamp, blocks = None, 1
    if isinstance(options, dict):
        unknown = sorted(set(options) - {"timestamp", "blocks"})
        if unknown:
            raise invalid_params(f"evm_mine options: unknown field(s) {', '.join(unknown)}")
        if options.get("timestamp") is not None:
            timestamp = _timestamp(options["timestamp"])
        if options.get("blocks") is not None:
            blocks = parse_quantity(options["blocks"], "blocks")
    elif options is not None:
        timestamp = _timestamp(options)
    _mine(chain, blocks, chain.block_time if blocks > 1 else None, timestamp)
    return "0x0"


def anvil_mine(chain: Chain, params: list[Any]) -> None:
    """``[blocks, interval]`` (both optional): mine ``blocks`` blocks ``interval`` seconds apart."""
    blocks, interval = positional(params, "anvil_mine", 0, 2)
    count = 1 if blocks is None else parse_quantity(blocks, "blocks")
    spacing = chain.block_time if interval is None else parse_quantity(interval, "interval")
    if spacing < 1:
        raise invalid_params("interval must be at least 1 second: block timestamps must increase")
    _mine(chain, count, spacing, None)
    return None


def evm_increase_time(chain: Chain, params: list[Any]) -> int:
    """Move the next block's timestamp forward; answers the seconds added."""
    (seconds,) = positional(params, "evm_increaseTime", 1)
    amount = parse_quantity(seconds, "seconds")
    _timestamp(chain.next_timestamp + amount, "the next block's timestamp")
    chain.increase_time(amount)
    return amount


def evm_set_next_block_timestamp(chain: Chain, params: list[Any]) -> None:
    (timestamp,) = positional(params, "evm_setNextBlockTimestamp", 1)
    chain.set_next_timestamp(_timestamp(timestamp))
    return None


def evm_set_automine(chain: Chain, params: list[Any]) -> None:
    """``true``: one block per transaction (pending transactions are mined first); ``false``: batched."""
    (enabled,) = positional(params, "evm_setAutomine", 1)
    chain.auto_mine = parse_bool(enabled, "automine flag")
    return None


def get_automine(chain: Chain, params: list[Any]) -> bool:
    positional(params, "anvil_getAutomine", 0)
    return chain.auto_mine


# -- state, as Anvil changes it: at once, without a block ---------------------------------------

def _quantity(value: Any, what: str, bits: int) -> int:
    """A hex quantity that must fit ``bits`` bits (a balance, a nonce, a storage slot)."""
    amount = parse_quantity(value, what)
    if amount >= 2**bits:
        raise invalid_params(f"{what} does not fit {bits} bits")
    return amount


def set_balance(chain: Chain, params: list[Any]) -> None:
    address, balance = positional(params, "anvil_setBalance", 2)
    chain.set_account(parse_address(address, "address"), balance=_quantity(balance, "balance", 256))
    return None


def set_nonce(chain: Chain, params: list[Any]) -> None:
    address, nonce = positional(params, "anvil_setNonce", 2)
    chain.set_account(parse_address(address, "address"), nonce=_quantity(nonce, "nonce", 64))
    return None


def set_code(chain: Chain, params: list[Any]) -> None:
    address, code = positional(params, "anvil_setCode", 2)
    bytecode = parse_data(code, "code")
    if len(bytecode) > MAX_CODE_SIZE:
        raise invalid_params(f"code of {len(bytecode)} bytes is over EIP-170's {MAX_CODE_SIZE}")
    chain.set_account(parse_address(address, "address"), code=bytecode)
    return None


def set_storage_at(chain: Chain, params: list[Any]) -> bool:
    address, slot, value = positional(params, "anvil_setStorageAt", 3)
    position = _quantity(slot, "storage slot", 256)
    word = parse_fixed_data(value, 32, "storage value")
    chain.set_storage(parse_address(address, "address"), position, int.from_bytes(word, "big"))
    return True


def impersonate(chain: Chain, params: list[Any]) -> None:
    """``eth_sendTransaction`` from this address works without its key, until stopped (Anvil's cheat)."""
    (address,) = positional(params, "anvil_impersonateAccount", 1)
    chain.impersonated.add(parse_address(address, "address"))
    return None


def stop_impersonating(chain: Chain, params: list[Any]) -> None:
    (address,) = positional(params, "anvil_stopImpersonatingAccount", 1)
    chain.impersonated.discard(parse_address(address, "address"))
    return None


METHODS = {
    "evm_snapshot": evm_snapshot,
    "evm_revert": evm_revert,
    "evm_mine": evm_mine,
    "evm_increaseTime": evm_increase_time,
    "evm_setNextBlockTimestamp": evm_set_next_block_timestamp,
    "evm_setAutomine": evm_set_automine,
    "anvil_snapshot": evm_snapshot,
    "anvil_revert": evm_revert,
    "anvil_mine": anvil_mine,
    "hardhat_mine": anvil_mine,
    "anvil_increaseTime": evm_increase_time,
    "anvil_setNextBlockTimestamp": evm_set_next_block_timestamp,
    "anvil_setAutomine": evm_set_automine,
    "anvil_getAutomine": get_automine,
    "hardhat_getAutomine": get_automine,
    **{f"{prefix}_{name}": method for prefix in ("anvil", "hardhat") for name, method in (
        ("setBalance", set_balance), ("setNonce", set_nonce), ("setCode", set_code), ("setStorageAt", set_storage_at),
        ("impersonateAccount", impersonate), ("stopImpersonatingAccount", stop_impersonating),
    )},
}
