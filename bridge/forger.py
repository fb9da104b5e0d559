"""The compromise fault made real: craft a message nobody dispatched and try to get it accepted.

The forger asks every validator to sign the forged message (in checkpoint mode: a
fake tree, the source's real leaves plus the forged one, and its root). Only
compromised validators comply. It then submits ``process`` from its own account
with whatever signatures it got. With a compromised threshold the destination
mailbox accepts it, and the lifecycle flags the delivery as never dispatched;
with an honest set it is refused with the chain's reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generator, Mapping, Sequence

import simpy
from eth_utils import to_checksum_address

from bridge.deploy import BridgeDeployment
from bridge.lifecycle import Lifecycle
from bridge.merkle import MerkleTree
from bridge.message import VERSION, Message
from bridge.proofs import checkpoint_digest, encode_checkpoint_proof, encode_multisig_proof, multisig_digest
from bridge.submit import submit_process
from bridge.validator import Validator
from bridge.watcher import MailboxWatcher

FORGER = "forger"


@dataclass(frozen=True)
class Forgery:
    message: Message
    signatures: int
    accepted: bool
    reason: str | None
    tx_hash: str | None


class Forger:
    def __init__(
        self,
        env: simpy.Environment,
        deployment: BridgeDeployment,
        validators: Sequence[Validator],
        watchers: Mapping[str, MailboxWatcher],
        lifecycle: Lifecycle,
        gas_limit: int,
    ) -> None:
        self.env = env
        self.deployment = deployment
        self.validators = validators
        self.watchers = watchers
        self.lifecycle = lifecycle
        self.gas_limit = gas_limit
        self.forgeries: list[Forgery] = []

    def forge(self, src: str, dst: str, recipient: str, body: bytes, sender: str | None = None) -> Forgery:
        """Forge ``body`` from ``sender`` (default: the forger) on ``src`` to ``recipient`` on ``dst``, now."""
        source = self.deployment.chain_set[src]
        destination = self.deployment.chain_set[dst]
        watcher = self.watchers[src]
        watcher.sync()
        nonce = len(watcher.messages)  # the next real message will have this nonce, and another id
        message = Message(
            VERSION,
            nonce,
            source.chain_id,
            to_checksum_address(sender or self.deployment.forger.address),
            destination.chain_id,
            to_checksum_address(recipient),
            bytes(body),
        )
        mailbox = self.deployment.mailbox(dst)
        mode = self.deployment.mode(src)
        if mode == "multisig":
            digest = multisig_digest(destination.chain_id, mailbox.address, source.chain_id, message.id)
        else:
            tree = MerkleTree([m.message.id for m in watcher.messages] + [message.id])
            root = tree.root()
            digest = checkpoint_digest(destination.chain_id, mailbox.address, source.chain_id, watcher.mailbox, root, nonce)
        signatures = [s for s in (v.sign_anything(digest) for v in self.validators) if s is not None]
        if mode == "multisig":
            proof = encode_multisig_proof(mailbox.address, message.id, signatures)
        else:
            proof = encode_checkpoint_proof(mailbox.address, message.id, root, nonce, nonce, tree.proof(nonce), signatures)
        now = self.env.now
        self.lifecycle.emit(
            now,
            message.id,
            "forged",
            actor=FORGER,
            src_chain=src,
            dst_chain=dst,
            nonce=nonce,
            sender=message.sender,
            recipient=message.recipient,
            signatures=len(signatures),
            mode=mode,
        )
        process = self.deployment.mailbox_calls(dst).process(message.encoded, proof)
        result = submit_process(self.deployment.chain_set[dst], process, self.deployment.forger.address, self.gas_limit)
        if result.ok:
            self.lifecycle.emit(now, message.id, "submitted", chain=dst, actor=FORGER, tx=result.tx_hash.hex())
        else:
            self.lifecycle.emit(now, message.id, "rejected", chain=dst, actor=FORGER, reason=result.reason)
        forgery = Forgery(
            message, len(signatures), result.ok, result.reason, result.tx_hash.hex() if result.tx_hash else None
        )
        self.forgeries.append(forgery)
        return forgery

    def schedule(self, at: float, src: str, dst: str, recipient: str, body: bytes, sender: str | None = None) -> simpy.Process:
        """Forge at simulated time ``at`` (a SimPy process whose value is the :class:`Forgery`)."""

        def attack() -> Generator[Any, Any, Forgery]:
            yield self.env.timeout(max(0.0, at - self.env.now))
            return self.forge(src, dst, recipient, body, sender)

        return self.env.process(attack())
