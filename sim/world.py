"""The simulated world of one run: the testbed, the reference market, agents, metrics, invariants and the trace.

Simulated time is seconds since genesis on one SimPy clock. Deploying the bridge and
the protocol takes the first minute or two (the run starts when the last deployment
block is mined); every time in a scenario (crash start, partitions, outages, reorgs)
is on this same clock.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Callable, Generator

from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes

from bridge import Lifecycle, LifecycleEvent
from chains import Chain, MinedBlock, revert_reason
from chains.accounts import keyed_account
from chains.engines import REFERENCE_ENGINE
from chains.producer import sim_time_of
from protocol import WAD, AmmPool, PriceUse
from protocol.events import AMM_EVENTS, ContractEvent
from protocol.messages import Dest, MarginLocked, Release, encode_body
from sim.agents.arbitrageur import Arbitrageur
from sim.agents.demand import BackgroundDemand, demand_senders
from sim.agents.keeper import Keeper
from sim.agents.operators import BackstopOperator, DeleverageOperator
from sim.agents.poker import Poker
from sim.agents.reporter import Reporter, oracle_rounds
from sim.agents.trader import Trader
from sim.fault_effects import FaultEffects
from sim.fee_market import FeeMarket
from sim.feed import EventFeed, event_fields
from sim.health import HealthMonitor
from sim.invariants import Invariants
from sim.market_metrics import MarketMetrics
from sim.metrics import Metrics, TimeSeries, usd
from sim.pools import PoolWatch
from sim.prices import PricePath
from sim.reference import ReferenceMarket
from sim.scenario import Forgery, Scenario
from sim.testbed import Stage, build_testbed
from sim.trace import Trace

AGENT_BALANCE_WEI = 1_000 * 10**18
DEFAULT_NATIVE_USD = 2_000.0  # the native token's price when the scenario has no ETH feed
TRACE_FILE = "trace.jsonl"


def mean_latency(model: Any) -> float:
    return float(getattr(model, "mean", None) or (model.low + model.high) / 2)


class World:
    def __init__(self, scenario: Scenario, run_dir: Path | None = None, engine: str = REFERENCE_ENGINE,
                 stage: Stage | None = None, trace: Trace | None = None) -> None:
        """``trace``: where events go (default: a new ``run_dir/trace.jsonl``, or nowhere without a run directory)."""
        self.scenario = scenario
        self.engine = engine
        seed = scenario.seed
        self.trace = trace if trace is not None else Trace(run_dir / TRACE_FILE if run_dir is not None else None)
        trader_accounts = [keyed_account(f"trader-{i}", seed) for i in range(scenario.traders.count)]
        keeper_accounts = [keyed_account(f"keeper-{i}", seed) for i in range(scenario.keepers.count)]
        arbitrageur_accounts = [keyed_account(f"arbitrageur-{i}", seed) for i in range(scenario.arbitrageurs.count)]
        agents: list[LocalAccount] = trader_accounts + keeper_accounts + arbitrageur_accounts
        demand_accounts = {name: demand_senders(name, config, seed) for name, config in scenario.demand.items()}
        funded = agents + [account for senders in demand_accounts.values() for account in senders]
        data_dir = run_dir / "relayers" if run_dir is not None else Path(tempfile.mkdtemp(prefix="xmargin-run-"))
        self.lifecycle = Lifecycle()
        self.lifecycle.subscribe(self._trace_message)  # before deployment, so its messages are traced whole
        self._pending_mints: dict[HexBytes, tuple[str, str, int]] = {}
        self.testbed = build_testbed(
            scenario.chains, scenario.protocol, scenario.bridge, seed, scenario.perp_chain, scenario.vault_chains,
            data_dir=data_dir, extra_alloc={a.address: AGENT_BALANCE_WEI for a in funded},
            lifecycle=self.lifecycle, listeners=[self.on_block], stage=stage, engine=engine,
        )
        self.env = self.testbed.env
        self.chains = self.testbed.chains
        self.protocol = self.testbed.protocol
        self.start = self.env.now
        for chain in self.chains:
            for account in agents:
                chain.add_account(account)
        self.prices = {
            feed: PricePath.generate(feed, model, scenario.duration, seed) for feed, model in scenario.prices.items()
        }
        self.reference = ReferenceMarket(self.prices, scenario.market.impact)
        self.fee_market = FeeMarket(self.chains, self.native_usd)
        self._bucket_states_at: bytes | None = None  # the perp head the cached bucket reads are of
        self._bucket_states: dict[tuple[str, int], Any] = {}
        pools = self.protocol.all_pools()
        self.pool_watch = PoolWatch(pools)
        self.initial_oracle = {feed: value / WAD for feed, value in self.protocol.oracle.prices(PriceUse.LIQUIDATION).items()}
        settlement_prior = mean_latency(scenario.bridge.route(scenario.perp_chain, scenario.vault_chains[0]).latency)
        self.metrics = Metrics(prior_settlement_delay=settlement_prior)
        self.market_metrics = MarketMetrics(self)
        self.series = TimeSeries(list(self.prices), [pool.key for pool in pools], [chain.name for chain in self.chains])
        self.effects = FaultEffects(
            self.testbed.bridge_deployment.forger.address, self.price,
            lambda chain, token: self._asset_decimals(self.protocol.vault(chain).asset_of(token)),
        )
        self.invariants = Invariants(self)
        for chain in scenario.vault_chains:
            for asset, token in self.protocol.tokens[chain].items():
                self.invariants.minted_supply(chain, asset, token.total_supply())

        self.feed = EventFeed(self.protocol)
        self.feed.subscribe(self._trace_event)
        self.feed.subscribe(self.metrics.on_event)
        self.feed.subscribe(self.invariants.on_event)
        self.feed.subscribe(self.effects.on_event, "Released")
        self.lifecycle.subscribe(self.metrics.on_lifecycle)
        self.lifecycle.subscribe(self.invariants.on_lifecycle)

        self.monitor = HealthMonitor(
            self.env, self.protocol.engine, self.protocol.engine_oracle, scenario.keepers.scan_interval,
            maintenance_margin=min(float(m.maintenance_margin) for m in scenario.protocol.markets),
        )
        self.feed.subscribe(self.monitor.on_event, "PositionChanged", "Liquidated", "CollateralMoved", "CollateralCredited")
        self.monitor.subscribe(self.metrics.on_scan)
        self.traders = [Trader(self, i, account) for i, account in enumerate(trader_accounts)]
        self.keepers = [Keeper(self, i, account) for i, account in enumerate(keeper_accounts)]
        self.arbitrageurs = [Arbitrageur(self, i, account) for i, account in enumerate(arbitrageur_accounts)]
        self.reporters = [Reporter(self, i, account) for i, account in enumerate(self.protocol.reporters)]
        self.backstop_operator = BackstopOperator(self)
        self.deleverage_operator = DeleverageOperator(self)
        self._assign_fees()
        self.demand = {name: BackgroundDemand(self, self.chains[name], scenario.demand[name], senders)
                       for name, senders in demand_accounts.items()}
        self.keeper_addresses = {keeper.address: keeper for keeper in self.keepers}
        self.arbitrageur_addresses = {arbitrageur.address for arbitrageur in self.arbitrageurs}
        delayed = self.protocol.delayed_oracle
        self.poker = Poker(self, delayed) if delayed is not None else None
        self._by_account = {trader.address: trader for trader in self.traders}
        self.feed.subscribe(self._route_to_trader)
        self.feed.subscribe(self.pool_watch.on_sync, "Sync")
        self.feed.subscribe(self._route_to_keeper, "Seized", "Swap")
        self.feed.subscribe(self.market_metrics.on_event, "PriceUpdated", "Swap", "Deleveraged", "TakenOver")
        self.feed.subscribe(self._forced_trade, "PositionChanged")
        self.feed.subscribe(self.deleverage_operator.on_event, "PositionChanged", "BadDebt")
        for keeper in self.keepers:
            self.monitor.subscribe(keeper.on_scan)
        self.monitor.subscribe(self.backstop_operator.on_scan)
        for arbitrageur in self.arbitrageurs:
            arbitrageur.fund()
        self.record("world", "started", seed=seed, scenario=scenario.name, traders=len(self.traders),
                    keepers=len(self.keepers), reporters=len(self.reporters), arbitrageurs=len(self.arbitrageurs),
                    pools={pool.key: [self.pool_watch.reserves(pool.key).base, self.pool_watch.reserves(pool.key).quote]
                           for pool in pools})
        self._start_processes()

    def close(self) -> None:
        """Stop: the trace file and the relayers' SQLite files are closed."""
        self.trace.close()
        for relayer in self.testbed.bridge.relayers:
            relayer.kill()

    # -- wiring --------------------------------------------------------------------

    def _assign_fees(self) -> None:
        """Every sender's kind, and its fee strategy on the chains it sends on (relayers' are the bridge's)."""
        scenario, market = self.scenario, self.fee_market
        for trader in self.traders:
            market.assign("trader", trader.address, scenario.traders.fees)
        for keeper in self.keepers:
            market.assign("keeper", keeper.address, scenario.keepers.fees)
        for arbitrageur in self.arbitrageurs:
            market.assign("arbitrageur", arbitrageur.address, scenario.arbitrageurs.fees, scenario.vault_chains)
        for reporter in self.reporters:
            market.assign("reporter", reporter.account.address, scenario.reporters.fees, [scenario.perp_chain])
        for relayer in self.testbed.bridge.relayers:
            market.assign("relayer", relayer.account.address, None)
        for chain, deployer in self.protocol.deployers.items():  # the protocol's operator, and the faucet
            market.assign("operator", deployer, scenario.backstop.fees if chain == scenario.perp_chain else None)

    def native_usd(self) -> float:
        """The price of the chains' native token, in which gas is paid: ETH's reference price (or $2,000)."""
        return self.price("ETH") if "ETH" in self.prices else DEFAULT_NATIVE_USD

    def _start_processes(self) -> None:
        env = self.env
        env.process(self.monitor.run())
        env.process(oracle_rounds(self, self.reporters))
        for trader in self.traders:
            env.process(trader.run())
        for arbitrageur in self.arbitrageurs:
            arbitrageur.start()
        for demand in self.demand.values():
            env.process(demand.run())
        env.process(self._every(self.scenario.sample_interval, self.sample))
        env.process(self._every(self.scenario.invariant_interval, lambda: self.invariants.check(env.now)))
        for reorg in self.scenario.reorgs:
            env.process(self._reorg(reorg.chain, reorg.at, reorg.depth, reorg.double_spend))
        for forgery in self.scenario.forgeries:
            if forgery.kind == "release":
                env.process(self._forge_release(forgery))
            else:
                self._schedule_forgery(forgery)

    def _asset_decimals(self, asset: str) -> tuple[str, int]:
        return asset, self.scenario.protocol.asset(asset).decimals

    def _forge_release(self, forgery: Forgery) -> Generator[Any, Any, None]:
        """The attacker files a withdrawal on the vault chain, then forges the engine's RELEASE of it (paid from the pool)."""
        yield self.env.timeout(max(0.0, forgery.at - self.env.now))
        attacker = self.testbed.bridge_deployment.forger.address
        vault = self.protocol.vault(forgery.chain)
        chain = self.chains[forgery.chain]
        amount = self.scenario.protocol.asset(forgery.asset).units(forgery.amount)
        tx_hash = vault.request_withdraw(attacker, forgery.asset, amount)
        while self.failure(chain, tx_hash) == "not mined":
            yield self.env.timeout(chain.block_time)
        failure = self.failure(chain, tx_hash)
        requests = []
        if failure is None:
            block = chain.receipt(tx_hash).block_number
            requests = [
                e for e in vault.events_in_blocks(block, block)
                if type(e).__name__ == "WithdrawRequested" and bytes(e.tx_hash) == bytes(tx_hash)
            ]
        if not requests:
            self.record("faults", "forgery_failed", kind="release", chain=forgery.chain, reason=failure or "no request")
            return
        body = encode_body(Release(requests[0].request_id, attacker, vault.token(forgery.asset), 0, amount))
        self.testbed.bridge.forger.forge(
            self.scenario.perp_chain, forgery.chain, vault.address, body, sender=self.protocol.engine.address,
        )

    def _schedule_forgery(self, forgery: Forgery) -> None:
        """Compromised validators sign a MarginLocked no vault sent, crediting margin to the attacker."""
        asset = self.scenario.protocol.asset(forgery.asset)
        attacker = self.testbed.bridge_deployment.forger.address
        body = encode_body(MarginLocked(attacker, self.protocol.vault(forgery.chain).token(forgery.asset),
                                        asset.units(forgery.amount)))
        self.testbed.bridge.forger.schedule(
            forgery.at, forgery.chain, self.scenario.perp_chain, self.protocol.engine.address, body,
            sender=self.protocol.vault(forgery.chain).address,
        )

    def _every(self, interval: float, action: Callable[[], None]) -> Generator[Any, Any, None]:
        while True:
            yield self.env.timeout(interval)
            action()

    def _reorg(self, chain_name: str, at: float, depth: int, double_spend: bool) -> Generator[Any, Any, None]:
        """Drop the last ``depth`` blocks; their transactions are sent again (all but deposits, if ``double_spend``)."""
        yield self.env.timeout(max(0.0, at - self.env.now))
        chain = self.chains[chain_name]
        depth = min(depth, chain.head_number)
        left_out: set[bytes] = set()
        if double_spend and chain_name in self.scenario.vault_chains:
            left_out = {
                bytes(e.tx_hash)
                for e in self.protocol.vault(chain_name).events_in_blocks(chain.head_number - depth + 1, chain.head_number)
                if type(e).__name__ == "Deposited"
            }
        self.invariants.reorg_injected(chain_name, depth)
        report, resubmitted = self.testbed.reorg(chain_name, depth, left_out=left_out)
        self.pool_watch.refresh(chain_name)
        self.record("faults", "reorg", chain=chain_name, depth=report.depth, old_head=report.old_head,
                    new_head=report.new_head, dropped=len(report.dropped), resubmitted=resubmitted,
                    deposits_left_out=len(left_out))

    def on_block(self, chain: Chain, block: MinedBlock) -> None:
        self.metrics.on_block(chain, block)
        self.fee_market.on_block(chain, block)
        for tx_hash in block.transactions:
            minted = self._pending_mints.pop(tx_hash, None)
            if minted is not None and self.failure(chain, tx_hash) is None:
                self.invariants.minted_supply(*minted)
        if block.transactions:
            self.trace.record(sim_time_of(chain, block.timestamp), "block", chain=chain.name, number=block.number,
                              hash=block.hash, transactions=len(block.transactions), gas=block.gas_used)
        self.feed.on_block(chain, block)

    def _trace_event(self, t: float, chain: str, event: ContractEvent) -> None:
        fields = event_fields(event)
        if isinstance(event, AMM_EVENTS):
            fields["pool"] = self.pool_by_address(chain, event.address).key  # a chain has several pools
        self.trace.record(t, "event", chain=chain, event=type(event).__name__, **fields)

    def _trace_message(self, event: LifecycleEvent) -> None:
        fields = event.to_dict()
        fields["stage"] = fields.pop("kind")
        del fields["time"]
        self.trace.record(event.time, "message", **fields)

    def _route_to_trader(self, t: float, chain: str, event: ContractEvent) -> None:
        trader = self._by_account.get(getattr(event, "account", None))
        if trader is not None:
            trader.on_event(t, chain, event)

    def _route_to_keeper(self, t: float, chain: str, event: ContractEvent) -> None:
        if type(event).__name__ == "Seized":
            keeper = self.keeper_addresses.get(event.recipient) if event.dest == Dest.RECIPIENT else None
            if keeper is not None:
                keeper.on_seized(t, chain, event)
        elif event.sender in self.keeper_addresses:
            self.keeper_addresses[event.sender].on_swap(t, chain, event)

    def _forced_trade(self, t: float, chain: str, event: ContractEvent) -> None:
        """Liquidations, auto-deleveraging and the backstop trade in the reference market, and move it."""
        if not (event.liquidation or event.account == self.protocol.backstop.address):
            return
        feed = self.scenario.protocol.markets[event.market].asset
        notional = event.size_delta * event.price / WAD / WAD
        self.reference.trade(feed, notional, t)
        self.market_metrics.forced_trade(t, event, feed, notional)

    # -- services for agents ------------------------------------------------------------

    def record(self, actor: str, action: str, **fields: Any) -> None:
        self.trace.record(self.env.now, "agent", actor=actor, action=action, **fields)

    def cid(self, chain: str, asset: str) -> int:
        return self.protocol.collateral(chain, asset).cid

    def mint(self, chain: str, asset: str, receiver: str, amount: int) -> HexBytes:
        """Mint test tokens; the supply the invariants expect grows when the mint is mined."""
        tx_hash = self.protocol.mint(chain, asset, receiver, amount)
        self._pending_mints[HexBytes(tx_hash)] = (chain, asset, amount)
        return tx_hash

    def failure(self, chain: Chain, tx_hash: HexBytes) -> str | None:
        """None if the transaction (or the replacement its fee policy sent) succeeded, else why it failed:
        "not mined" while it waits in the pool, "dropped" once it left the pool without a block."""
        tx_hash = chain.current_hash(tx_hash)
        receipt = chain.receipt(tx_hash)
        if receipt is None:
            return "not mined" if tx_hash in chain.pool else "dropped"
        return None if receipt.status == 1 else revert_reason(chain, tx_hash)

    def outcome(self, chain: Chain, tx_hash: HexBytes, patience: float = 120.0) -> Generator[Any, Any, str | None]:
        """Wait (on the clock) until the transaction is mined, for at most ``patience`` seconds; then
        :meth:`failure`'s answer ("not mined" if it never was: a reorg may have dropped it)."""
        waited = 0.0
        while self.failure(chain, tx_hash) == "not mined" and waited < patience:
            yield self.env.timeout(chain.block_time)
            waited += chain.block_time
        return self.failure(chain, tx_hash)

    def bucket_state(self, account: str, bucket: int) -> Any:
        """The engine's view of a bucket at the perp chain's head; agents acting on the same block share one read."""
        head = self.protocol.perp.head.hash
        if self._bucket_states_at != head:
            self._bucket_states_at, self._bucket_states = head, {}
        key = (account, bucket)
        if key not in self._bucket_states:
            self._bucket_states[key] = self.protocol.engine.bucket(account, bucket)
        return self._bucket_states[key]

    def price(self, feed: str) -> float:
        """The reference price now: the fundamental moved by forced trading."""
        return self.reference.price(feed, self.env.now)

    def fundamental(self, feed: str) -> float:
        """The scenario's price path now (exogenous)."""
        return self.reference.fundamental(feed, self.env.now)

    def pool_by_address(self, chain: str, address: str) -> AmmPool:
        return self.pool_watch.pool_at(chain, address)

    def sample(self) -> None:
        oracle_prices = self.protocol.engine_oracle.prices(PriceUse.LIQUIDATION)  # what the engine acts on
        pools = {}
        for pool in self.protocol.all_pools():
            reserves = self.pool_watch.reserves(pool.key)
            pools[pool.key] = (pool.price(reserves), reserves.base / 10**pool.base_decimals,
                               reserves.quote / 10**pool.quote_decimals)
        self.series.sample(
            self.env.now,
            {feed: self.fundamental(feed) for feed in self.prices},
            {feed: self.price(feed) for feed in self.prices},
            {feed: value / WAD for feed, value in oracle_prices.items()},
            pools,
            self.monitor.latest,
            usd(self.metrics.bad_debt),
            usd(self.metrics.insurance_drawn),
            len(self.metrics.liquidations),
            self.fee_market.sample(),
        )

    def holders(self) -> list[str]:
        """Every address the run gave tokens to, or that may receive them (keepers, the backstop's bonuses,
        the treasury's owner), and the pools."""
        return [
            *(t.address for t in self.traders),
            *(k.address for k in self.keepers),
            *(a.address for a in self.arbitrageurs),
            self.protocol.backstop.address,
            *(pool.address for pool in self.protocol.all_pools()),
            *self.protocol.deployers.values(),
        ]
