"""Fault controls on a running bridge: partitions, extra delay, and duplicate/reorder bursts on routes.

They change the route's real configuration (``bridge.topology.set_route``), so the
transport treats them exactly like faults from a scenario file: a packet sent on a
partitioned route is lost (the relayer resends it after its ack timeout), one sent on
a delayed route arrives ``seconds`` later, one sent during a burst is duplicated and
jittered so packets overtake each other, and the lifecycle records all of it.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, Generator, Iterable

from bridge.config import RouteConfig, Spike, Window, parse_route_key
from bridge.topology import route_of, set_route
from chains.errors import XmarginError
from relayer import Bridge

FOREVER = math.inf


class FaultError(XmarginError):
    """A fault control was asked for a route that does not exist, or for an impossible value."""


def parse_route(route: str | tuple[str, str], chains: Iterable[str]) -> tuple[str, str]:
    """``"src->dst"`` or ``(src, dst)`` as a pair of known chain names."""
    if isinstance(route, str):
        try:
            src, dst = parse_route_key(route, "route")
        except XmarginError as exc:
            raise FaultError(str(exc)) from None
    elif isinstance(route, tuple) and len(route) == 2 and all(isinstance(end, str) for end in route):
        src, dst = route
    else:
        raise FaultError(f'a route is "src->dst" or (src, dst), got {route!r}')
    names = tuple(chains)
    for end in (src, dst):
        if end not in names:
            raise FaultError(f"unknown chain {end!r} in route {src}->{dst}; chains: {', '.join(names)}")
    if src == dst:
        raise FaultError(f"a route joins two different chains, got {src}->{dst}")
    return src, dst


def _close_open(windows: tuple, now: float) -> tuple:
    """Windows that were open-ended now end at ``now`` (those not yet begun are dropped)."""
    closed = []
    for window in windows:
        if window.end != FOREVER:
            closed.append(window)
        elif window.start < now:
            closed.append(replace(window, end=now))
    return tuple(closed)


class RouteFaults:
    """Partitions and delays on the routes of one running bridge."""

    def __init__(self, bridge: Bridge) -> None:
        self.bridge = bridge

    @property
    def _now(self) -> float:
        return self.bridge.env.now

    def route(self, src: str, dst: str) -> RouteConfig:
        return route_of(self.bridge.topology, src, dst)

    def _update(self, src: str, dst: str, route: RouteConfig) -> None:
        set_route(self.bridge.topology, src, dst, route)

    def partition(self, a: str, b: str, both_ways: bool = True) -> None:
        """Cut ``a -> b`` (and ``b -> a``) from now until :meth:`heal`."""
        pairs = [parse_route((a, b), self.bridge.chain_set.names)]
        if both_ways:
            pairs.append((b, a))
        for src, dst in pairs:
            route = self.route(src, dst)
            if not route.partitioned(self._now) or route.heals_at(self._now) != FOREVER:
                self._update(src, dst, replace(route, partitions=(*route.partitions, Window(self._now, FOREVER))))

    def heal(self, a: str | None = None, b: str | None = None) -> None:
        """End the partitions started by :meth:`partition` (between ``a`` and ``b``, both ways; default: all)."""
        if (a is None) != (b is None):
            raise FaultError("heal() takes both chains of a route, or none to heal every route")
        names = self.bridge.chain_set.names
        if a is None:
            pairs = [(src, dst) for src, dst in self.bridge.topology.edges]
        else:
            src, dst = parse_route((a, b), names)
            pairs = [(src, dst), (dst, src)]
        for src, dst in pairs:
            route = self.route(src, dst)
            self._update(src, dst, replace(route, partitions=_close_open(route.partitions, self._now)))

    def delay(self, route: str | tuple[str, str], seconds: float) -> None:
        """Packets sent on ``route`` from now on take ``seconds`` longer (0: back to the route's own latency)."""
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 <= seconds < FOREVER:
            raise FaultError(f"a delay is a finite number of seconds >= 0, got {seconds!r}")
        src, dst = parse_route(route, self.bridge.chain_set.names)
        current = self.route(src, dst)
        spikes = _close_open(current.spikes, self._now)
        if seconds > 0:
            spikes = (*spikes, Spike(self._now, FOREVER, float(seconds)))
        self._update(src, dst, replace(current, spikes=spikes))

    def burst(self, route: str | tuple[str, str], seconds: float, duplicate: float = 1.0, reorder_window: float = 30.0) -> None:
        """For the next ``seconds``, packets on ``route`` are duplicated with probability ``duplicate`` and
        delayed by up to ``reorder_window`` extra seconds (so they arrive out of order); then the route's own
        values return."""
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 < seconds < FOREVER:
            raise FaultError(f"a burst lasts a finite number of seconds > 0, got {seconds!r}")
        if not 0 <= duplicate <= 1 or not 0 <= reorder_window < FOREVER:
            raise FaultError(f"a burst takes a duplicate probability in [0, 1] and a finite reorder window >= 0, "
                             f"got {duplicate!r} and {reorder_window!r}")
        src, dst = parse_route(route, self.bridge.chain_set.names)
        before = self.route(src, dst)
        self._update(src, dst, replace(before, duplicate=duplicate, reorder_window=reorder_window))

        def restore() -> Generator[Any, Any, None]:
            yield self.bridge.env.timeout(seconds)
            current = self.route(src, dst)
            self._update(src, dst, replace(current, duplicate=before.duplicate, reorder_window=before.reorder_window))

        self.bridge.env.process(restore())
