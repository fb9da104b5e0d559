"""The transport: each fault of a route does what it says, from the seed."""

from __future__ import annotations

import statistics

import simpy
from eth_utils import keccak

from bridge.config import BridgeConfig
from bridge.latency import LognormalLatency, UniformLatency
from bridge.lifecycle import Lifecycle
from bridge.message import Message
from bridge.proofs import MODE_MULTISIG, encode_multisig_proof, sign_digest
from bridge.topology import build_topology
from bridge.transport import Packet, Transport

MESSAGE = Message(1, 0, 1, "0x" + "11" * 20, 2, "0x" + "22" * 20, b"the body of a message")
SIGNATURES = [sign_digest(keccak(b"key %d" % i), keccak(b"digest")) for i in range(3)]
PROOF = encode_multisig_proof("0x" + "33" * 20, MESSAGE.id, SIGNATURES)


def _run(routes: dict, packets: int = 1, seed: int = 0, until: float = 1_000, send_every: float = 0.0):
    env = simpy.Environment()
    lifecycle = Lifecycle()
    config = BridgeConfig.from_dict({"routes": {"a->b": routes}})
    transport = Transport(env, build_topology(["a", "b"], config), lifecycle, seed)
    arrivals: list[tuple[float, Packet]] = []

    def deliver(packet: Packet) -> bool:
        arrivals.append((env.now, packet))
        return True

    def sender():
        for i in range(packets):
            transport.send(Packet("a", "b", MESSAGE.id, MESSAGE.encoded, PROOF, MODE_MULTISIG, "relayer-0", i + 1), deliver)
            if send_every:
                yield env.timeout(send_every)
        yield env.timeout(0)

    env.process(sender())
    env.run(until=until)
    fates = [e.detail["fate"] for e in lifecycle.events()]
    return arrivals, fates, lifecycle


def test_a_clean_route_delivers_once_after_its_latency():
    arrivals, fates, _ = _run({"latency": {"kind": "fixed", "mean": 2.5}})
    assert [t for t, _ in arrivals] == [2.5]
    assert fates == ["sent", "delivered"]


def test_drop_loses_packets_with_its_probability():
    arrivals, fates, _ = _run({"drop": 0.3}, packets=2_000)
    assert fates.count("dropped") + len(arrivals) == 2_000
    assert 0.25 < fates.count("dropped") / 2_000 < 0.35


def test_duplicate_delivers_two_copies():
    arrivals, fates, _ = _run({"duplicate": 1.0, "latency": {"kind": "uniform", "low": 1, "high": 2}})
    assert len(arrivals) == 2
    assert {p.copy for _, p in arrivals} == {0, 1}
    assert fates.count("duplicated") == 1 and fates.count("delivered") == 2


def test_reorder_window_lets_later_packets_overtake():
    arrivals, fates, _ = _run({"reorder_window": 5.0}, packets=50, send_every=0.1)
    seqs = [p.seq for _, p in arrivals]
    assert sorted(seqs) == list(range(50))
    assert seqs != sorted(seqs)
    assert fates.count("reordered") > 0


def test_corruption_flips_exactly_one_byte_of_the_body_or_a_signature():
    arrivals, fates, _ = _run({"corrupt": 1.0}, packets=200)
    fields = set()
    body = range(256, 256 + len(MESSAGE.body))
    signatures = range(len(PROOF) - 65 * 3, len(PROOF))
    for _, packet in arrivals:
        changed_message = [i for i, (x, y) in enumerate(zip(packet.message, MESSAGE.encoded)) if x != y]
        changed_proof = [i for i, (x, y) in enumerate(zip(packet.proof, PROOF)) if x != y]
        assert len(changed_message) + len(changed_proof) == 1
        if changed_message:
            assert changed_message[0] in body and packet.corrupted == "body"
        else:
            assert changed_proof[0] in signatures and packet.corrupted == "signature"
        fields.add(packet.corrupted)
    assert fields == {"body", "signature"}
    assert fates.count("corrupted") == 200


def test_a_partition_loses_what_is_sent_or_arrives_while_it_lasts():
    arrivals, fates, lifecycle = _run({"partitions": [[0, 10]]}, packets=20, send_every=1.0)
    assert [round(t) for t, _ in arrivals] == list(range(11, 21))
    partitioned = [e for e in lifecycle.events() if e.detail.get("fate") == "partitioned"]
    assert len(partitioned) == 10
    assert all(e.detail["heals_at"] == 10 for e in partitioned)


def test_a_spike_delays_packets_sent_inside_its_window():
    arrivals, fates, _ = _run({"spikes": [{"start": 0, "end": 1, "extra": 30}]}, packets=3, send_every=1.0)
    assert [t for t, _ in arrivals] == [2.0, 3.0, 31.0]
    assert fates.count("delayed") == 1


def test_the_same_seed_gives_the_same_fates_and_another_seed_does_not():
    faults = {"drop": 0.2, "duplicate": 0.2, "corrupt": 0.2, "reorder_window": 3, "latency": {"kind": "lognormal", "mean": 2, "sigma": 1}}
    first = _run(faults, packets=100, send_every=0.5, seed=1)[2]
    second = _run(faults, packets=100, send_every=0.5, seed=1)[2]
    third = _run(faults, packets=100, send_every=0.5, seed=2)[2]
    dump = lambda lc: [e.to_dict() for e in lc.events()]  # noqa: E731
    assert dump(first) == dump(second)
    assert dump(first) != dump(third)


def test_latency_models_have_the_configured_shape():
    import random

    rng = random.Random(0)
    lognormal = [LognormalLatency(2.0, 0.8).sample(rng) for _ in range(20_000)]
    assert abs(statistics.fmean(lognormal) - 2.0) < 0.1
    assert min(lognormal) > 0
    uniform = [UniformLatency(1.0, 3.0).sample(rng) for _ in range(5_000)]
    assert 1.0 <= min(uniform) and max(uniform) <= 3.0
