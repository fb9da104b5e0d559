"""Starting and stopping a live world: what ``xmargin up`` runs between its first and last line."""

from __future__ import annotations

import math
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Sequence

from eth_account.signers.local import LocalAccount

from bridge import LifecycleEvent
from chains import ChainSet
from chains.engines import default_engine
from chains.errors import ConfigError
from chains.rpc import ChainServers, chain_lock, serve_chain
from protocol import ProtocolDeployment
from sim.live.accounts import dev_accounts, genesis_allocation, provision
from sim.live.clock import WallClock
from sim.live.manifest import build_manifest, write_manifest
from sim.live.offchain import EventListener, Notify, OffChain
from sim.live.options import UpOptions
from sim.live.producer import AligningLock
from sim.live.state import DumpReport, SavedWorld, dump_state, read_state, restore_chains, restore_files
from sim.testbed import Testbed, build_testbed, start_time
from sim.trace import Trace
from sim.world_spec import WorldSpec, resolve_world

MESSAGES_FILE = "messages.jsonl"
SWITCH_INTERVAL = 0.0005  # seconds: how long a ready thread may wait for the interpreter


class LiveWorld:
    """A served world: chains on HTTP endpoints, bridge and protocol deployed, the clock running.

    ``urls`` maps chain names to endpoints; ``manifest`` is the document written to the
    addresses file. :meth:`close` (also on leaving a ``with`` block) stops the servers,
    then the clock after its current step (its thread then closes the relayers' files),
    and closes the message log.
    """

    def __init__(
        self,
        spec: WorldSpec,
        options: UpOptions,
        offchain: OffChain,
        servers: ChainServers,
        clock: WallClock,
        manifest: dict[str, Any],
        journal: Trace,
        engine: str,
    ) -> None:
        self.spec = spec
        self.options = options
        self.offchain = offchain
        self.servers = servers
        self.clock = clock
        self.manifest = manifest
        self.journal = journal
        self.engine = engine
        self.closed = False
        self.dumped: DumpReport | None = None  # what close() saved, with --dump-state

    @property
    def chains(self) -> ChainSet:
        return self.offchain.chains

    @property
    def protocol(self) -> ProtocolDeployment:
        return self.offchain.protocol

    @property
    def urls(self) -> dict[str, str]:
        return {server.chain.name: server.url for server in self.servers}

    @property
    def data_dir(self) -> Path:
        return self.offchain.data_dir

    @property
    def failure(self) -> BaseException | None:
        """The error that stopped the clock, if one did."""
        return self.clock.failure

    def close(self) -> None:
        """Stop the endpoints (requests in flight finish), then the clock, whose thread closes the relayers;
        then, with ``--dump-state``, save the world (:attr:`dumped`)."""
        if self.closed:
            return
        self.closed = True
        try:
            self.servers.stop()
        finally:
            self.clock.stop()
            self.journal.close()
        if self.options.dump_state is not None:
            self.dump(Path(self.options.dump_state))

    def dump(self, path: Path) -> DumpReport:
        """Save the stopped world to ``path`` (see :mod:`sim.live.state`)."""
        try:
            self.dumped = dump_state(self.spec, self.chains, self.offchain.bridge_dir, self.data_dir / MESSAGES_FILE,
                                     self.engine, path)
        except OSError as exc:
            raise ConfigError(f"--dump-state {path}: cannot write the world: {exc.strerror or exc}") from None
        return self.dumped

    def __enter__(self) -> "LiveWorld":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()


def _journal_listener(journal: Trace) -> EventListener:
    def record(generation: int, event: LifecycleEvent, replayed: bool) -> None:
        fields = event.to_dict()
        del fields["time"], fields["kind"]
        journal.record(event.time, event.kind, bridge=generation, replayed=replayed, **fields)

    return record


def deploy_world(spec: WorldSpec, accounts: tuple[LocalAccount, ...], engine: str) -> tuple[Testbed, dict[str, Decimal]]:
    """Chains, bridge and protocol deployed, the accounts funded; the builder's own bridge (its relayer files in a
    scratch directory) stopped unused: the live one replaces it."""
    with tempfile.TemporaryDirectory(prefix="xmargin-up-build-") as scratch:
        built = build_testbed(
            spec.chains, spec.protocol, spec.bridge, spec.seed, spec.perp_chain, spec.vault_chains,
            data_dir=Path(scratch), extra_alloc=genesis_allocation(accounts), engine=engine,
        )
        for relayer in built.bridge.relayers:  # never ran
            relayer.kill()
    return built, provision(built.chains, built.protocol, accounts)


def deployment_span(spec: WorldSpec, accounts: tuple[LocalAccount, ...], engine: str) -> int:
    """Simulated seconds the deployment's blocks take, from a throwaway deployment of the same world.

    Chains start that long before now, so the first live block of every chain carries
    the wall-clock time (and keeps doing so), as Anvil's blocks do.
    """
    built, _ = deploy_world(spec, accounts, engine)
    return math.ceil(start_time(built.chains))


def start_up(
    options: UpOptions,
    on_event: Sequence[EventListener] = (),
    notify: Notify | None = None,
    clock_time: Callable[[], float] = time.time,
    progress: Notify | None = None,
) -> LiveWorld:
    """Check the options, build and deploy the world, serve every chain, write the addresses file, start the clock.

    Raises ConfigError (nothing built, nothing written) for bad options or a bad scenario.
    ``progress`` hears what is being done once the options are known to be good.
    """
    saved: SavedWorld | None = None
    if options.load_state is not None:
        options.check_sources()
        saved = read_state(Path(options.load_state))
        spec = saved.spec
    else:
        spec = resolve_world(options.scenario, options.overrides, options.seed)
    options.check(len(spec.chains))
    engine = options.engine or default_engine()
    # the endpoints' request threads share the interpreter with the clock thread: let a request that is
    # ready run within half a millisecond instead of waiting out the default 5 ms slice
    sys.setswitchinterval(SWITCH_INTERVAL)
    accounts = dev_accounts(spec.seed)
    names = ", ".join(chain.name for chain in spec.chains)
    if saved is None:
        if progress is not None:
            progress(f"deploying the bridge and the protocol on {names}...")
        if any(chain.name not in spec.fixed_genesis for chain in spec.chains):
            spec = spec.starting_at(int(clock_time()) - deployment_span(spec, accounts, engine))
    elif progress is not None:
        blocks = sum(len(history.blocks) for history in saved.histories.values())
        progress(f"loading {options.load_state} (saved on {saved.engine}): deploying, then replaying {blocks} blocks "
                 f"on {names}...")
    built, grant = deploy_world(spec, accounts, engine)
    if saved is not None:  # the same genesis, so the same deployment: then the saved blocks after it
        restore_chains(built.chains, saved, f"--load-state {options.load_state}")
    data_dir = Path(options.data_dir) if options.data_dir is not None else Path(tempfile.mkdtemp(prefix="xmargin-up-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    if saved is not None:
        restore_files(saved, data_dir, data_dir / MESSAGES_FILE)
    if options.instant:
        for chain in built.chains:
            chain.auto_mine = True
    journal = Trace(data_dir / MESSAGES_FILE, append=saved is not None)
    first = start_time(built.chains)
    offchain = OffChain(
        built.chains, built.bridge_deployment, built.protocol, spec, data_dir, first,
        on_event=[_journal_listener(journal), *on_event], notify=notify, fresh_prices_at_start=saved is not None,
    )
    clock = WallClock(offchain, [chain_lock(chain) for chain in built.chains], options.block_time_scale, notify)
    try:
        servers = _serve(built.chains, options, clock)
    except BaseException:
        journal.close()
        raise
    live = LiveWorld(spec, options, offchain, servers, clock, {}, journal, engine)
    try:
        live.manifest = build_manifest(
            spec, built.chains, live.urls, built.protocol, built.bridge_deployment, accounts, grant,
            options.instant, options.block_time_scale, data_dir,
        )
        write_manifest(live.manifest, Path(options.addresses_file))
        clock.start(at=_clock_now(spec, first, clock_time))
    except BaseException:
        live.close()
        raise
    return live


def _clock_now(spec: WorldSpec, first: float, clock_time: Callable[[], float]) -> float:
    """The simulated time it is now: deployment took real time after the genesis was fixed, so catch up."""
    wall_clock_chains = [chain for chain in spec.chains if chain.name not in spec.fixed_genesis]
    if not wall_clock_chains:
        return first
    return max(first, clock_time() - wall_clock_chains[0].genesis_timestamp)


def _serve(chains: ChainSet, options: UpOptions, clock: WallClock) -> ChainServers:
    """One endpoint per chain, on ports in chain order; an auto-mining chain's time is aligned before each request."""
    servers = ChainServers()
    try:
        for offset, chain in enumerate(chains):
            lock = AligningLock(chain, chain_lock(chain), clock.now)  # auto-mining: --instant or evm_setAutomine
            servers.append(serve_chain(chain, options.host, options.port + offset if options.port else 0, lock))
    except BaseException:
        servers.stop()
        raise
    return servers
