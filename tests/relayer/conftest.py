"""A running bridge between two fast chains, built per test by the ``make_run`` factory."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import pytest
import simpy
from eth_utils import keccak
from web3.contract import Contract

from chains import ChainConfig, ChainSet
from bridge.apps import deploy_test_apps
from bridge.config import BridgeConfig
from bridge.deploy import BridgeDeployment, deploy_bridge
from relayer.runtime import Bridge

TWO_CHAINS = (
    ChainConfig(name="alpha", chain_id=41_001, block_time=1, finality_depth=1),
    ChainConfig(name="beta", chain_id=41_002, block_time=2, finality_depth=1),
)


@dataclass
class Run:
    env: simpy.Environment
    chain_set: ChainSet
    deployment: BridgeDeployment
    apps: dict[str, Contract]
    bridge: Bridge
    last_send: float = 0.0

    @property
    def lifecycle(self):
        return self.bridge.lifecycle

    def send(self, src: str, dst: str, body: bytes) -> None:
        """Dispatch from the source app now; the block producer mines it."""
        chain = self.chain_set[src]
        self.apps[src].functions.send(self.chain_set[dst].chain_id, self.apps[dst].address, body).transact(
            {"from": chain.accounts[0].address, "gas": 500_000}
        )

    def send_at(self, times: Iterable[float], src: str, dst: str, prefix: bytes = b"m") -> list[bytes]:
        """Schedule one dispatch at each simulated time; returns the bodies."""
        schedule = sorted(times)
        self.last_send = max([self.last_send, *schedule])
        bodies = [prefix + b"-%d" % i for i in range(len(schedule))]

        def sender():
            for at, body in zip(schedule, bodies):
                yield self.env.timeout(max(0.0, at - self.env.now))
                self.send(src, dst, body)

        self.env.process(sender())
        return bodies

    def handled(self, dst: str, body: bytes) -> int:
        return self.apps[dst].functions.times_handled(keccak(body)).call()

    def assert_exactly_once(self, dst: str, bodies: list[bytes]) -> None:
        assert [self.handled(dst, b) for b in bodies] == [1] * len(bodies)
        assert self.apps[dst].functions.handled_count().call() == len(bodies)
        dispatched = [r for r in self.lifecycle.records() if r.dispatched is not None]
        assert len(dispatched) == len(bodies)
        for record in dispatched:
            assert record.status == "processed"
            assert sum(1 for e in record.events if e.kind == "processed") == 1

    def run(self, until: float) -> None:
        self.env.run(until=until)

    def settle(self, timeout: float = 300) -> bool:
        """Run past the last scheduled dispatch, then until every message is settled."""
        if self.env.now <= self.last_send:
            self.env.run(until=self.last_send + 0.5)
        return self.bridge.run_until_settled(timeout=timeout)


MakeRun = Callable[..., Run]


@pytest.fixture
def make_run(tmp_path: Path) -> MakeRun:
    built = itertools.count()

    def build(
        config: Mapping[str, Any] | None = None,
        seed: int = 0,
        chains: tuple[ChainConfig, ...] = TWO_CHAINS,
        data_dir: Path | None = None,
    ) -> Run:
        parsed = BridgeConfig.from_dict(config or {})
        chain_set = ChainSet.from_configs(chains, seed=seed)
        deployment = deploy_bridge(chain_set, parsed, seed=seed)
        apps = deploy_test_apps(chain_set, deployment)
        env = simpy.Environment()
        bridge = Bridge(env, chain_set, deployment, parsed, seed=seed, data_dir=data_dir or tmp_path / f"run-{next(built)}")
        bridge.start_block_production()
        return Run(env, chain_set, deployment, apps, bridge)

    return build
