"""An eth-tester py-evm backend made fit for several chains in one process.

eth-tester builds every chain with one hard-coded chain id, a wall-clock genesis
timestamp and a random ``mix_hash`` per block, and finds a transaction by scanning
every block. This backend fixes each of those: the chain id is the configured one
(for the EVM's CHAINID opcode and for signing), a typed or EIP-155 transaction for
another chain id is refused, genesis and ``mix_hash`` come from config and seed, and
transactions are looked up through py-evm's own hash index.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from eth.chains.base import MiningChain
from eth.db import get_db_backend
from eth.exceptions import HeaderNotFound, TransactionNotFound as EVMTransactionNotFound
from eth.vm.forks import PragueVM
from eth.vm.forks.berlin.transactions import TypedTransaction
from eth.vm.forks.cancun import get_total_blob_gas
from eth_keys.datatypes import PrivateKey
from eth_tester.backends.pyevm.main import (
    PyEVMBackend,
    get_default_account_state,
    get_default_genesis_params,
)
from eth_tester.backends.pyevm.serializers import serialize_transaction, serialize_transaction_receipt
from eth_tester.exceptions import TransactionNotFound, ValidationError
from eth_utils import encode_hex, keccak, to_wei

from chains.errors import WrongChainIdError


class WrongChainIdValidationError(ValidationError, WrongChainIdError):
    """Raised inside eth-tester so web3 reports it as a failed request, and still a user error."""


ZERO_ADDRESS = b"\x00" * 20


class BatchingMiningChain(MiningChain):
    """py-evm's MiningChain without its per-transaction block rebuild.

    MiningChain rebuilds the transaction and receipt tries of the pending block and
    recomputes the state root after every transaction, so filling a block with n
    transactions costs O(n^2) and every transaction pays for a full state-root hash.
    Here one VM stays alive for the pending block: transactions execute against its
    journaled state, and the state root and both tries are computed once, when the
    block is sealed. Reads of the pending state (nonces, ``pending`` calls) go to that
    same VM, so they stay exact.
    """

    vm_configuration = ((0, PragueVM),)
    block_time = 1  # the default gap between a block's timestamp and its child's

    def __init__(self, base_db: Any, header: Any = None) -> None:
        super().__init__(base_db, header)
        self._clear_pending()

    def _clear_pending(self) -> None:
        self._pending_header: Any = None
        self._pending_vm: Any = None
        self._pending_transactions: list[Any] = []
        self._pending_receipts: list[Any] = []

    def _pending_valid(self) -> bool:
        # any code that replaces the header (import, revert, new block, retiming) invalidates it
        return self._pending_header is not None and self._pending_header is self.header

    def create_header_from_parent(self, parent_header: Any, **header_params: Any) -> Any:
        # keep the gas limit constant, as eth-tester does; py-evm would take the timestamp from
        # the wall clock (it did for every block mined by auto-mining), so default it from the parent
        header_params.setdefault("timestamp", parent_header.timestamp + self.block_time)
        return super().create_header_from_parent(parent_header, **{**header_params, "gas_limit": parent_header.gas_limit})

    def get_transaction_builder(self) -> Any:
        return self.get_vm().get_transaction_builder()

    def get_vm(self, at_header: Any = None) -> Any:
        if self._pending_valid() and (at_header is None or at_header is self.header):
            return self._pending_vm
        return super().get_vm(at_header)

    def apply_transaction(self, transaction: Any) -> tuple[Any, Any, Any]:
        if not self._pending_valid():
            self._clear_pending()
            self._pending_vm = super().get_vm(self.header)
        vm = self._pending_vm
        builder = vm.get_transaction_builder()
        if isinstance(transaction, TypedTransaction) and not isinstance(transaction, builder.typed_transaction):
            # eth-tester signs typed transactions with London's class, which this fork's block cannot encode
            transaction = builder.decode(transaction.encode())
        receipt, computation = vm.apply_transaction(self.header, transaction)
        self.header = vm.add_receipt_to_header(self.header, receipt)
        self._pending_header = self.header
        self._pending_transactions.append(transaction)
        self._pending_receipts.append(receipt)
        return None, receipt, computation

    def pending_transactions(self) -> tuple[Any, ...]:
        return tuple(self._pending_transactions) if self._pending_valid() else ()

    def get_block(self) -> Any:
        """The pending block, with its transactions (its roots are only computed when it is sealed)."""
        transactions = self.pending_transactions()
        if not transactions:
            return super().get_block()
        return self._pending_vm.get_block_class()(self.header, transactions)

    def mine_block_extended(self, *args: Any, **kwargs: Any) -> Any:
        if self.pending_transactions():
            vm = self._pending_vm
            vm.state.persist()
            header = self.header.copy(state_root=vm.state.state_root)
            block = vm.set_block_transactions_and_withdrawals(
                vm.get_block(), header, tuple(self._pending_transactions), tuple(self._pending_receipts)
            )
            self.header = block.header
        self._clear_pending()
        return super().mine_block_extended(*args, **kwargs)


def build_mining_chain(
    chain_id: int, genesis_timestamp: int, alloc: Mapping[bytes, int], block_time: int = 1
) -> BatchingMiningChain:
    chain_class = type(f"XmarginChain{chain_id}", (BatchingMiningChain,), {"chain_id": chain_id, "block_time": block_time})
    genesis_params = get_default_genesis_params(overrides={"timestamp": genesis_timestamp})
    genesis_state = {
        address: get_default_account_state(overrides={"balance": balance}) for address, balance in alloc.items()
    }
    return chain_class.from_genesis(get_db_backend(), genesis_params, genesis_state)


class XmarginBackend(PyEVMBackend):
    """A py-evm backend with its own chain id, deterministic blocks and indexed lookups."""

    def __init__(
        self,
        chain_id: int,
        seed: int,
        genesis_timestamp: int,
        keys: Iterable[PrivateKey],
        balance_eth: int,
        extra_alloc: Mapping[bytes, int] | None = None,
        allow_unprotected_transactions: bool = False,
        block_time: int = 1,
    ) -> None:
        self.chain_id = chain_id
        self.block_time = block_time
        self.seed = seed
        self.genesis_timestamp = genesis_timestamp
        self._keys = tuple(keys)
        self._alloc = {k.public_key.to_canonical_address(): to_wei(balance_eth, "ether") for k in self._keys}
        self._alloc.update(extra_alloc or {})
        self.allow_unprotected_transactions = allow_unprotected_transactions
        self.branch = 0
        # deliberately not calling PyEVMBackend.__init__: it builds eth-tester's fixed-id chain
        self.reset_to_genesis()

    def reset_to_genesis(self, *args: Any, **kwargs: Any) -> None:  # noqa: ARG002 - eth-tester's signature
        self.account_keys = self._keys
        self.branch = 0
        self.chain = build_mining_chain(self.chain_id, self.genesis_timestamp, self._alloc, self.block_time)

    def mix_hash(self, block_number: int) -> bytes:
        """prevrandao for a block: a function of seed, chain, branch and height, never of wall-clock randomness."""
        return keccak(
            b"xmargin-mix"
            + self.seed.to_bytes(32, "big", signed=True)
            + self.chain_id.to_bytes(32, "big")
            + self.branch.to_bytes(8, "big")
            + block_number.to_bytes(8, "big")
        )

    def mine_blocks(self, num_blocks: int = 1, coinbase: bytes = ZERO_ADDRESS) -> tuple[bytes, ...]:
        hashes = []
        for _ in range(num_blocks):
            pending = self.chain.get_block()
            block = self.chain.mine_block(
                coinbase=coinbase,
                mix_hash=self.mix_hash(pending.number),
                blob_gas_used=sum(get_total_blob_gas(tx) for tx in pending.transactions),
            )
            hashes.append(block.hash)
        return tuple(hashes)

    # -- replay protection -------------------------------------------------

    def check_chain_id(self, transaction: Any) -> None:
        tx_chain_id = transaction.chain_id
        if tx_chain_id is None:
            if self.allow_unprotected_transactions:
                return
            raise WrongChainIdValidationError(
                f"transaction {encode_hex(transaction.hash)} is not replay-protected (no chain id); "
                f"this chain only accepts transactions signed for chain id {self.chain_id}"
            )
        if tx_chain_id != self.chain_id:
            raise WrongChainIdValidationError(
                f"transaction {encode_hex(transaction.hash)} was signed for chain id {tx_chain_id}, "
                f"but this chain's id is {self.chain_id}; refused (cross-chain replay)"
            )

    def send_raw_transaction(self, raw_transaction: bytes) -> bytes:
        decoded = self.chain.get_vm().get_transaction_builder().decode(raw_transaction)
        self.check_chain_id(decoded)
        return super().send_raw_transaction(raw_transaction)

    def send_signed_transaction(self, signed_transaction: dict, block_number: str = "latest") -> bytes:
        normalized = self._normalize_transaction(signed_transaction, block_number)
        evm_transaction = self._create_type_aware_signed_transaction(normalized)
        self.check_chain_id(evm_transaction)
        self.chain.apply_transaction(evm_transaction)
        return evm_transaction.hash

    def send_transaction(self, transaction: dict) -> bytes:
        # eth-tester fills the nonce from the latest mined block; with batching the pending one is right
        if "nonce" not in transaction:
            transaction = {**transaction, "nonce": self.get_nonce(transaction["from"], "pending")}
        return super().send_transaction(transaction)

    def replay_transaction(self, transaction_hash: bytes) -> Any:
        """Re-execute a mined transaction on exactly the state it ran on; returns py-evm's computation.

        The block's parent state is rebuilt, the transactions before it in its block are
        applied, then the transaction itself, so its outcome (revert data, error) is the
        one the chain saw even when an earlier transaction of the block caused it.
        """
        chaindb = self.chain.chaindb
        try:
            block_number, index = chaindb.get_transaction_index(transaction_hash)
        except EVMTransactionNotFound:
            raise TransactionNotFound(f"No mined transaction {encode_hex(transaction_hash)}") from None
        block = self.chain.get_canonical_block_by_number(block_number)
        parent = chaindb.get_block_header_by_hash(block.header.parent_hash)
        vm = self.chain.get_vm(block.header.copy(state_root=parent.state_root, gas_used=0))
        for earlier in block.transactions[:index]:
            vm.state.apply_transaction(earlier)
        return vm.state.apply_transaction(block.transactions[index])

    # -- indexed lookups (eth-tester scans every block from the head) -------

    def locate_transaction(self, transaction_hash: bytes) -> tuple[Any, Any, int]:
        """(block, transaction, index); the block of a mined transaction carries only its header."""
        pending = self.chain.get_block()
        for index, transaction in enumerate(pending.transactions):
            if transaction.hash == transaction_hash:
                return pending, transaction, index
        chaindb = self.chain.chaindb
        try:
            block_number, index = chaindb.get_transaction_index(transaction_hash)
            header = chaindb.get_canonical_block_header_by_number(block_number)
        except (EVMTransactionNotFound, HeaderNotFound):
            raise TransactionNotFound(f"No transaction found for transaction hash: {encode_hex(transaction_hash)}")
        vm_class = self.chain.get_vm_class(header)
        transaction = chaindb.get_transaction_by_index(block_number, index, vm_class.get_transaction_builder())
        return vm_class.get_block_class()(header, ()), transaction, index

    def get_transaction_by_hash(self, transaction_hash: bytes) -> dict:
        block, transaction, index = self.locate_transaction(transaction_hash)
        is_pending = block.number == self.chain.get_block().number
        return serialize_transaction(block, transaction, index, is_pending)

    def get_transaction_receipt(self, transaction_hash: bytes) -> dict:
        block, transaction, index = self.locate_transaction(transaction_hash)
        if block.number == self.chain.get_block().number:
            # as on a real node: no receipt until the transaction is in a mined block
            raise TransactionNotFound(f"Transaction {encode_hex(transaction_hash)} is pending, not yet mined")
        receipt_class = self.chain.get_vm_class(block.header).get_receipt_builder()
        # the serializer reads only this receipt and the one before it (for gas used)
        receipts = {
            i: self.chain.chaindb.get_receipt_by_index(block.number, i, receipt_class) for i in {index, max(index - 1, 0)}
        }
        return serialize_transaction_receipt(block, receipts, transaction, index, False, self.chain.get_vm())
