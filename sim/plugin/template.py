"""A testbed built once per session and handed out fresh to every test, by snapshot and revert.

Building deploys everything, relays the deployment's own messages (pool and
insurance funding) until every relayer has nothing left to do and has the oracle
reporters post the prices again (so a test starts with fresh prices, valid for the
oracle's staleness bound of simulated time); then the template is frozen: its relayers are stopped (their SQLite files closed, so they hold a
consistent state), every chain is snapshotted, and the clock's time is noted.

A fresh testbed reverts the chains to that snapshot and builds the off-chain side
anew over them: a new clock at the frozen time, a new lifecycle, new watchers and
validators, and relayers resuming from copies of the frozen SQLite files. Nothing of
a previous test survives (its blocks, messages, packets in flight, route faults,
relayer queues, time), and nothing of the deployment is redone.
"""

from __future__ import annotations

import copy
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Callable, Mapping

import simpy
from eth_account.signers.local import LocalAccount

from chains.accounts import keyed_account
from chains.engines import REFERENCE_ENGINE
from chains.compiler import Artifact
from chains.producer import start_block_production
from chains.errors import ChainStateError
from relayer import Bridge
from relayer.store import ACTIVE
from sim.heartbeat import refresh_prices
from sim.plugin.testbed import TestbedError, XmarginTestbed, run_due_now
from sim.testbed import Testbed, build_testbed
from sim.world_spec import WorldSpec

USERS = ("alice", "bob", "carol", "dave", "erin")
USER_ETH = 1_000 * 10**18
SETTLE_TIMEOUT = 3_600.0  # simulated seconds the deployment's messages may take to settle
QUIET_TIMEOUT = 600.0  # further simulated seconds for the relayers' queues to empty
RELAYER_FILES = "relayer-*.sqlite"


def user_accounts(seed: int) -> dict[str, LocalAccount]:
    """The testbed's named users, deterministic per seed."""
    return {name: keyed_account(f"testbed-user-{name}", seed) for name in USERS}


def _relayers_quiet(bridge: Bridge) -> bool:
    return not any(status in ACTIVE for relayer in bridge.relayers for status in relayer.status_counts())


def _copy_database(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite file, through SQLite's backup API."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


class Template:
    """The session's deployed world, frozen; :meth:`fresh` gives each test its own running testbed."""

    def __init__(self, spec: WorldSpec, workdir: Path, variants: Mapping[str, Artifact] | None = None,
                 engine: str = REFERENCE_ENGINE) -> None:
        """``variants``: protocol contracts deployed from other builds (see :func:`protocol.deploy_protocol`)."""
        self.spec = spec
        self.engine = engine
        self.users = user_accounts(spec.seed)
        self.template_dir = Path(workdir)
        built = build_testbed(
            spec.chains,
            spec.protocol,
            spec.bridge,
            spec.seed,
            spec.perp_chain,
            spec.vault_chains,
            data_dir=self.template_dir,
            extra_alloc={user.address: USER_ETH for user in self.users.values()},
            engine=engine,
            variants=variants,
        )
        for chain in built.chains:
            for user in self.users.values():
                chain.add_account(user)
        self._settle(built)
        self.chains = built.chains
        self.bridge_deployment = built.bridge_deployment
        self.protocol = built.protocol
        self.time = self._freeze(built)
        self.snapshot = self.chains.snapshot()
        self.relayer_files = sorted(self.template_dir.glob(RELAYER_FILES))
        self.builds = 0

    def _settle(self, built: Testbed) -> None:
        if not built.relay(SETTLE_TIMEOUT):
            waiting = ", ".join(f"{r.message_id[:10]} {r.src_chain}->{r.dst_chain}" for r in built.bridge.unsettled())
            raise TestbedError(
                f"world {self.spec.name!r}: the deployment's messages did not settle within {SETTLE_TIMEOUT:g} "
                f"simulated seconds (still waiting: {waiting or 'dispatches in a mempool'}); is a route cut for good?"
            )
        refresh_prices(built.protocol)
        built.run_for(built.perp.block_time)
        deadline = built.env.now + QUIET_TIMEOUT
        while not _relayers_quiet(built.bridge) and built.env.now < deadline:
            built.run_for(1.0)

    def _freeze(self, built: Testbed) -> float:
        for relayer in built.bridge.relayers:
            relayer.kill()
        for chain in built.chains:
            if chain.pending_transactions():
                chain.mine()
        return built.env.now

    def prepared(self, testbed: XmarginTestbed, workdir: Path) -> "Template":
        """A template of ``testbed`` (one of this template's fresh testbeds) as it is now, settled the same
        way: a prepared state that many tests, or the sequences of ``xmargin check``, start from without
        preparing it again. ``testbed`` stops; this template stays usable."""
        self._settle(testbed)
        derived = copy.copy(self)
        derived.template_dir = Path(workdir)
        derived.template_dir.mkdir(parents=True, exist_ok=True)
        derived.time = self._freeze(testbed)
        derived.snapshot = self.chains.snapshot()
        for source in sorted(testbed.bridge.data_dir.glob(RELAYER_FILES)):
            _copy_database(source, derived.template_dir / source.name)
        derived.relayer_files = sorted(derived.template_dir.glob(RELAYER_FILES))
        derived.builds = 0
        return derived

    def fresh(self, data_dir: Path, env_factory: Callable[[float], simpy.Environment] | None = None) -> XmarginTestbed:
        """Revert the chains to the frozen state and start a new bridge over them, with its files in ``data_dir``."""
        data_dir = Path(data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        for chain in self.chains:
            chain.auto_mine = False
        try:
            self.chains.revert(self.snapshot)
        except ChainStateError as exc:
            raise TestbedError(f"world {self.spec.name!r}: the frozen state can no longer be restored ({exc}): an "
                               "earlier test reorganised blocks it was built on; reorg only blocks a test mined") from None
        for source in self.relayer_files:
            _copy_database(source, data_dir / source.name)
        env = env_factory(self.time) if env_factory is not None else simpy.Environment(initial_time=self.time)
        bridge = Bridge(env, self.chains, self.bridge_deployment, self.spec.bridge, self.spec.seed, data_dir=data_dir)
        testbed = XmarginTestbed(
            env, self.chains, self.bridge_deployment, self.protocol, bridge, users=dict(self.users), spec=self.spec
        )
        start_block_production(env, self.chains, [testbed.on_block])
        run_due_now(env)  # every process takes its first step: the testbed is running when the test starts
        self.builds += 1
        return testbed

    def __repr__(self) -> str:
        return f"Template({self.spec.name!r}, seed={self.spec.seed}, t={self.time:g}, fresh testbeds={self.builds})"
