"""The off-chain transport: packets travel a route on the simulated clock, meeting the route's faults.

A packet is one delivery attempt: a message and its proof on the way from a
relayer's source side to the destination chain. Per packet the route draws, from
its own seeded stream and always in the same order: drop, duplicate and corrupt
coins, a latency and a reorder jitter (and the same again for a duplicate copy),
and where to flip a byte. So a fault's probability can change without shifting
any other route's randomness. Every fate goes to the lifecycle.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, replace
from typing import Any, Callable, Generator

import networkx as nx
import simpy

from chains.seeding import derive_rng
from bridge.lifecycle import Lifecycle
from bridge.message import BODY_OFFSET, HEAD_SIZE
from bridge.proofs import signature_spans
from bridge.topology import route_of


@dataclass(frozen=True)
class Packet:
    src: str
    dst: str
    message_id: bytes
    message: bytes
    proof: bytes
    mode: int
    origin: str  # the relayer that sent it
    attempt: int
    incarnation: int = 0
    seq: int = -1  # set by the transport: send order on its route
    copy: int = 0  # 1 for the duplicate
    corrupted: str | None = None  # "body" or "signature"


Deliver = Callable[[Packet], bool]  # returns False when nobody was there to receive it


class Transport:
    def __init__(self, env: simpy.Environment, topology: nx.DiGraph, lifecycle: Lifecycle, seed: int) -> None:
        self.env = env
        self.topology = topology
        self.lifecycle = lifecycle
        self.seed = seed
        self._rngs: dict[tuple[str, str], random.Random] = {}
        self._seq = itertools.count()
        self._latest_delivered: dict[tuple[str, str], int] = {}
        self.in_flight = 0

    def _rng(self, src: str, dst: str) -> random.Random:
        rng = self._rngs.get((src, dst))
        if rng is None:
            rng = self._rngs[(src, dst)] = derive_rng(self.seed, "route", src, dst)
        return rng

    def send(self, packet: Packet, deliver: Deliver) -> None:
        """Put a packet on its route; ``deliver`` is called when (and if) it arrives."""
        route = route_of(self.topology, packet.src, packet.dst)
        rng = self._rng(packet.src, packet.dst)
        now = self.env.now
        packet = replace(packet, seq=next(self._seq))
        drop_coin, duplicate_coin, corrupt_coin = rng.random(), rng.random(), rng.random()
        latency = route.latency.sample(rng) + rng.random() * route.reorder_window
        copy_latency = route.latency.sample(rng) + rng.random() * route.reorder_window
        where, position, flip = rng.random(), rng.random(), 1 + int(rng.random() * 255)

        self._fate(packet, "sent", latency=round(latency, 9))
        if route.partitioned(now):
            self._fate(packet, "partitioned", heals_at=route.heals_at(now))
            return
        if drop_coin < route.drop:
            self._fate(packet, "dropped")
            return
        extra = route.spike_extra(now)
        if extra:
            self._fate(packet, "delayed", extra=extra)
        if corrupt_coin < route.corrupt:
            packet = _corrupt(packet, where, position, flip)
            if packet.corrupted:
                self._fate(packet, "corrupted", field=packet.corrupted)
        delays = [latency + extra]
        if duplicate_coin < route.duplicate:
            self._fate(packet, "duplicated")
            delays.append(copy_latency + extra)
        for copy, delay in enumerate(delays):
            self.in_flight += 1
            self.env.process(self._carry(replace(packet, copy=copy), delay, deliver))

    def _carry(self, packet: Packet, delay: float, deliver: Deliver) -> Generator[Any, Any, None]:
        yield self.env.timeout(delay)
        self.in_flight -= 1
        route = route_of(self.topology, packet.src, packet.dst)
        if route.partitioned(self.env.now):
            self._fate(packet, "partitioned", heals_at=route.heals_at(self.env.now), in_flight=True)
            return
        key = (packet.src, packet.dst)
        latest = self._latest_delivered.get(key, -1)
        if packet.seq < latest:
            self._fate(packet, "reordered", overtaken_by=latest)
        self._latest_delivered[key] = max(latest, packet.seq)
        if deliver(packet):
            self._fate(packet, "delivered")
        else:
            self._fate(packet, "lost", why="receiver down")

    def _fate(self, packet: Packet, fate: str, **detail: Any) -> None:
        self.lifecycle.emit(
            self.env.now,
            packet.message_id,
            "transport",
            actor=packet.origin,
            fate=fate,
            route=f"{packet.src}->{packet.dst}",
            packet=packet.seq,
            copy=packet.copy,
            attempt=packet.attempt,
            **detail,
        )


def _corrupt(packet: Packet, where: float, position: float, flip: int) -> Packet:
    """Flip one byte of the body or of a signature (the body when there are no signatures, and vice versa)."""
    spans = signature_spans(packet.proof, packet.mode)
    body_end = BODY_OFFSET + _body_length(packet.message)
    if body_end > BODY_OFFSET and (not spans or where < 0.5):
        index = BODY_OFFSET + int(position * (body_end - BODY_OFFSET))
        return replace(packet, message=_flip(packet.message, index, flip), corrupted="body")
    if not spans:
        return packet
    start = spans[0][0]
    end = spans[-1][1]
    index = start + int(position * (end - start))
    return replace(packet, proof=_flip(packet.proof, index, flip), corrupted="signature")


def _body_length(message: bytes) -> int:
    return int.from_bytes(message[HEAD_SIZE - 32 : HEAD_SIZE], "big") if len(message) >= HEAD_SIZE else 0


def _flip(data: bytes, index: int, flip: int) -> bytes:
    changed = bytearray(data)
    changed[index] ^= flip
    return bytes(changed)
