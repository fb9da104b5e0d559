"""Submitting ``Mailbox.process`` and learning why a submission failed.

Two ways to submit. :func:`send_process` sends the transaction as it is (what
relayers do: a refusal is then an on-chain failed transaction, and
:func:`chains.revert_reason` reads its reason). :func:`submit_process` simulates against
the pending block first and sends only what will succeed; the simulation runs on
exactly the state the transaction would execute on (a batched chain applies a
transaction the moment it is sent), so its reason is the chain's own refusal.
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_tester.exceptions import TransactionFailed, ValidationError as TesterValidationError
from eth_utils.exceptions import ValidationError as EVMValidationError
from hexbytes import HexBytes
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractLogicError, Web3RPCError

from chains.transactions import clean_revert_reason

ALREADY_DELIVERED = "message already delivered"
NO_REASON = "reverted without a reason"


@dataclass(frozen=True)
class Submission:
    """How a submission went: sent (``ok``), refused by the chain (``reason``), or not taken by the node
    this time (``deferred``: e.g. the pending block has no gas left; try again next block)."""

    ok: bool
    reason: str | None = None
    tx_hash: HexBytes | None = None
    deferred: bool = False


def simulate(function: ContractFunction, sender: str, gas: int) -> str | None:
    """The revert reason ``function`` would hit if sent now from ``sender``, or None if it would succeed."""
    try:
        function.call({"from": sender, "gas": gas}, block_identifier="pending")
    except (TransactionFailed, ContractLogicError, Web3RPCError) as exc:
        if exc.args and exc.args[0] in (b"", ""):  # eth-tester's empty revert data
            return NO_REASON
        return clean_revert_reason(exc)
    return None


def send_process(mailbox: Contract, message: bytes, proof: bytes, sender: str, gas: int) -> Submission:
    """Send ``process(message, proof)`` from ``sender`` without simulating it first."""
    try:
        tx_hash = mailbox.functions.process(message, proof).transact({"from": sender, "gas": gas})
    except (EVMValidationError, TesterValidationError) as exc:
        return Submission(False, str(exc), deferred=True)
    return Submission(True, None, HexBytes(tx_hash))


def submit_process(mailbox: Contract, message: bytes, proof: bytes, sender: str, gas: int) -> Submission:
    """Simulate ``process(message, proof)`` and, if it would succeed, send it from ``sender``."""
    function = mailbox.functions.process(message, proof)
    reason = simulate(function, sender, gas)
    if reason is not None:
        return Submission(False, reason)
    try:
        tx_hash = function.transact({"from": sender, "gas": gas})
    except (EVMValidationError, TesterValidationError) as exc:
        return Submission(False, str(exc), deferred=True)
    return Submission(True, None, HexBytes(tx_hash))
