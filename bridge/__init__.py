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

import lazy_loader

# Names load on first use (lazy_loader), so a command that needs little (`xmargin --help`,
# `trace`, `compare`) does not import py-evm, web3 and matplotlib.
__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "attestations": ["Attestation", "AttestationStore"],
        "config": ["BridgeConfig", "RelayersConfig", "RouteConfig", "ValidatorsConfig"],
        "deploy": ["BridgeDeployment", "artifact", "deploy_bridge"],
        "forger": ["Forger", "Forgery"],
        "lifecycle": ["Lifecycle", "LifecycleEvent", "MessageRecord", "Stamp", "UnknownMessage"],
        "merkle": ["MerkleTree", "branch_root"],
        "message": ["MAX_BODY", "VERSION", "MalformedMessage", "Message"],
        "proofs": [
            "Signature", "checkpoint_digest", "encode_checkpoint_proof", "encode_multisig_proof",
            "multisig_digest", "sign_digest",
        ],
        "submit": ["Submission", "send_process", "submit_process"],
        "transport": ["Packet", "Transport"],
        "validator": ["Validator"],
        "watcher": ["MailboxWatcher"],
    },
)
