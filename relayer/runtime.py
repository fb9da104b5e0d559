"""The running bridge: watchers, validators, transport, relayers and forger on one SimPy clock."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Callable, Generator, Mapping

import simpy

from chains import Chain, ChainSet
from chains.errors import ConfigError
from chains.producer import start_block_production
from bridge.attestations import AttestationStore
from bridge.config import BridgeConfig
from bridge.deploy import BridgeDeployment
from bridge.forger import Forger
from bridge.lifecycle import Lifecycle, MessageRecord
from bridge.topology import build_topology
from bridge.transport import Transport
from bridge.validator import Validator
from bridge.watcher import MailboxWatcher
from relayer.relayer import Relayer


class Bridge:
    """Everything off chain that makes the deployed mailboxes a bridge.

    Register :attr:`block_listener` with ``chains.producer.start_block_production``
    (or call :meth:`start_block_production`), so dispatches and deliveries are
    recorded the moment their block is mined. Validators, relayers and relayer
    outages from the config start with the bridge (``start=False`` to start them
    yourself with :meth:`start`).
    """

    def __init__(
        self,
        env: simpy.Environment,
        chain_set: ChainSet,
        deployment: BridgeDeployment,
        config: BridgeConfig | Mapping[str, Any] | None = None,
        seed: int = 0,
        lifecycle: Lifecycle | None = None,
        data_dir: str | Path | None = None,
        start: bool = True,
    ) -> None:
        if not isinstance(config, BridgeConfig):
            config = BridgeConfig.from_dict(config)
        if len(deployment.validators) != config.validators.count or deployment.threshold != config.validators.threshold:
            raise ConfigError(
                f"bridge.validators: the deployment has {len(deployment.validators)} validators with threshold "
                f"{deployment.threshold}; the config asks for {config.validators.count} with threshold "
                f"{config.validators.threshold}"
            )
        if len(deployment.relayers) < config.relayers.count:
            raise ConfigError(
                f"bridge.relayers.count: the deployment funded {len(deployment.relayers)} relayer accounts, "
                f"the config asks for {config.relayers.count}"
            )
        self.env = env
        self.chain_set = chain_set
        self.deployment = deployment
        self.config = config
        self.seed = seed
        self.lifecycle = lifecycle if lifecycle is not None else Lifecycle()
        self.data_dir = Path(data_dir) if data_dir is not None else Path(tempfile.mkdtemp(prefix="xmargin-bridge-"))
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.topology = build_topology(chain_set.names, config)
        self.transport = Transport(env, self.topology, self.lifecycle, seed)
        self.watchers = {
            chain.name: MailboxWatcher(chain, deployment.mailbox_address(chain.name), self.lifecycle, deployment.chain_name)
            for chain in chain_set
        }
        self.attestations = AttestationStore(self.lifecycle, config.validators.count, config.validators.threshold)
        self.validators = [
            Validator(i, account, deployment, self.watchers, self.attestations, config.validators)
            for i, account in enumerate(deployment.validators)
        ]
        self.relayers = [
            Relayer(i, env, deployment, self.attestations, self.transport, self.lifecycle, config.relayers,
                    self.data_dir, seed)
            for i in range(config.relayers.count)
        ]
        for relayer in self.relayers:  # each relayer bids on every chain as its config says
            for chain in chain_set:
                chain.set_fee_policy(relayer.account.address, config.relayers.fees.policy())
        self.forger = Forger(env, deployment, self.validators, self.watchers, self.lifecycle, config.relayers.gas_limit)
        self.started = False
        if start:
            self.start()

    # -- wiring ----------------------------------------------------------------

    @property
    def block_listener(self) -> Callable[[Chain, Any], None]:
        return self._on_block

    def _on_block(self, chain: Chain, block: Any) -> None:
        watcher = self.watchers.get(chain.name)
        if watcher is not None:
            watcher.on_block(chain, block)
        for relayer in self.relayers:
            relayer.on_block(chain)

    def start_block_production(self, extra_listeners: list[Callable[[Chain, Any], None]] | None = None) -> list[simpy.Process]:
        """Mine every chain at its block time with this bridge listening (for runs without a simulation)."""
        return start_block_production(self.env, self.chain_set, [self._on_block, *(extra_listeners or [])])

    def start(self) -> None:
        """Start validators, relayers and the configured relayer outages."""
        if self.started:
            return
        self.started = True
        for watcher in self.watchers.values():
            watcher.sync()
        for validator in self.validators:
            self.env.process(validator.run(self.env))
        for relayer in self.relayers:
            relayer.start()
        for outage in self.config.relayers.outages:
            self.schedule_outage(outage.relayer, outage.start, outage.end)

    # -- relayer control -------------------------------------------------------

    def relayer(self, index: int) -> Relayer:
        if not 0 <= index < len(self.relayers):
            raise ConfigError(f"no relayer {index}; this bridge runs {len(self.relayers)}")
        return self.relayers[index]

    def kill_relayer(self, index: int) -> None:
        """Kill relayer ``index`` now: its processes stop, its memory is gone, its SQLite file stays."""
        self.relayer(index).kill()

    def restart_relayer(self, index: int) -> None:
        """Start relayer ``index`` again from its SQLite file (no-op if it is running)."""
        relayer = self.relayer(index)
        if not relayer.alive:
            relayer.start()

    def schedule_outage(self, index: int, start: float, end: float) -> simpy.Process:
        """Kill relayer ``index`` at simulated time ``start`` and restart it at ``end``."""
        self.relayer(index)
        if end <= start:
            raise ConfigError(f"a relayer outage must end after it starts ({start} .. {end})")

        def outage() -> Generator[Any, Any, None]:
            yield self.env.timeout(max(0.0, start - self.env.now))
            self.kill_relayer(index)
            if end != float("inf"):
                yield self.env.timeout(end - self.env.now)
                self.restart_relayer(index)

        return self.env.process(outage())

    # -- progress --------------------------------------------------------------

    def unsettled(self) -> list[MessageRecord]:
        """Dispatched messages to a bridged chain that are neither processed nor abandoned by every relayer."""
        for watcher in self.watchers.values():
            watcher.sync()
        names = {relayer.name for relayer in self.relayers}
        waiting = []
        for record in self.lifecycle.records():
            if record.dispatched is None or record.processed is not None:
                continue
            if record.dst_chain not in self.chain_set:
                continue
            if names and names <= set(record.abandoned_by):
                continue
            waiting.append(record)
        return waiting

    def undispatched_in_mempool(self) -> int:
        """Dispatches sent but not yet mined (the mailboxes' pending nonces minus what the watchers saw)."""
        waiting = 0
        for name, watcher in self.watchers.items():
            call = self.deployment.mailbox_calls(name).nonce()
            result = self.chain_set[name].call(call.to, call.calldata, block="pending")
            nonce = call.function.decode(result.output)
            waiting += nonce - len(watcher.messages)
        return waiting

    def settled(self) -> bool:
        return not self.unsettled() and self.undispatched_in_mempool() == 0

    def run_until_settled(self, timeout: float, step: float = 1.0) -> bool:
        """Advance the clock in ``step``s until every dispatched message is settled; False on timeout.

        "Dispatched" means mined or waiting in a mempool now: dispatches a process will
        only make later are not waited for, so run past them first.
        """
        deadline = self.env.now + timeout
        while True:
            if self.settled():
                return True
            if self.env.now >= deadline:
                return False
            self.env.run(until=min(deadline, self.env.now + step))
