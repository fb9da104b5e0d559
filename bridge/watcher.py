"""Follows one chain's mailbox block by block: the messages it dispatched and the ones it processed.

The watcher is the bridge's view of a chain. Its list of dispatched messages (in
nonce order, with the message tree) is the feed validators attest from; it also
reports ``dispatched``, ``reorged`` and ``processed`` to the lifecycle, stamped with
the block's simulated time and number. Register :meth:`on_block` as a block
listener for exact timing; :meth:`sync` catches up on demand either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from eth_abi import decode as abi_decode
from eth_utils import keccak, to_canonical_address

from chains import Chain, Log
from chains.errors import XmarginError
from chains.producer import sim_time_of
from bridge.lifecycle import Lifecycle
from bridge.merkle import MerkleTree
from bridge.message import Message

DISPATCH_TOPIC = keccak(text="Dispatch(bytes32,uint256,address,bytes)")
PROCESS_TOPIC = keccak(text="Process(bytes32,uint256,address)")
KEPT_BLOCKS = 256  # block hashes remembered for noticing reorgs (deeper ones go unnoticed)


class WatcherError(XmarginError):
    """The mailbox's logs contradict themselves (a gap in nonces, an id that is not the message's hash)."""


@dataclass(frozen=True)
class _Block:
    number: int
    hash: bytes
    time: float


@dataclass(frozen=True)
class DispatchedMessage:
    message: Message
    block: int
    time: float


def dispatch_message(log: Log) -> Message:
    """The message carried by a ``Dispatch`` log, checked against the id the log announces."""
    (encoded,) = abi_decode(["bytes"], log.data)
    message = Message.decode(encoded)
    if message.id != log.topics[1]:
        raise WatcherError(f"Dispatch log announces id 0x{log.topics[1].hex()} for message {message.id_hex}")
    return message


class MailboxWatcher:
    def __init__(self, chain: Chain, mailbox: str, lifecycle: Lifecycle, chain_name: Callable[[int], str | None]) -> None:
        self.chain = chain
        self.mailbox = mailbox
        self._mailbox_bytes = to_canonical_address(mailbox)
        self.lifecycle = lifecycle
        self._chain_name = chain_name
        self.messages: list[DispatchedMessage] = []
        self.tree = MerkleTree()
        self._roots: dict[int, bytes] = {}
        self._blocks: dict[int, _Block] = {}
        self._processed_in: list[tuple[int, bytes]] = []  # recent (block, message id) of Process logs
        self.last_block = -1

    def on_block(self, chain: Chain, block: object) -> None:
        """Block listener (``chains.producer``): read the new block(s).

        An empty block that extends the last one read holds no logs: remember it without a query.
        """
        header = self.chain.head
        last = self._blocks.get(self.last_block)
        if (
            not getattr(block, "transactions", True)
            and header.block_number == self.last_block + 1
            and last is not None
            and bytes(header.parent_hash) == last.hash
        ):
            self._blocks[header.block_number] = _Block(
                header.block_number, bytes(header.hash), sim_time_of(self.chain, header.timestamp)
            )
            self.last_block = header.block_number
            self._trim()
            return
        self.sync()

    def sync(self) -> None:
        """Read every block mined since the last call, first undoing any that were reorganised away."""
        header = self.chain.head
        head = header.block_number
        if head == self.last_block and self._blocks[head].hash == bytes(header.hash):
            return
        self._rewind_reorged(head)
        if head <= self.last_block:
            return
        for log in self.chain.logs(self.last_block + 1, head, {self._mailbox_bytes}, [[DISPATCH_TOPIC, PROCESS_TOPIC]]):
            block = self._remember(log.block_number)
            if log.topics[0] == DISPATCH_TOPIC:
                self._dispatched(log, block)
            else:
                self._processed(log, block)
        self._remember(head)
        self.last_block = head
        self._trim()

    def _trim(self) -> None:
        if len(self._blocks) > 2 * KEPT_BLOCKS:
            self._blocks = {n: self._blocks[n] for n in sorted(self._blocks)[-KEPT_BLOCKS:]}

    def finalized(self) -> int:
        """How many messages (a prefix of :attr:`messages`) are at least ``finality_depth`` blocks deep."""
        final = self.chain.finalized_number
        count = len(self.messages)
        while count and self.messages[count - 1].block > final:
            count -= 1
        return count

    def root_at(self, index: int) -> bytes:
        """The tree's root just after leaf ``index`` was added: what checkpoint ``index`` signs."""
        root = self._roots.get(index)
        if root is None:
            root = self._roots[index] = self.tree.root(index + 1)
        return root

    # -- internals -------------------------------------------------------------

    def _remember(self, number: int) -> _Block:
        known = self._blocks.get(number)
        if known is None:
            header = self.chain.block_header(number)
            known = self._blocks[number] = _Block(number, bytes(header.hash), sim_time_of(self.chain, header.timestamp))
        return known

    def _rewind_reorged(self, head: int) -> None:
        """If blocks we read were replaced, forget what they held, from the first replaced block on.

        Hashes are kept for every block that held a log of ours and for the last block
        read, so the newest of them that is still canonical marks where the branches part.
        """
        if self.last_block < 0:
            return
        last = self._blocks[self.last_block]
        if self.last_block <= head and bytes(self.chain.block_header(self.last_block).hash) == last.hash:
            return
        fork = -1  # the newest block we read that is still canonical
        for number in sorted(self._blocks, reverse=True):
            if number <= head and bytes(self.chain.block_header(number).hash) == self._blocks[number].hash:
                fork = number
                break
        now = sim_time_of(self.chain, self.chain.head_timestamp)
        kept = [m for m in self.messages if m.block <= fork]
        for dropped in self.messages[len(kept):]:
            self.lifecycle.emit(now, dropped.message.id, "reorged", chain=self.chain.name, block=dropped.block, what="dispatch")
        for number, message_id in self._processed_in:
            if number > fork:
                self.lifecycle.emit(now, message_id, "reorged", chain=self.chain.name, block=number, what="process")
        self._processed_in = [(n, i) for n, i in self._processed_in if n <= fork]
        self.messages = kept
        self.tree = MerkleTree([m.message.id for m in kept])
        self._roots = {}
        self._blocks = {n: b for n, b in self._blocks.items() if n <= fork}
        self.last_block = fork
        if fork >= 0:
            self._remember(fork)

    def _dispatched(self, log: Log, block: _Block) -> None:
        message = dispatch_message(log)
        if message.nonce != len(self.messages):
            raise WatcherError(
                f"{self.chain.name}: mailbox dispatched nonce {message.nonce} after {len(self.messages)} messages"
            )
        self.messages.append(DispatchedMessage(message, block.number, block.time))
        self.tree.append(message.id)
        self.lifecycle.emit(
            block.time,
            message.id,
            "dispatched",
            chain=self.chain.name,
            block=log.block_number,
            src_chain=self.chain.name,
            dst_chain=self._chain_name(message.dst_chain_id) or str(message.dst_chain_id),
            nonce=message.nonce,
            sender=message.sender,
            recipient=message.recipient,
        )

    def _processed(self, log: Log, block: _Block) -> None:
        message_id = log.topics[1]
        src_chain_id = int.from_bytes(log.topics[2], "big")
        known = message_id in self.lifecycle and self.lifecycle.record(message_id).dispatched is not None
        self._processed_in.append((block.number, message_id))
        self._processed_in = self._processed_in[-1024:]
        self.lifecycle.emit(
            block.time,
            message_id,
            "processed",
            chain=self.chain.name,
            block=log.block_number,
            src_chain=self._chain_name(src_chain_id) or str(src_chain_id),
            tx=log.transaction_hash.hex(),
            never_dispatched=not known,
        )
