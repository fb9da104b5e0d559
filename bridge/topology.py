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
