"""What to build: chains, perp and vault chains, protocol and bridge configs, seed.

``xmargin up`` and the pytest plugin build the worlds a scenario describes, with the
same ``--set`` overrides and the same validation. Without a scenario the default world
is an empty scenario, so overrides work the same way (``--set bridge.latency.mean=3``).
Agents, price paths and scheduled reorgs are the simulation's business and are left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Iterable

from bridge import BridgeConfig
from chains.config import ChainConfig
from protocol import ProtocolConfig
from sim.overrides import apply_overrides
from sim.scenario import Scenario, load_scenario, parse_scenario

DEFAULT_WORLD_NAME = "default"
PLACEHOLDER_DURATION = float("inf")  # a scenario needs one; nothing built from a WorldSpec stops at a duration


@dataclass(frozen=True)
class WorldSpec:
    name: str
    seed: int
    chains: tuple[ChainConfig, ...]
    perp_chain: str
    vault_chains: tuple[str, ...]
    protocol: ProtocolConfig
    bridge: BridgeConfig
    fixed_genesis: frozenset[str] = frozenset()  # chains whose genesis timestamp the scenario sets itself
    scenario: Scenario | None = field(default=None, repr=False, compare=False)  # what it was resolved from

    def starting_at(self, timestamp: int) -> "WorldSpec":
        """The same world with every chain's genesis at ``timestamp``, except those the scenario pins."""
        chains = tuple(
            chain if chain.name in self.fixed_genesis else replace(chain, genesis_timestamp=timestamp)
            for chain in self.chains
        )
        return replace(self, chains=chains)


def resolve_world(scenario: str | None = None, overrides: Iterable[str] = (), seed: int | None = None) -> WorldSpec:
    """The world of ``scenario`` (a built-in name or a TOML file; None: the default world).

    Raises ConfigError naming the file (if any) and the key path; nothing is built.
    """
    overrides = tuple(overrides)
    if scenario is not None:
        loaded = load_scenario(scenario, overrides, seed)
    else:
        data = apply_overrides({"duration": PLACEHOLDER_DURATION}, overrides)
        if seed is not None:
            data["seed"] = seed
        loaded = parse_scenario(data, "")
        loaded = replace(loaded, name=DEFAULT_WORLD_NAME, overrides=overrides)
    return world_of(loaded)


def world_of(scenario: Scenario) -> WorldSpec:
    """The world part of a loaded scenario."""
    raw_chains = scenario.raw.get("chains") or []
    pinned = frozenset(
        entry["name"] for entry in raw_chains if isinstance(entry, dict) and "genesis_timestamp" in entry
    )
    return WorldSpec(
        name=scenario.name,
        seed=scenario.seed,
        chains=tuple(scenario.chains),
        perp_chain=scenario.perp_chain,
        vault_chains=tuple(scenario.vault_chains),
        protocol=scenario.protocol,
        bridge=scenario.bridge,
        fixed_genesis=pinned,
        scenario=scenario,
    )
