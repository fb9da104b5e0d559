"""A whole testbed in one call: chains, the bridge with its relayers, the protocol, one clock.

The simulation, ``xmargin up`` and the pytest plugin all start from here, so they
deploy and wire the same thing the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import simpy

from bridge import BridgeConfig, BridgeDeployment, Lifecycle, deploy_bridge
from bridge.deploy import artifact as bridge_artifact
from chains import Chain, ChainSet
from chains.chain import ReorgReport
from chains.compiler import Artifact
from chains.config import DEFAULT_WORLD, ChainConfig
from chains.engines import REFERENCE_ENGINE
from chains.errors import XmarginError
from chains.producer import BlockListener, sim_time_of, start_block_production
from protocol import ProtocolConfig, ProtocolDeployment, deploy_protocol
from protocol.artifacts import CONTRACT_NAMES, artifact as protocol_artifact
from relayer import Bridge

Stage = Callable[[str], None]  # told what is being done, before it is done


@dataclass
class Testbed:
    env: simpy.Environment
    chains: ChainSet
    bridge_deployment: BridgeDeployment
    protocol: ProtocolDeployment
    bridge: Bridge
    listeners: list[BlockListener] = field(default_factory=list)

    @property
    def lifecycle(self) -> Lifecycle:
        return self.bridge.lifecycle

    @property
    def perp(self) -> Chain:
        return self.protocol.perp

    def chain(self, name: str) -> Chain:
        return self.chains[name]

    def run_for(self, seconds: float) -> None:
        """Advance the clock: blocks are mined, messages attested, relayed and processed."""
        self.env.run(until=self.env.now + seconds)

    def relay(self, timeout: float = 600.0) -> bool:
        """Run until every dispatched message is processed (or abandoned); False if ``timeout`` passes first."""
        return self.bridge.run_until_settled(timeout)

    def reorg(self, chain_name: str, depth: int, left_out: Iterable[bytes] = ()) -> tuple[ReorgReport, int]:
        """Drop the last ``depth`` blocks of a chain and resubmit their transactions to its mempool, as a node
        returns a lost branch's transactions to it; returns the report and how many went back (one no longer
        valid stays dropped: that is the fault; ``left_out`` hashes are not resubmitted, a double spend)."""
        chain = self.chains[chain_name]
        report = chain.reorg(depth)
        skipped = {bytes(h) for h in left_out}
        resubmitted = 0
        for dropped in report.dropped:
            if bytes(dropped.hash) in skipped:
                continue
            try:
                chain.send_raw_transaction(dropped.raw)
                resubmitted += 1
            except XmarginError:
                continue
        return report, resubmitted


def start_time(chains: Iterable[Chain]) -> float:
    """Deployment mined blocks ahead of simulated time 0: the clock starts at the latest head."""
    return max(sim_time_of(chain, chain.head_timestamp) for chain in chains)


def build_testbed(
    chain_configs: Sequence[ChainConfig] = DEFAULT_WORLD,
    protocol_config: ProtocolConfig | Mapping[str, Any] | None = None,
    bridge_config: BridgeConfig | Mapping[str, Any] | None = None,
    seed: int = 0,
    perp_chain: str = "perp",
    vault_chains: Sequence[str] | None = None,
    data_dir: str | Path | None = None,
    extra_alloc: Mapping[str, int] | None = None,
    lifecycle: Lifecycle | None = None,
    listeners: Sequence[BlockListener] = (),
    env_factory: Callable[[float], simpy.Environment] | None = None,
    stage: Stage | None = None,
    variants: Mapping[str, Artifact] | None = None,
    engine: str = REFERENCE_ENGINE,
) -> Testbed:
    """Deploy everything on ``engine`` and start block production, validators and relayers on a fresh clock.

    ``variants`` deploys other builds of protocol contracts by name (mutation testing: a planted bug).
    """
    say = stage or (lambda _: None)
    if not isinstance(protocol_config, ProtocolConfig):
        protocol_config = ProtocolConfig.from_dict(protocol_config or {})
    if not isinstance(bridge_config, BridgeConfig):
        bridge_config = BridgeConfig.from_dict(bridge_config or {})
    say("compiling contracts (cached after the first run)")
    bridge_artifact("Mailbox")
    for name in CONTRACT_NAMES:
        protocol_artifact(name)
    say(f"starting {len(chain_configs)} chains")
    chains = ChainSet.from_configs(chain_configs, seed=seed, extra_alloc=extra_alloc, engine=engine)
    if vault_chains is None:
        vault_chains = [name for name in chains.names if name != perp_chain]
    say("deploying the bridge")
    bridge_deployment = deploy_bridge(chains, bridge_config, seed)
    say("deploying the protocol")
    protocol = deploy_protocol(
        chains, protocol_config, bridge_deployment.addresses, perp_chain, vault_chains, seed, variants=variants
    )
    initial_time = start_time(chains)
    env = env_factory(initial_time) if env_factory is not None else simpy.Environment(initial_time=initial_time)
    bridge = Bridge(env, chains, bridge_deployment, bridge_config, seed, lifecycle=lifecycle, data_dir=data_dir)
    testbed = Testbed(env, chains, bridge_deployment, protocol, bridge, list(listeners))
    start_block_production(env, chains, [bridge.block_listener, *testbed.listeners])
    return testbed
