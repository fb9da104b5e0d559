"""Validators as agents on the simulated clock.

Each validator watches every source chain (through its :class:`MailboxWatcher`)
and signs each message once it is ``finality_depth`` blocks deep: in multisig mode
the message's digest, in checkpoint mode the tree root just after the message's
leaf, for delivery to the message's destination mailbox. Faults, from the config: offline windows (it signs nothing, then catches
up), equivocation (it also signs a conflicting attestation for the same slot),
and compromise (it signs whatever the forger hands it).
"""

from __future__ import annotations

from typing import Any, Generator, Mapping

import simpy
from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from bridge.attestations import Attestation, AttestationStore
from bridge.config import ValidatorsConfig
from bridge.deploy import BridgeDeployment
from bridge.proofs import Signature, checkpoint_digest, multisig_digest, sign_digest
from bridge.watcher import DispatchedMessage, MailboxWatcher

EQUIVOCATION_TAG = b"xmargin.equivocation"


class Validator:
    def __init__(
        self,
        index: int,
        account: LocalAccount,
        deployment: BridgeDeployment,
        watchers: Mapping[str, MailboxWatcher],
        store: AttestationStore,
        config: ValidatorsConfig,
    ) -> None:
        self.index = index
        self.name = f"validator-{index}"
        self.account = account
        self.address = account.address
        self.deployment = deployment
        self.watchers = watchers
        self.store = store
        self.config = config
        self.equivocating = index in config.equivocating
        self.compromised = index in config.compromised
        self._cursors = {name: 0 for name in watchers}

    def run(self, env: simpy.Environment) -> Generator[Any, Any, None]:
        """A SimPy process: look at every source chain each ``poll_interval`` while online."""
        while True:
            if not self.config.is_offline(self.index, env.now):
                self.poll(env.now)
            yield env.timeout(self.config.poll_interval)

    def poll(self, now: float) -> None:
        for source, watcher in self.watchers.items():
            watcher.sync()
            final = watcher.finalized()
            for position in range(self._cursors[source], final):
                self._attest(source, watcher, watcher.messages[position], now)
            self._cursors[source] = max(self._cursors[source], final)

    def sign_anything(self, digest: bytes) -> Signature | None:
        """What the forger gets: a signature from a compromised validator, nothing from an honest one."""
        return sign_digest(self.account.key, digest) if self.compromised else None

    def _attest(self, source: str, watcher: MailboxWatcher, dispatched: DispatchedMessage, now: float) -> None:
        message = dispatched.message
        destination = self.deployment.chain_name(message.dst_chain_id)
        if destination is None:
            return  # no mailbox there: there is no domain to sign for
        dst = (message.dst_chain_id, self.deployment.mailbox_address(destination))
        if self.deployment.mode(source) == "multisig":
            digest = multisig_digest(*dst, message.src_chain_id, message.id)
            conflicting = multisig_digest(*dst, message.src_chain_id, keccak(message.id + EQUIVOCATION_TAG))
        else:
            root = watcher.root_at(message.nonce)
            src = (message.src_chain_id, watcher.mailbox)
            digest = checkpoint_digest(*dst, *src, root, message.nonce)
            conflicting = checkpoint_digest(*dst, *src, keccak(root + EQUIVOCATION_TAG), message.nonce)
        self._publish(message.src_chain_id, message.nonce, digest, message.id, now, genuine=True)
        if self.equivocating:
            self._publish(message.src_chain_id, message.nonce, conflicting, message.id, now, genuine=False)

    def _publish(self, src_chain_id: int, index: int, digest: bytes, message_id: bytes, now: float, genuine: bool) -> None:
        signature = sign_digest(self.account.key, digest)
        self.store.publish(Attestation(src_chain_id, index, digest, signature), message_id, now, self.name, genuine)
