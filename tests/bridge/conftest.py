"""A deployed three-chain bridge, shared by a module and reset between tests.

perp receives from vault-l1 in multisig mode and from vault-l2 in checkpoint mode,
so one world covers both proof modes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import pytest
from hexbytes import HexBytes
from web3.contract import Contract

from chains import ChainSet
from bridge.apps import deploy_test_apps
from bridge.deploy import BridgeDeployment, deploy_bridge
from bridge.merkle import MerkleTree
from bridge.message import Message
from bridge.proofs import (
    Signature,
    checkpoint_digest,
    encode_checkpoint_proof,
    encode_multisig_proof,
    multisig_digest,
    sign_digest,
)
from bridge.submit import simulate
from bridge.watcher import DISPATCH_TOPIC, dispatch_message

CONFIG = {"mode": "multisig", "source_modes": {"vault-l2": "checkpoint"}}
GAS = 1_000_000


@dataclass
class World:
    chain_set: ChainSet
    deployment: BridgeDeployment
    apps: dict[str, Contract]

    def mailbox(self, name: str) -> Contract:
        return self.deployment.mailbox(name)

    @property
    def signing_keys(self) -> list:
        """Validator accounts in ascending address order."""
        return sorted(self.deployment.validators, key=lambda a: int(a.address, 16))

    def dispatch(self, src: str, dst: str, body: bytes, recipient: str | None = None) -> Message:
        """Send ``body`` from the source's TestRecipient and return the mined message."""
        chain = self.chain_set[src]
        target = recipient or self.apps[dst].address
        tx = self.apps[src].functions.send(self.chain_set[dst].chain_id, target, body).transact(
            {"from": chain.accounts[0].address, "gas": 500_000}
        )
        chain.mine()
        receipt = chain.w3.eth.get_transaction_receipt(tx)
        assert receipt["status"] == 1
        (log,) = [l for l in receipt["logs"] if bytes(l["topics"][0]) == DISPATCH_TOPIC]
        return dispatch_message(log)

    def tree(self, src: str) -> MerkleTree:
        logs = self.chain_set[src].w3.eth.get_logs(
            {"fromBlock": 0, "toBlock": "latest", "address": self.mailbox(src).address, "topics": [DISPATCH_TOPIC]}
        )
        return MerkleTree([dispatch_message(l).id for l in logs])

    def signatures(self, digest: bytes, count: int | None = None, keys: Iterable | None = None) -> list[Signature]:
        chosen = list(keys) if keys is not None else self.signing_keys[: count or self.deployment.threshold]
        return [sign_digest(k.key, digest) for k in chosen]

    def multisig_proof(self, message: Message, dst: str = "perp", signatures: list[Signature] | None = None,
                       header_mailbox: str | None = None, digest_mailbox: str | None = None) -> bytes:
        dst_mailbox = self.mailbox(dst).address
        digest = multisig_digest(
            self.chain_set[dst].chain_id, digest_mailbox or dst_mailbox, message.src_chain_id, message.id
        )
        sigs = signatures if signatures is not None else self.signatures(digest)
        return encode_multisig_proof(header_mailbox or dst_mailbox, message.id, sigs)

    def checkpoint_digest(self, message: Message, root: bytes, index: int, src: str = "vault-l2", dst: str = "perp",
                          src_mailbox: str | None = None) -> bytes:
        """What validators sign for the checkpoint ``(root, index)`` of ``src``, delivered to ``dst``'s mailbox."""
        return checkpoint_digest(self.chain_set[dst].chain_id, self.mailbox(dst).address, message.src_chain_id,
                                 src_mailbox or self.mailbox(src).address, root, index)

    def checkpoint_parts(self, message: Message, src: str = "vault-l2", dst: str = "perp") -> tuple[bytes, list[bytes], bytes]:
        """(root, branch, digest) for the checkpoint right after ``message``."""
        tree = self.tree(src)
        size = message.nonce + 1
        root = tree.root(size)
        return root, tree.proof(message.nonce, size), self.checkpoint_digest(message, root, message.nonce, src, dst)

    def checkpoint_proof(self, message: Message, src: str = "vault-l2", dst: str = "perp") -> bytes:
        root, branch, digest = self.checkpoint_parts(message, src, dst)
        return encode_checkpoint_proof(
            self.mailbox(dst).address, message.id, root, message.nonce, message.nonce, branch, self.signatures(digest)
        )

    def process(self, dst: str, message: bytes, proof: bytes):
        """Send ``process`` (explicit gas, mined); returns the receipt, whatever its status."""
        chain = self.chain_set[dst]
        tx = self.mailbox(dst).functions.process(message, proof).transact(
            {"from": chain.accounts[1].address, "gas": GAS}
        )
        chain.mine()
        return chain.w3.eth.get_transaction_receipt(tx)

    def refusal(self, dst: str, message: bytes, proof: bytes) -> str:
        """Submit ``process``, expect it to fail on chain and change nothing; return the chain's reason."""
        chain = self.chain_set[dst]
        mailbox = self.mailbox(dst)
        message_id = HexBytes(Message.decode(message).id) if _decodable(message) else None
        before = _state(self, dst, message_id)
        reason = simulate(chain, mailbox.functions.process(message, proof), chain.accounts[1].address, GAS)
        assert reason is not None, "process unexpectedly succeeds"
        receipt = self.process(dst, message, proof)
        assert receipt["status"] == 0
        assert receipt["logs"] == []
        assert _state(self, dst, message_id) == before
        return reason


def _decodable(message: bytes) -> bool:
    try:
        Message.decode(message)
    except Exception:  # noqa: BLE001 - malformed on purpose in some tests
        return False
    return True


def _state(world: World, dst: str, message_id: HexBytes | None) -> tuple:
    app = world.apps[dst]
    delivered = world.mailbox(dst).functions.delivered(message_id).call() if message_id is not None else None
    return (delivered, app.functions.handled_count().call())


@pytest.fixture(scope="module")
def world_base() -> World:
    chain_set = ChainSet.from_configs(seed=7)
    deployment = deploy_bridge(chain_set, CONFIG, seed=7)
    apps = deploy_test_apps(chain_set, deployment)
    return World(chain_set, deployment, apps)


@pytest.fixture
def world(world_base: World) -> Iterable[World]:
    snapshot = world_base.chain_set.snapshot()
    yield world_base
    world_base.chain_set.revert(snapshot)
