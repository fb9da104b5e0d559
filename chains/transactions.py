"""Deploying compiled contracts and sending transactions that must succeed (through web3, for users)."""

from __future__ import annotations

from typing import Any

from eth_abi import decode as abi_decode, encode as abi_encode
from eth_utils.abi import collapse_if_tuple
from hexbytes import HexBytes
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.types import TxReceipt

from chains.abi import bound_from_web3, checksum
from chains.blocks import Receipt
from chains.chain import Chain
from chains.compiler import Artifact
from chains.config import DEFAULT_GAS
from chains.errors import ChainStateError, XmarginError

ERROR_SELECTOR = bytes.fromhex("08c379a0")  # Error(string)
REVERT_PREFIX = "execution reverted:"
NO_REASON = "reverted without a reason"
MAX_CONFIRM_BLOCKS = 64  # a transaction still pending after this many blocks will not be mined by waiting


class TransactionReverted(XmarginError):
    def __init__(self, chain: str, tx_hash: HexBytes, reason: str) -> None:
        super().__init__(f"{chain}: transaction {tx_hash.hex()} reverted: {reason}")
        self.chain = chain
        self.tx_hash = tx_hash
        self.reason = reason


def decode_revert_data(data: bytes) -> str:
    """The readable reason in revert data (``Error(string)``), or its hex when there is none."""
    if data[:4] == ERROR_SELECTOR:
        try:
            return abi_decode(["string"], data[4:])[0]
        except Exception:  # noqa: BLE001 - malformed revert data is reported as hex
            pass
    return "0x" + data.hex() if data else NO_REASON


def clean_revert_reason(error: Exception | str) -> str:
    """The contract's own reason from a failed call's exception (web3's), prefix removed."""
    if isinstance(error, str):
        text = error
    else:
        text = str(getattr(error, "message", None) or (error.args[0] if error.args else "") or error)
    while text.startswith(REVERT_PREFIX):
        text = text[len(REVERT_PREFIX):].lstrip()
    return text or NO_REASON


def revert_reason(chain: Chain, tx_hash: bytes) -> str:
    """Why a mined transaction failed: its revert reason, or why execution stopped."""
    receipt = chain.receipt(HexBytes(tx_hash))
    if receipt is None:
        raise ChainStateError(f"{chain.name}: transaction {HexBytes(tx_hash).to_0x_hex()} is not mined")
    if receipt.status == 1:
        return "(succeeded)"
    if receipt.error == "reverted":
        return decode_revert_data(receipt.output)
    return receipt.error or "failed"


def _mined(chain: Chain, tx_hash: HexBytes) -> Receipt:
    """Mine while ``tx_hash`` waits in the pool; its receipt, or TransactionReverted if it failed."""
    for _ in range(MAX_CONFIRM_BLOCKS):
        if HexBytes(tx_hash) not in chain.pool:
            break
        chain.mine()
    receipt = chain.receipt(HexBytes(tx_hash))
    if receipt is None:
        raise ChainStateError(f"{chain.name}: transaction {HexBytes(tx_hash).to_0x_hex()} was not mined")
    if receipt.status != 1:
        raise TransactionReverted(chain.name, HexBytes(tx_hash), revert_reason(chain, HexBytes(tx_hash)))
    return receipt


def confirm(chain: Chain, tx_hash: HexBytes) -> TxReceipt:
    """The receipt of ``tx_hash`` (web3's form), mining blocks while it is pending; raises if it reverted."""
    _mined(chain, tx_hash)
    return chain.w3.eth.get_transaction_receipt(tx_hash)


def transact(
    chain: Chain, function: ContractFunction, sender: str | None = None, gas: int = DEFAULT_GAS, value: int = 0
) -> TxReceipt:
    """Send a contract call from a funded account and wait for it (mining if batched)."""
    call = bound_from_web3(function)
    tx_hash = chain.send(sender or chain.accounts[0].address, call.to, call.calldata, gas, value)
    return confirm(chain, tx_hash)


def deploy(chain: Chain, artifact: Artifact, *args: Any, sender: str | None = None, gas: int = DEFAULT_GAS) -> Contract:
    """Deploy ``artifact`` with constructor ``args`` and return a web3 contract bound to it."""
    constructor = next((entry for entry in artifact.abi if entry.get("type") == "constructor"), {"inputs": []})
    types = [collapse_if_tuple(i) for i in constructor["inputs"]]
    tx_hash = chain.send(sender or chain.accounts[0].address, None, artifact.bytecode + abi_encode(types, args), gas)
    receipt = _mined(chain, tx_hash)
    return chain.w3.eth.contract(address=checksum(receipt.contract_address), abi=artifact.abi)
