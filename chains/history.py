"""A chain's history as data, and a fresh chain brought to the same point by replaying it.

What is kept is what the chain cannot recompute: every block's timestamp, ``mix_hash``
and signed transactions in order, the direct state changes (``anvil_setBalance`` and
friends) with the block they followed, the transactions still in the pool, and the
next block's timestamp. Replaying executes every transaction again on whatever engine
the new chain runs, block by block, and checks each block's hash against the recorded
one, so a replay that drifted stops at the first block that differs. Logs, receipts
and the state are the replay's own, which is what lets the bridge's watchers and
relayers rebuild their view from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hexbytes import HexBytes

from chains.chain import Chain
from chains.engines.base import Account
from chains.errors import ChainStateError
from chains.signing import decode_transaction

FORMAT = "xmargin-chain-history/1"


@dataclass(frozen=True)
class RecordedBlock:
    number: int
    timestamp: int
    mix_hash: bytes
    transactions: tuple[bytes, ...]  # raw signed transactions, in block order
    hash: bytes


@dataclass(frozen=True)
class RecordedWrite:
    after_block: int
    accounts: dict[bytes, Account]
    storage: dict[tuple[bytes, int], int]
    code: dict[bytes, bytes]  # code hash -> code, for the accounts that got new code


@dataclass(frozen=True)
class ChainHistory:
    chain_id: int
    genesis_hash: bytes
    blocks: tuple[RecordedBlock, ...]
    writes: tuple[RecordedWrite, ...]
    pool: tuple[bytes, ...]
    next_timestamp: int
    branch: int

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "chain_id": self.chain_id,
            "genesis_hash": _hex(self.genesis_hash),
            "blocks": [[b.number, b.timestamp, _hex(b.mix_hash), [_hex(t) for t in b.transactions], _hex(b.hash)]
                       for b in self.blocks],
            "writes": [{
                "after_block": w.after_block,
                "accounts": {_hex(a): [x.nonce, hex(x.balance), _hex(x.code_hash)] for a, x in w.accounts.items()},
                "storage": [[_hex(a), hex(slot), hex(value)] for (a, slot), value in w.storage.items()],
                "code": {_hex(h): _hex(c) for h, c in w.code.items()},
            } for w in self.writes],
            "pool": [_hex(t) for t in self.pool],
            "next_timestamp": self.next_timestamp,
            "branch": self.branch,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ChainHistory":
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ChainStateError(f"not a chain history (expected format {FORMAT!r})")
        try:
            return cls(
                chain_id=int(data["chain_id"]),
                genesis_hash=_bytes(data["genesis_hash"]),
                blocks=tuple(RecordedBlock(int(n), int(ts), _bytes(mix), tuple(_bytes(t) for t in txs), _bytes(h))
                             for n, ts, mix, txs, h in data["blocks"]),
                writes=tuple(RecordedWrite(
                    int(w["after_block"]),
                    {_bytes(a): Account(int(x[0]), int(x[1], 16), _bytes(x[2])) for a, x in w["accounts"].items()},
                    {(_bytes(a), int(slot, 16)): int(value, 16) for a, slot, value in w["storage"]},
                    {_bytes(h): _bytes(c) for h, c in w["code"].items()},
                ) for w in data["writes"]),
                pool=tuple(_bytes(t) for t in data["pool"]),
                next_timestamp=int(data["next_timestamp"]),
                branch=int(data["branch"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ChainStateError(f"a damaged chain history: {type(exc).__name__}: {exc}") from None


def _hex(value: bytes) -> str:
    return "0x" + bytes(value).hex()


def _bytes(value: str) -> bytes:
    return bytes(HexBytes(value))


def record(chain: Chain, after_block: int = 0) -> ChainHistory:
    """``chain``'s history after block ``after_block`` (0: all of it)."""
    blocks = tuple(
        RecordedBlock(b.number, b.timestamp, b.header.mix_hash, tuple(t.encode() for t in b.signed), b.header.hash)
        for b in chain.blocks(after_block + 1, chain.head_number)
    )
    writes = []
    for number, diff, cheat in chain._journal:  # noqa: SLF001 - the package's own bookkeeping
        if cheat and number >= after_block:
            accounts, storage = diff.after()
            code = {a.code_hash: chain.state.code[a.code_hash] for a in accounts.values() if a.code_hash in chain.state.code}
            writes.append(RecordedWrite(number, accounts, storage, code))
    return ChainHistory(
        chain_id=chain.chain_id, genesis_hash=chain.block(0).header.hash, blocks=blocks, writes=tuple(writes),
        pool=tuple(p.transaction.encode() for p in chain.pool.all()), next_timestamp=chain.next_timestamp,
        branch=chain.branch,
    )


def replay(chain: Chain, history: ChainHistory) -> None:
    """Bring ``chain`` (the same config and seed, at the block the history starts after) to the recorded point."""
    if history.chain_id != chain.chain_id:
        raise ChainStateError(f"{chain.name}: the history is of chain id {history.chain_id}, this chain's is {chain.chain_id}")
    if history.genesis_hash != chain.block(0).header.hash:
        raise ChainStateError(f"{chain.name}: the history starts from another genesis (another seed or config?)")
    pending_writes = list(history.writes)

    def write_up_to(number: int) -> None:
        while pending_writes and pending_writes[0].after_block <= number:
            write = pending_writes.pop(0)
            chain.state.code.update(write.code)
            chain._write(dict(write.accounts), dict(write.storage))  # noqa: SLF001 - a recorded cheat, replayed

    for recorded in history.blocks:
        if recorded.number != chain.head_number + 1:
            raise ChainStateError(f"{chain.name}: the history has block {recorded.number} next, the chain is at {chain.head_number}")
        write_up_to(chain.head_number)
        block = chain.mine_exactly(recorded.timestamp, [decode_transaction(t) for t in recorded.transactions], recorded.mix_hash)
        if block.header.hash != recorded.hash:
            raise ChainStateError(f"{chain.name}: block {recorded.number} replays to another hash than recorded")
    write_up_to(chain.head_number)
    chain.branch = history.branch
    if history.next_timestamp > chain.head_timestamp:
        chain.set_next_timestamp(history.next_timestamp)
    for raw in history.pool:
        chain.send_raw_transaction(raw)
