"""The reference engine: py-evm's Cancun state, kept warm across blocks.

One py-evm ``State`` lives as long as the chain. Each transaction runs through py-evm's
own transaction executor (validation, gas purchase, execution, refund, priority fee),
so this is py-evm's behaviour exactly; the block around it (context, header, receipts)
comes from the chain. What a transaction may have changed is read from py-evm's
EIP-2929 access set (every account and slot a transaction touches is warm by the end
of it) plus the sender and the coinbase, which the executor touches outside it.
"""

from __future__ import annotations

from typing import Any, Mapping

from eth.constants import BLANK_ROOT_HASH
from eth.db.atomic import AtomicDB
from eth.exceptions import Revert, VMError
from eth.vm.execution_context import ExecutionContext
from eth.vm.forks.cancun import CancunVM
from eth.vm.spoof import SpoofTransaction
from eth_utils import big_endian_to_int
from eth_utils.exceptions import ValidationError

from chains.engines.base import (
    CREATE_TO,
    EMPTY_CODE_HASH,
    Account,
    BlockContext,
    CallMessage,
    CallResult,
    Engine,
    Execution,
    LogEntry,
    Touched,
)

VM_CLASS = CancunVM
TRANSACTION_BUILDER = VM_CLASS.get_transaction_builder()
PERSIST_EVERY = 256  # transactions between flushes of py-evm's journals (they only grow until persisted)


def _topic(value: int) -> bytes:
    return value.to_bytes(32, "big")


def failure_reason(error: VMError) -> str:
    """A short, engine-neutral name for why execution stopped."""
    if isinstance(error, Revert):
        return "reverted"
    name = type(error).__name__
    return {"OutOfGas": "out of gas", "InsufficientStack": "stack underflow", "FullStack": "stack overflow",
            "InvalidInstruction": "invalid opcode", "InvalidJumpDestination": "invalid jump"}.get(name, name)


class PyEvmEngine(Engine):
    name = "pyevm"

    def __init__(self, chain_id: int, genesis: Mapping[bytes, int], block_gas_limit: int = 30_000_000) -> None:
        super().__init__(chain_id, genesis)
        self._block: BlockContext | None = None
        self.state = VM_CLASS.get_state_class()(AtomicDB(), self._context(BlockContext(0, 0, b"\x00" * 20, b"\x00" * 32, block_gas_limit, 0)), BLANK_ROOT_HASH)
        for address, balance in genesis.items():
            self.state.set_balance(address, balance)
        self.state.lock_changes()
        self._known_code: set[bytes] = {EMPTY_CODE_HASH}
        self._since_persist = 0

    def _context(self, block: BlockContext) -> ExecutionContext:
        return ExecutionContext(
            coinbase=block.coinbase, timestamp=block.timestamp, block_number=block.number, difficulty=0,
            mix_hash=block.prevrandao, gas_limit=block.gas_limit, prev_hashes=block.prev_hashes,
            chain_id=self.chain_id, base_fee_per_gas=block.base_fee, excess_blob_gas=0,
        )

    def _use(self, block: BlockContext) -> None:
        if block != self._block:
            self.state.execution_context = self._context(block)
            self._block = block

    # -- transactions -------------------------------------------------------------

    def execute(self, transaction: Any, block: BlockContext) -> Execution:
        self._use(block)
        state = self.state
        computation = state.apply_transaction(transaction)
        gas_used = VM_CLASS.finalize_gas_used(transaction, computation)
        touched = self._touched(transaction, block, computation)
        state.lock_changes()
        self._maybe_persist()
        creates = transaction.to == CREATE_TO
        return Execution(
            success=not computation.is_error,
            gas_used=gas_used,
            output=b"" if creates and not computation.is_error else computation.output,  # not the new code
            logs=tuple(LogEntry(address, tuple(map(_topic, topics)), data) for address, topics, data in computation.get_log_entries()),
            contract_address=computation.msg.storage_address if creates else None,
            error=failure_reason(computation.error) if computation.is_error else None,
            touched=touched,
        )

    def _touched(self, transaction: Any, block: BlockContext, computation: Any) -> Touched:
        state = self.state
        # py-evm's EIP-2929 access set for this transaction: 20-byte keys are accounts, longer ones address+slot
        accessed = state._account_db._journal_accessed_state._journal._current_values
        addresses = {transaction.sender, block.coinbase}
        touched = Touched()
        for key in accessed:
            if len(key) == 20:
                addresses.add(key)
            else:
                address = key[:20]
                touched.storage[(address, big_endian_to_int(key[20:]))] = state.get_storage(address, big_endian_to_int(key[20:]))
        for address in addresses:
            code_hash = state.get_code_hash(address)
            touched.accounts[address] = Account(state.get_nonce(address), state.get_balance(address), code_hash)
            if code_hash not in self._known_code:
                touched.code[code_hash] = state.get_code(address)
                self._known_code.add(code_hash)
        touched.destroyed.update(computation.get_accounts_for_deletion())
        return touched

    def _maybe_persist(self) -> None:
        self._since_persist += 1
        if self._since_persist >= PERSIST_EVERY:
            self.state.persist()
            self._since_persist = 0

    # -- calls ----------------------------------------------------------------------

    def call(self, message: CallMessage, block: BlockContext) -> CallResult:
        state = self.state
        self._use(block)
        snapshot = state.snapshot()
        try:
            unsigned = TRANSACTION_BUILDER.create_unsigned_transaction(
                nonce=state.get_nonce(message.sender), gas_price=message.gas_price, gas=message.gas,
                to=message.to, value=message.value, data=message.data,
            )
            try:
                computation = state.costless_execute_transaction(SpoofTransaction(unsigned, from_=message.sender))
            except ValidationError as exc:
                balance = state.get_balance(message.sender)
                if balance < message.value:
                    return CallResult(False, b"", 0, f"insufficient funds for value: have {balance} want {message.value}")
                return CallResult(False, b"", 0, str(exc))
            gas_used = VM_CLASS.finalize_gas_used(unsigned, computation)
            if computation.is_error:
                return CallResult(False, computation.output, gas_used, failure_reason(computation.error))
            if message.to == CREATE_TO:
                return CallResult(True, state.get_code(computation.msg.storage_address), gas_used)
            return CallResult(True, computation.output, gas_used)
        finally:
            state.revert(snapshot)
            state.lock_changes()

    # -- reads and writes ----------------------------------------------------------------

    def read_account(self, address: bytes) -> Account:
        state = self.state
        return Account(state.get_nonce(address), state.get_balance(address), state.get_code_hash(address))

    def read_storage(self, address: bytes, slot: int) -> int:
        return self.state.get_storage(address, slot)

    def write(self, accounts: Mapping[bytes, Account], storage: Mapping[tuple[bytes, int], int], code: Mapping[bytes, bytes]) -> None:
        state = self.state
        for address, account in accounts.items():
            state.set_nonce(address, account.nonce)
            state.set_balance(address, account.balance)
            if state.get_code_hash(address) != account.code_hash:
                state.set_code(address, b"" if account.code_hash == EMPTY_CODE_HASH else code[account.code_hash])
                self._known_code.add(account.code_hash)
        for (address, slot), value in storage.items():
            state.set_storage(address, slot, value)
        state.lock_changes()
