"""Two chains that ran the same transactions on different engines, compared field by field.

Blocks are compared in order, receipts in order within them, so the first difference
reported is the first transaction where the engines parted (with the field that
differs); then the end state, read from each engine itself, account by account and
slot by slot, for every account either chain knows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hexbytes import HexBytes

from chains.abi import checksum
from chains.chain import Chain

RECEIPT_FIELDS = ("status", "gas_used", "cumulative_gas_used", "contract_address", "error", "output")


@dataclass(frozen=True)
class EngineDifference:
    chain: str
    where: str  # the transaction, block, account or slot
    field: str
    left: Any
    right: Any
    engines: tuple[str, str]

    def __str__(self) -> str:
        return (f"{self.chain}: {self.where}: {self.field} differs: "
                f"{self.engines[0]} {_show(self.left)}, {self.engines[1]} {_show(self.right)}")


def _show(value: Any) -> str:
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    return repr(value)


def _logs(receipt: Any) -> list[tuple[bytes, tuple[bytes, ...], bytes]]:
    return [(log.address, log.topics, log.data) for log in receipt.logs]


def compare_chains(left: Chain, right: Chain) -> list[EngineDifference]:
    """Every difference between two runs of one chain, first transaction first (empty: they agree)."""
    engines = (left.engine_name, right.engine_name)
    found: list[EngineDifference] = []

    def differ(where: str, field: str, a: Any, b: Any) -> None:
        if a != b:
            found.append(EngineDifference(left.name, where, field, a, b, engines))

    differ("head", "block number", left.head_number, right.head_number)
    for number in range(min(left.head_number, right.head_number) + 1):
        a, b = left.block(number), right.block(number)
        differ(f"block {number}", "transactions", a.transactions, b.transactions)
        for ra, rb in zip(a.receipts, b.receipts):
            where = f"block {number} transaction {HexBytes(ra.transaction_hash).to_0x_hex()} (index {ra.transaction_index})"
            for field in RECEIPT_FIELDS:
                differ(where, field, getattr(ra, field), getattr(rb, field))
            differ(where, "logs", _logs(ra), _logs(rb))
        differ(f"block {number}", "hash", a.hash, b.hash)
    for address in sorted(set(left.state.accounts) | set(right.state.accounts) | set(left.state.slots) | set(right.state.slots)):
        where = f"account {checksum(address)}"
        differ(where, "account (nonce, balance, code hash)", left.engine.read_account(address), right.engine.read_account(address))
        slots = set(left.state.slots.get(address, {})) | set(right.state.slots.get(address, {}))
        for slot in sorted(slots):
            differ(f"{where} slot {slot}", "storage", left.engine.read_storage(address, slot), right.engine.read_storage(address, slot))
    return found


def check_engine_agrees_with_chain(chain: Chain) -> list[str]:
    """Where an engine's own state differs from what the chain recorded of it (empty: in step)."""
    problems = []
    for address, account in chain.state.accounts.items():
        held = chain.engine.read_account(address)
        if held != account:
            problems.append(f"{chain.name}: account {checksum(address)}: chain {account}, engine {held}")
    for address, slots in chain.state.slots.items():
        for slot, value in slots.items():
            held = chain.engine.read_storage(address, slot)
            if held != value:
                problems.append(f"{chain.name}: {checksum(address)} slot {slot}: chain {value}, engine {held}")
    return problems
