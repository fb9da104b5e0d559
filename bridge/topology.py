"""The route topology: chains as nodes, a directed edge per route carrying its latency and faults."""

from __future__ import annotations

from typing import Iterable

import networkx as nx

from chains.errors import ConfigError
from bridge.config import BridgeConfig, RouteConfig


def build_topology(chain_names: Iterable[str], config: BridgeConfig) -> nx.DiGraph:
    """Every ordered pair of distinct chains is a route; edge attribute ``route`` is its :class:`RouteConfig`."""
    names = list(chain_names)
    config.check_chains(names)
    graph = nx.DiGraph()
    graph.add_nodes_from(names)
    for src in names:
        for dst in names:
            if src != dst:
                graph.add_edge(src, dst, route=config.route(src, dst))
    return graph


def route_of(graph: nx.DiGraph, src: str, dst: str) -> RouteConfig:
    try:
        return graph.edges[src, dst]["route"]
    except KeyError:
        raise ConfigError(f"no route from {src!r} to {dst!r}") from None


def set_route(graph: nx.DiGraph, src: str, dst: str, route: RouteConfig) -> None:
    """Replace the faults of route ``src -> dst`` at run time (a fault dialled in mid-run).

    The transport reads a route when it sends a packet and again when the packet
    arrives, so the change applies to every later send and to the partition check
    of packets still in flight.
    """
    route_of(graph, src, dst)  # a clear error for a route that does not exist
    graph.edges[src, dst]["route"] = route
