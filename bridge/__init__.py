"""The bridge: verified messages between chains, with faults you can dial in.

On chain (``bridge/contracts``): a ``Mailbox`` on every chain. Apps call
``dispatch(dst_chain_id, recipient, body)``; relayers call ``process(message,
proof)``, which refuses bad input with a readable reason (see
``contracts/Mailbox.vy``) and calls ``recipient.handle(src_chain_id, sender,
body)``. ``contracts/message_recipient.vy`` is the recipient pattern (accept
``handle`` only from your mailbox and from the remote you trust);
``TestRecipient``, ``NoopRecipient`` and ``ReentrantRecipient`` are apps for tests
and benchmarks (``bridge.apps.deploy_test_apps`` puts a TestRecipient on every
chain, each trusting the others).

Off chain, on one SimPy clock (this package never imports ``sim`` or ``protocol``)::

    from bridge import BridgeConfig, deploy_bridge
    from relayer import Bridge

    config = BridgeConfig.from_dict(scenario.get("bridge", {}))   # ConfigError names the bad key
    deployment = deploy_bridge(chain_set, config, seed)           # a Mailbox per chain, keys from the seed
    deployment.addresses                                          # {"perp": "0x...", ...} for the protocol
    bridge = Bridge(env, chain_set, deployment, config, seed, lifecycle=None, data_dir=run_dir)
    start_block_production(env, chain_set, [bridge.block_listener, ...])
    bridge.lifecycle.subscribe(trace.write)                       # every LifecycleEvent as it happens
    env.run(until=...)
    bridge.lifecycle.record(message_id)                           # MessageRecord: times, blocks, fates
    bridge.lifecycle.counts()                                     # events by kind and transport fate

Pieces, one job each: ``message`` (encoding and id), ``merkle`` (the message tree),
``proofs`` (digests, signatures, proof blobs), ``config``, ``deploy`` (and ``apps``:
sample recipients on every chain),
``latency``/``topology``/``transport`` (routes and their faults), ``watcher`` (a
chain's mailbox, block by block), ``attestations`` and ``validator`` (signing
agents and their faults), ``forger`` (the compromise fault), ``submit`` (sending
``process``, and reading why it failed), ``lifecycle`` (the record of every message).
"""

from bridge.attestations import Attestation, AttestationStore
from bridge.config import BridgeConfig, RelayersConfig, RouteConfig, ValidatorsConfig
from bridge.deploy import BridgeDeployment, artifact, deploy_bridge
from bridge.forger import Forger, Forgery
from bridge.lifecycle import Lifecycle, LifecycleEvent, MessageRecord, Stamp, UnknownMessage
from bridge.merkle import MerkleTree, branch_root
from bridge.message import MAX_BODY, VERSION, MalformedMessage, Message
from bridge.proofs import (
    Signature,
    checkpoint_digest,
    encode_checkpoint_proof,
    encode_multisig_proof,
    multisig_digest,
    sign_digest,
)
from bridge.submit import Submission, send_process, submit_process
from bridge.transport import Packet, Transport
from bridge.validator import Validator
from bridge.watcher import MailboxWatcher

__all__ = [
    "MAX_BODY",
    "VERSION",
    "Attestation",
    "AttestationStore",
    "BridgeConfig",
    "BridgeDeployment",
    "Forger",
    "Forgery",
    "Lifecycle",
    "LifecycleEvent",
    "MailboxWatcher",
    "MalformedMessage",
    "MerkleTree",
    "Message",
    "MessageRecord",
    "Packet",
    "RelayersConfig",
    "RouteConfig",
    "Signature",
    "Stamp",
    "Submission",
    "Transport",
    "UnknownMessage",
    "Validator",
    "ValidatorsConfig",
    "artifact",
    "branch_root",
    "checkpoint_digest",
    "deploy_bridge",
    "encode_checkpoint_proof",
    "encode_multisig_proof",
    "multisig_digest",
    "send_process",
    "sign_digest",
    "submit_process",
]
