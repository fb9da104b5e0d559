"""Submitting ``Mailbox.process`` and learning why a submission failed.

Two ways to submit. :func:`send_process` sends the transaction as it is (what
relayers do: a refusal is then an on-chain failed transaction, and
:func:`chains.revert_reason` reads its reason). :func:`submit_process` first runs the
call on the pending state (the head with the pool's next block applied) and sends only
what would succeed, so its reason is the chain's own refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hexbytes import HexBytes

from chains import Chain, TransactionRejected
from chains.abi import BoundCall, bound_from_web3
from chains.transactions import NO_REASON, decode_revert_data

__all__ = ["ALREADY_DELIVERED", "NO_REASON", "Submission", "send_process", "simulate", "submit_process"]

ALREADY_DELIVERED = "message already delivered"


@dataclass(frozen=True)
class Submission:
    """How a submission went: sent (``ok``), refused by the chain (``reason``), or not taken by the node
    this time (``deferred``: the pool refused it for now; try again next block)."""

    ok: bool
    reason: str | None = None
    tx_hash: HexBytes | None = None
    deferred: bool = False


def simulate(chain: Chain, call: BoundCall | Any, sender: str, gas: int) -> str | None:
    """The revert reason ``call`` (a bound call or a web3 function) would hit if sent now from ``sender``; None if it would succeed."""
    call = call if isinstance(call, BoundCall) else bound_from_web3(call)
    result = chain.call(call.to, call.calldata, sender=sender, gas=gas, block="pending")
    if result.success:
        return None
    return decode_revert_data(result.output) if result.error == "reverted" else result.error


def send_process(chain: Chain, process: BoundCall, sender: str, gas: int) -> Submission:
    """Send ``process(message, proof)`` from ``sender`` without simulating it first."""
    try:
        tx_hash = chain.send(sender, process.to, process.calldata, gas)
    except TransactionRejected as exc:
        return Submission(False, str(exc), deferred=True)
    return Submission(True, None, tx_hash)


def submit_process(chain: Chain, process: BoundCall, sender: str, gas: int) -> Submission:
    """Simulate ``process(message, proof)`` and, if it would succeed, send it from ``sender``."""
    reason = simulate(chain, process, sender, gas)
    if reason is not None:
        return Submission(False, reason)
    return send_process(chain, process, sender, gas)
