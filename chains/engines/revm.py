"""The fast engine: revm through pyrevm (pinned), with the transaction semantics pyrevm leaves out.

pyrevm's ``message_call`` runs a message, not a transaction: it neither bumps the
sender's nonce nor charges gas, and it never closes revm's journal, so every account
and slot it ever loaded would stay warm (cheaper) and every slot's "original value"
(EIP-2200 metering) would stay the first value ever seen. Both would make gas differ
from any real chain. So each transaction here runs inside a journal checkpoint: the
gas is bought up front, the message executes, what it changed is read from revm's
journal, the checkpoint is reverted (everything cold again), and the changes are
written to revm's database together with the nonce, the refund and the priority fee.
Every read is wrapped the same way, so the journal is empty between operations.

Known differences from a node, inherited from pyrevm 0.3.7 (the differential test
would show any contract that depends on them): BASEFEE and GASPRICE read 0 inside
execution, and BLOCKHASH returns a hash of the block number rather than the block's.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from chains.engines.base import (
    CREATE_TO,
    EMPTY_CODE_HASH,
    Account,
    BlockContext,
    CallMessage,
    CallResult,
    Engine,
    EngineError,
    Execution,
    LogEntry,
    Touched,
    effective_gas_price,
)

try:
    import pyrevm
except ImportError:  # an optional engine: chains.engines reports it as unavailable
    pyrevm = None

# revm 8's Debug rendering of its journaled state (what pyrevm's ``journal_str`` returns)
_ACCOUNT = re.compile(
    r"0x([0-9a-f]{40}): Account \{ info: AccountInfo \{ balance: (\d+), nonce: (\d+), code_hash: 0x([0-9a-f]{64}), "
    r"code: (?:None|Some\(Bytecode \{ bytecode: 0x([0-9a-f]*), state: (?:Raw|Checked \{ len: (\d+) \}|"
    r"Analysed \{ len: (\d+), jump_map: JumpMap \{ map: \"[0-9a-f]*\" \} \}) \}\)) \}, "
    r"storage: \{([^}]*(?:\}[^}]*)*?)\}, status: AccountStatus\(([^)]*)\) \}"
)
_SLOT = re.compile(r"(\d+): StorageSlot \{ previous_or_original_value: (\d+), present_value: (\d+) \}")
_REVERT = re.compile(r"^Revert \{ gas_used: (\d+), output: 0x([0-9a-f]*) \}$")
_HALT = re.compile(r"^Halt \{ reason: (\w+)(?:\((\w+)\))?, gas_used: (\d+) \}$")
_LACK_OF_FUNDS = re.compile(r"LackOfFundForMaxFee \{ fee: (\d+), balance: (\d+) \}")
_HALT_NAMES = {
    "OutOfGas": "out of gas", "StackUnderflow": "stack underflow", "StackOverflow": "stack overflow",
    "OpcodeNotFound": "invalid opcode", "InvalidFEOpcode": "invalid opcode", "InvalidJump": "invalid jump",
}


def _hex(address: bytes) -> str:
    return "0x" + address.hex()


class RevmEngine(Engine):
    name = "revm"

    def __init__(self, chain_id: int, genesis: Mapping[bytes, int], block_gas_limit: int = 30_000_000) -> None:
        super().__init__(chain_id, genesis)
        if pyrevm is None:
            raise EngineError("pyrevm is not installed")
        self._evm = pyrevm.EVM(env=pyrevm.Env(cfg=pyrevm.CfgEnv(chain_id=chain_id)), gas_limit=block_gas_limit)
        self._block: BlockContext | None = None
        self._known_code: set[bytes] = {EMPTY_CODE_HASH}
        self._access_list_set = False
        for address, balance in genesis.items():
            self._evm.insert_account_info(_hex(address), pyrevm.AccountInfo(balance=balance))

    def _use(self, block: BlockContext) -> None:
        if block != self._block:
            self._evm.set_block_env(pyrevm.BlockEnv(
                number=block.number, coinbase=_hex(block.coinbase), timestamp=block.timestamp,
                prevrandao=block.prevrandao, basefee=block.base_fee, gas_limit=block.gas_limit,
            ))
            self._block = block

    def read_account(self, address: bytes) -> Account:
        evm = self._evm
        checkpoint = evm.snapshot()  # a read loads the account into the journal: leave it cold
        try:
            info = evm.basic(_hex(address))
        finally:
            evm.revert(checkpoint)
        return Account(info.nonce, info.balance, bytes(info.code_hash))

    def read_storage(self, address: bytes, slot: int) -> int:
        evm = self._evm
        checkpoint = evm.snapshot()
        try:
            return int(evm.storage(_hex(address), slot))
        finally:
            evm.revert(checkpoint)

    # -- transactions ---------------------------------------------------------------

    def execute(self, transaction: Any, block: BlockContext) -> Execution:
        self._use(block)
        evm = self._evm
        sender, price = transaction.sender, effective_gas_price(transaction, block.base_fee)
        tip = price - block.base_fee
        creates = transaction.to == CREATE_TO
        self._set_access_list(transaction)
        checkpoint = evm.snapshot()
        try:
            before = evm.basic(_hex(sender))
            evm.set_balance(_hex(sender), before.balance - transaction.gas * price)
            try:
                if creates:
                    created = evm.deploy(_hex(sender), transaction.data, transaction.value, transaction.gas, 0)
                    output, contract = b"", bytes.fromhex(created[2:])
                else:
                    output = bytes(evm.message_call(_hex(sender), _hex(transaction.to), transaction.data, transaction.value, transaction.gas, 0))
                    contract = None
                result = evm.result
                success, gas_used, error = True, result.gas_used, None
                logs = tuple(_log(entry) for entry in result.logs)
                touched = self._journal_changes()
            except RuntimeError as exc:
                success, output, gas_used, error = False, *_failure(exc, transaction.gas)
                logs, touched = (), None
                contract = None
        finally:
            evm.revert(checkpoint)
            evm.reset_transient_storage()
        if touched is None:  # failed: only the nonce and the gas stay
            account = self.read_account(sender)
            touched = Touched(accounts={sender: Account(account.nonce + 1, account.balance - gas_used * price, account.code_hash)})
        else:
            account = touched.accounts[sender]
            nonce = account.nonce if creates else account.nonce + 1  # a create bumped it already
            touched.accounts[sender] = Account(nonce, account.balance + (transaction.gas - gas_used) * price, account.code_hash)
        coinbase = touched.accounts.get(block.coinbase) or self.read_account(block.coinbase)
        touched.accounts[block.coinbase] = Account(coinbase.nonce, coinbase.balance + gas_used * tip, coinbase.code_hash)
        self.write(touched.accounts, touched.storage, touched.code)
        if creates and contract is None:
            contract = _create_address(sender, before.nonce)
        return Execution(success, gas_used, output, logs, contract, error, touched)

    def _set_access_list(self, transaction: Any) -> None:
        """pyrevm takes the access list from its environment; clear it again after a transaction that had one."""
        entries = getattr(transaction, "access_list", ())
        if entries or self._access_list_set:
            self._evm.set_tx_env(pyrevm.TxEnv(access_list=[(_hex(address), list(slots)) for address, slots in entries]))
            self._access_list_set = bool(entries)

    def _journal_changes(self) -> Touched:
        """What the open transaction changed, from revm's journal (slots whose value moved, every loaded account)."""
        text = self._evm.journal_str
        start, end = text.index("state: {") + 8, text.index("}, transient_storage:")
        state = text[start:end]
        touched = Touched()
        matched = 0
        for match in _ACCOUNT.finditer(state):
            matched += 1
            address = bytes.fromhex(match.group(1))
            code_hash = bytes.fromhex(match.group(4))
            touched.accounts[address] = Account(int(match.group(3)), int(match.group(2)), code_hash)
            if code_hash not in self._known_code:
                length = int(match.group(6) or match.group(7) or len(match.group(5) or "") // 2)
                touched.code[code_hash] = bytes.fromhex(match.group(5) or "")[:length]
            for key, original, present in _SLOT.findall(match.group(8)):
                if original != present:
                    touched.storage[(address, int(key))] = int(present)
            if "SelfDestructed" in match.group(9):
                touched.destroyed.add(address)
        if matched != state.count(": Account {"):
            raise EngineError("revm's journal did not parse: pyrevm's rendering changed")
        return touched

    # -- calls ------------------------------------------------------------------------

    def call(self, message: CallMessage, block: BlockContext) -> CallResult:
        self._use(block)
        evm = self._evm
        checkpoint = evm.snapshot()
        try:
            if message.to == CREATE_TO:
                evm.deploy(_hex(message.sender), message.data, message.value, message.gas, 0)
                output = next(iter(self._journal_changes().code.values()), b"")
            else:
                output = bytes(evm.message_call(_hex(message.sender), _hex(message.to), message.data, message.value, message.gas, 0))
            return CallResult(True, output, evm.result.gas_used)
        except RuntimeError as exc:
            refused = _LACK_OF_FUNDS.search(str(exc))
            if refused:  # a call may come from anyone; one that cannot pay its value is answered, not raised
                return CallResult(False, b"", 0, f"insufficient funds for value: have {refused.group(2)} want {refused.group(1)}")
            output, gas_used, error = _failure(exc, message.gas)
            return CallResult(False, output, gas_used, error)
        finally:
            evm.revert(checkpoint)
            evm.reset_transient_storage()

    # -- writes -------------------------------------------------------------------------

    def write(self, accounts: Mapping[bytes, Account], storage: Mapping[tuple[bytes, int], int], code: Mapping[bytes, bytes]) -> None:
        evm = self._evm
        for address, account in accounts.items():
            new_code = None
            if account.code_hash not in self._known_code:
                new_code = code[account.code_hash]
                self._known_code.add(account.code_hash)
            evm.insert_account_info(_hex(address), pyrevm.AccountInfo(
                balance=account.balance, nonce=account.nonce, code_hash=account.code_hash, code=new_code,
            ))
        for (address, slot), value in storage.items():
            checkpoint = evm.snapshot()  # the insert loads the account into the journal; leave it cold
            evm.insert_account_storage(_hex(address), slot, value)
            evm.revert(checkpoint)


def _log(entry: Any) -> LogEntry:
    topics, data = entry.data
    return LogEntry(bytes.fromhex(entry.address[2:]), tuple(bytes(t) for t in topics), bytes(data))


def _failure(exc: RuntimeError, gas_limit: int) -> tuple[bytes, int, str]:
    """(revert data, gas used, reason) of a message revm stopped."""
    text = str(exc)
    match = _REVERT.match(text)
    if match:
        return bytes.fromhex(match.group(2)), int(match.group(1)), "reverted"
    match = _HALT.match(text)
    if match:
        return b"", int(match.group(3)), _HALT_NAMES.get(match.group(1), match.group(1))
    raise EngineError(f"revm refused a transaction the chain had validated: {text}")


def _create_address(sender: bytes, nonce: int) -> bytes:
    from eth._utils.address import generate_contract_address

    return generate_contract_address(sender, nonce)
