"""Bridge figures: gas of ``Mailbox.process`` in both proof modes, and delivered messages per wall-clock second.

Run as ``.venv/bin/python benchmarks/bridge_gas_and_throughput.py [--messages N] [--seed S]``.

Gas: a 256-byte body delivered to a recipient whose ``handle`` does nothing (so the
recipient's own logic is excluded), with 3-of-5 multisig signatures, and with a
checkpoint proof (a depth-32 inclusion proof plus 3-of-5 signatures over the
root). The figure is the transaction's whole ``gasUsed``: intrinsic 21,000 and
calldata included.

Throughput: N messages (default 1,000) from one chain to another with no faults,
5 validators, threshold 3, one relayer, everything on the simulated clock;
wall-clock time from the first dispatch until every message is processed.
"""

from __future__ import annotations

import argparse
import tempfile
import time

import simpy

from chains import ChainConfig, ChainSet, deploy
from bridge.apps import deploy_test_apps
from bridge.config import BridgeConfig
from bridge.deploy import artifact, deploy_bridge
from bridge.merkle import MerkleTree
from bridge.message import Message
from bridge.proofs import checkpoint_digest, encode_checkpoint_proof, encode_multisig_proof, multisig_digest, sign_digest
from bridge.watcher import DISPATCH_TOPIC, dispatch_message
from relayer.runtime import Bridge

TARGET_GAS = 150_000
BODY = bytes(range(256))
CHAINS = (
    ChainConfig(name="source", chain_id=51_001, block_time=1, finality_depth=1),
    ChainConfig(name="destination", chain_id=51_002, block_time=1, finality_depth=1),
)


def _calldata_gas(data: bytes) -> int:
    return sum(4 if byte == 0 else 16 for byte in data)


def measure_gas(seed: int) -> dict[str, tuple[int, int]]:
    """Gas of ``process`` per mode: (gasUsed, calldata bytes)."""
    chain_set = ChainSet.from_configs(CHAINS, seed=seed)
    config = BridgeConfig.from_dict({"mode": "multisig", "source_modes": {"source": "checkpoint"}})
    deployment = deploy_bridge(chain_set, config, seed=seed)
    source, destination = chain_set["source"], chain_set["destination"]
    signers = sorted(deployment.validators, key=lambda a: int(a.address, 16))[: deployment.threshold]
    results = {}
    for mode, src, dst in (("multisig", destination, source), ("checkpoint", source, destination)):
        noop = deploy(dst, artifact("NoopRecipient"))
        src_mailbox, dst_mailbox = deployment.mailbox(src.name), deployment.mailbox(dst.name)
        sender = src.accounts[0].address
        for filler in range(99):  # a tree with some history, so the proof's lower siblings are real
            src_mailbox.functions.dispatch(dst.chain_id, noop.address, b"filler %d" % filler).transact(
                {"from": sender, "gas": 500_000}
            )
        tx = src_mailbox.functions.dispatch(dst.chain_id, noop.address, BODY).transact({"from": sender, "gas": 500_000})
        src.mine()
        (log,) = [l for l in src.w3.eth.get_transaction_receipt(tx)["logs"] if bytes(l["topics"][0]) == DISPATCH_TOPIC]
        message: Message = dispatch_message(log)
        if mode == "multisig":
            digest = multisig_digest(dst.chain_id, dst_mailbox.address, src.chain_id, message.id)
            proof = encode_multisig_proof(dst_mailbox.address, message.id, [sign_digest(k.key, digest) for k in signers])
        else:
            logs = src.w3.eth.get_logs({"fromBlock": 0, "toBlock": "latest", "address": src_mailbox.address,
                                        "topics": [DISPATCH_TOPIC]})
            tree = MerkleTree([dispatch_message(l).id for l in logs])
            index = message.nonce
            root = tree.root(index + 1)
            digest = checkpoint_digest(dst.chain_id, dst_mailbox.address, src.chain_id, src_mailbox.address, root, index)
            proof = encode_checkpoint_proof(dst_mailbox.address, message.id, root, index, index,
                                            tree.proof(index, index + 1), [sign_digest(k.key, digest) for k in signers])
        call = dst_mailbox.functions.process(message.encoded, proof)
        tx = call.transact({"from": dst.accounts[0].address, "gas": 1_000_000})
        dst.mine()
        receipt = dst.w3.eth.get_transaction_receipt(tx)
        assert receipt["status"] == 1, f"{mode}: process failed"
        calldata = bytes.fromhex(call._encode_transaction_data().removeprefix("0x"))
        results[mode] = (receipt["gasUsed"], len(calldata), _calldata_gas(calldata))
    return results


def measure_throughput(messages: int, seed: int) -> dict[str, float]:
    chain_set = ChainSet.from_configs(CHAINS, seed=seed)
    config = BridgeConfig.from_dict({})
    deployment = deploy_bridge(chain_set, config, seed=seed)
    apps = deploy_test_apps(chain_set, deployment)
    env = simpy.Environment()
    bridge = Bridge(env, chain_set, deployment, config, seed=seed, data_dir=tempfile.mkdtemp(prefix="xmargin-bench-"))
    bridge.start_block_production()
    source = chain_set["source"]
    send = apps["source"].functions.send
    per_second = 100
    dispatch_wall = 0.0

    def load():
        nonlocal dispatch_wall
        for i in range(messages):
            if i and i % per_second == 0:
                yield env.timeout(1.0)
            started = time.perf_counter()
            send(chain_set["destination"].chain_id, apps["destination"].address, b"message %06d" % i).transact(
                {"from": source.accounts[0].address, "gas": 500_000}
            )
            dispatch_wall += time.perf_counter() - started

    started = time.perf_counter()
    env.process(load())
    env.run(until=messages / per_second + 1)
    settled = bridge.run_until_settled(timeout=600)
    wall = time.perf_counter() - started
    processed = bridge.lifecycle.counts().get("processed", 0)
    assert settled and processed == messages, f"only {processed} of {messages} processed"
    assert apps["destination"].functions.handled_count().call() == messages
    return {
        "messages": messages,
        "wall": wall,
        "dispatch_wall": dispatch_wall,
        "simulated": env.now,
        "per_second": messages / wall,
        "relay_per_second": messages / (wall - dispatch_wall),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    print("Mailbox.process gas, 256-byte body, 3-of-5 validators, no-op recipient (whole transaction):")
    for mode, (gas, size, calldata_gas) in measure_gas(args.seed).items():
        label = "multisig (3-of-5 signatures)" if mode == "multisig" else "checkpoint (depth-32 proof, 3-of-5)"
        verdict = "ok" if gas <= TARGET_GAS else "OVER TARGET"
        print(f"  {label:38s} {gas:>8,} gas  (calldata {size:,} bytes, {calldata_gas:,} gas)  "
              f"target <= {TARGET_GAS:,}: {verdict}")

    figures = measure_throughput(args.messages, args.seed)
    print(f"Throughput, {figures['messages']:,} messages between two chains, no faults, one relayer:")
    print(f"  delivered per wall-clock second      {figures['per_second']:8.1f} msg/s "
          f"({figures['wall']:.1f} s wall, {figures['simulated']:.0f} s simulated)")
    print(f"  excluding the dispatch transactions  {figures['relay_per_second']:8.1f} msg/s "
          f"({figures['dispatch_wall']:.1f} s spent dispatching)")


if __name__ == "__main__":
    main()
