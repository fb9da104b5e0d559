"""The off-chain half of a live world: its clock, block producers, bridge and price heartbeat.

It is rebuilt over the same chains when their history is rewritten below a finalized
block (an ``evm_revert`` or ``evm_snapshot`` revert across a bridge's finality): the
relayer's durable cursor and the validators' progress would otherwise point at
blocks that no longer exist. The new bridge reads every chain from genesis, with
relayer files in a new ``restart-N`` directory: messages whose delivery was undone
are delivered again, the others are refused on chain as already delivered (counted
as duplicates, as for any competing relayer).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

import simpy
from hexbytes import HexBytes

from bridge import BridgeDeployment, Lifecycle, LifecycleEvent
from chains import Chain, ChainSet
from protocol import ProtocolDeployment
from relayer import Bridge
from sim.heartbeat import keep_prices_fresh
from sim.live.producer import align_to_clock, follow_clock
from sim.world_spec import WorldSpec

# (bridge generation, event, replayed): ``replayed`` marks what a new bridge reads from history as it starts
EventListener = Callable[[int, LifecycleEvent, bool], None]
Notify = Callable[[str], None]


def _block_hash(chain: Chain, number: int) -> HexBytes:
    return HexBytes(chain.w3.eth.get_block(number)["hash"])


class HistoryGuard:
    """Notices a chain whose block at its (last seen) finalized height changed or vanished."""

    def __init__(self, chains: ChainSet) -> None:
        self.chains = chains
        self._marks: dict[str, tuple[HexBytes, int, HexBytes]] = {}
        self.reset()

    def reset(self) -> None:
        self._marks = {chain.name: self._mark(chain) for chain in self.chains}

    def _mark(self, chain: Chain) -> tuple[HexBytes, int, HexBytes]:
        final = chain.finalized_number
        return HexBytes(chain.head.hash), final, _block_hash(chain, final)

    def rewritten(self) -> list[str]:
        """Chains whose finalized history changed since the last call (their marks move on either way)."""
        changed = []
        for chain in self.chains:
            head_hash, final, final_hash = self._marks[chain.name]
            if HexBytes(chain.head.hash) == head_hash:
                continue
            if final > chain.head_number or _block_hash(chain, final) != final_hash:
                changed.append(chain.name)
            self._marks[chain.name] = self._mark(chain)
        return changed


class OffChain:
    """Clock, producers, bridge and heartbeat over deployed chains; :meth:`restart` rebuilds them.

    Built by :meth:`start`, on the thread that runs the clock.
    """

    def __init__(
        self,
        chains: ChainSet,
        bridge_deployment: BridgeDeployment,
        protocol: ProtocolDeployment,
        spec: WorldSpec,
        data_dir: Path,
        start_time: float,
        on_event: Sequence[EventListener] = (),
        notify: Notify | None = None,
        fresh_prices_at_start: bool = False,
    ) -> None:
        """``fresh_prices_at_start``: report prices right after the perp chain's first block (a loaded world's
        prices are as old as its file; that block brings the chain to the wall-clock time)."""
        self.chains = chains
        self.bridge_deployment = bridge_deployment
        self.protocol = protocol
        self.spec = spec
        self.data_dir = Path(data_dir)
        self.on_event = list(on_event)
        self.notify = notify or (lambda message: None)
        self.start_time = start_time
        self.generation = 0
        self.fresh_prices_at_start = fresh_prices_at_start
        self._replaying = False
        self.guard = HistoryGuard(chains)
        self.env: simpy.Environment | None = None
        self.bridge: Bridge | None = None

    def start(self) -> None:
        """Build the clock, producers and bridge; call it on the thread that will run the clock.

        A relayer's SQLite connection belongs to the thread that opened it, so the
        bridge is built, run and closed on one thread.
        """
        self.env, self.bridge = self._start(self.start_time)

    @property
    def lifecycle(self) -> Lifecycle:
        return self.bridge.lifecycle

    @property
    def bridge_dir(self) -> Path:
        return self.data_dir if self.generation == 0 else self.data_dir / f"restart-{self.generation}"

    def _start(self, now: float) -> tuple[simpy.Environment, Bridge]:
        env = simpy.Environment(initial_time=now)
        lifecycle = Lifecycle()
        generation = self.generation
        for listener in self.on_event:
            lifecycle.subscribe(lambda event, listener=listener: listener(generation, event, self._replaying))
        self._replaying = True
        try:
            bridge = Bridge(
                env, self.chains, self.bridge_deployment, self.spec.bridge, self.spec.seed,
                lifecycle=lifecycle, data_dir=self.bridge_dir,
            )
        finally:
            self._replaying = False
        for chain in self.chains:
            env.process(follow_clock(env, chain, [bridge.block_listener]))
        first = self.protocol.perp.block_time if self.fresh_prices_at_start and self.generation == 0 else None
        env.process(keep_prices_fresh(env, self.protocol, on_error=self._heartbeat_failed, first=first))
        return env, bridge

    def _heartbeat_failed(self, error: Exception) -> None:
        self.notify(f"price heartbeat: could not refresh prices: {error}")

    def before_step(self, now: float) -> None:
        """Run under every chain's lock before each step: keep instant chains on the clock, guard history."""
        for chain in self.chains:
            align_to_clock(chain, now)
        rewritten = self.guard.rewritten()
        if rewritten:
            self.restart(f"finalized history of {', '.join(rewritten)} was rewritten")

    def restart(self, reason: str) -> None:
        """Stop the bridge and start a new clock, producers and bridge at the same time over the chains."""
        now = self.env.now
        self.close()
        self.generation += 1
        self.notify(f"bridge restarted ({reason}); its state is now in {self.bridge_dir}")
        self.env, self.bridge = self._start(now)
        self.guard.reset()

    def close(self) -> None:
        """Stop every relayer: its processes end and its SQLite file is closed, consistent."""
        if self.bridge is None:
            return
        for relayer in self.bridge.relayers:
            relayer.kill()
