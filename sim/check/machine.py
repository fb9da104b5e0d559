"""A stateful property test of the whole cross-chain system on real chains.

Hypothesis's ``RuleBasedStateMachine`` draws sequences of user actions and faults
(deposit, open, close, price moves, time passing, withdrawal, liquidation, relayer
kill and restart, partition and heal, duplicate and reorder bursts, a reorg within
finality) and shrinks a failing sequence to the shortest it finds. Every sequence
starts from the same prepared state (each trader's first deposit credited, see
:func:`prepare`), restored by snapshot, and after every step the system's invariants
(:mod:`sim.check.invariants`) must hold.

A user's action submits its transactions and lets one block time of the slowest
chain pass, so they are mined; messages and faults play out as the clock runs
(``pass_time`` lets more of it pass), as they would on real chains.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Callable

from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from protocol import WAD, ProtocolDeployment, ProtocolError, from_wad
from sim.check.invariants import SystemInvariants
from sim.plugin.template import Template
from sim.scenario import Scenario

TRADERS = ("alice", "bob", "carol", "dave")
KEEPER = "erin"


@dataclass(frozen=True)
class Bounds:
    """How large the machine's actions get: from a scenario's traders, or the defaults."""

    deposit_usd: tuple[int, int] = (2_000, 20_000)
    leverage_max: int = 12
    price_move_percent: int = 30  # the largest move of one price in one step
    max_wait: int = 120  # the longest single pass of time, in simulated seconds

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> "Bounds":
        traders = scenario.traders
        low = max(1, int(traders.deposit_usd_min))
        return cls(deposit_usd=(low, max(low, int(traders.deposit_usd_max))),
                   leverage_max=max(1, int(traders.leverage_max)))


@dataclass
class Tally:
    """What a search has run so far: sequences (shrinking included) and invariant checks."""

    examples: int = 0
    checks: int = 0
    last_time: float = 0.0  # simulated time of the last check
    on_example: Callable[[int], None] | None = None


def submit_deposit(protocol: ProtocolDeployment, account: LocalAccount, chain: str, asset: str,
                   usd: int) -> tuple[int, HexBytes] | None:
    """Mint about ``usd`` worth of ``asset`` to ``account`` and deposit it (submitted, not mined);
    returns (units, the mint's hash), or None when it rounds to nothing."""
    info = protocol.config.asset(asset)
    units = info.units((Decimal(usd) / info.initial_price).quantize(Decimal(10) ** -min(info.decimals, 6)))
    if units == 0:
        return None
    vault = protocol.vault(chain)
    mint = protocol.mint(chain, asset, account.address, units)
    protocol.token(chain, asset).approve(account, vault.address, units)
    vault.deposit(account, asset, units)
    return units, mint


@dataclass(frozen=True)
class Prepared:
    """The state every sequence starts from: its template, the token supply before it was made, and its
    deposits (account, chain, asset, units, the mint's hash)."""

    template: Template
    supply: dict[tuple[str, str], int]
    deposits: tuple[tuple[str, str, str, int, HexBytes], ...]


def prepare(template: Template, bounds: Bounds, workdir: Path) -> Prepared:
    """Make, once, the state every sequence starts from: each trader's deposit (the largest the bounds
    allow, vault chains and assets in turn) credited on the perp chain."""
    spec = template.spec
    testbed = template.fresh(workdir / "prepare")
    supply = {(chain, asset): token.total_supply()
              for chain in spec.vault_chains for asset, token in testbed.protocol.tokens[chain].items()}
    deposits = []
    for index, user in enumerate(TRADERS):
        chain, asset = spec.vault_chains[index % len(spec.vault_chains)], spec.protocol.feeds[index % len(spec.protocol.feeds)]
        submitted = submit_deposit(testbed.protocol, testbed.user(user), chain, asset, bounds.deposit_usd[1])
        if submitted is not None:
            deposits.append((testbed.user(user).address, chain, asset, *submitted))
    return Prepared(template.prepared(testbed, workdir / "prepared"), supply, tuple(deposits))


def system_machine(prepared: Prepared, bounds: Bounds, workdir: Path, tally: Tally) -> type[RuleBasedStateMachine]:
    """The state machine over fresh testbeds from the ``prepared`` state; their relayer files go under ``workdir``."""
    template = prepared.template
    spec = template.spec
    config = spec.protocol
    chains = tuple(c.name for c in spec.chains)
    feeds = config.feeds
    moving = tuple(dict.fromkeys(m.asset for m in config.markets))  # the prices that move positions
    markets = tuple(m.name for m in config.markets)
    routes = tuple((a, b) for a in chains for b in chains if a != b and spec.perp_chain in (a, b))
    action_time = max(c.block_time for c in spec.chains)
    reorgs = tuple((c.name, depth) for c in spec.chains for depth in range(1, c.finality_depth + 1))

    class SystemMachine(RuleBasedStateMachine):
        """Every sequence starts with each trader's first deposit credited and prices kept fresh."""

        def __init__(self) -> None:
            super().__init__()
            tally.examples += 1
            if tally.on_example is not None:
                tally.on_example(tally.examples)
            self.data_dir = Path(tempfile.mkdtemp(prefix="sequence-", dir=workdir))
            self.testbed = template.fresh(self.data_dir)
            self.testbed.keep_prices_fresh()
            holders = [*(u.address for u in self.testbed.users.values()),
                       *(pool.address for pool in self.testbed.protocol.all_pools())]
            self.system = SystemInvariants(self.testbed, holders, prepared.supply)
            for deposit in prepared.deposits:
                self.system.deposited(*deposit)
            # reorgs reach back to here at most: blocks final or of the prepared state (the template's) stay
            self.final = {chain.name: chain.head_number for chain in self.testbed.chains}

        def teardown(self) -> None:
            try:
                self.system.check_supply()
            finally:
                self.testbed.close()
                shutil.rmtree(self.data_dir, ignore_errors=True)

        # -- helpers -------------------------------------------------------------------

        def _mined(self) -> None:
            """A user's transactions are submitted: let them be mined."""
            self.testbed.advance(action_time)

        def _price(self, feed: str) -> int:
            return self.testbed.protocol.oracle.feed_state(feed).last_valid_price

        # -- users -------------------------------------------------------------------------

        @rule(user=st.sampled_from(TRADERS), chain=st.sampled_from(spec.vault_chains), asset=st.sampled_from(feeds),
              usd=st.integers(*bounds.deposit_usd))
        def deposit(self, user: str, chain: str, asset: str, usd: int) -> None:
            account = self.testbed.user(user)
            submitted = submit_deposit(self.testbed.protocol, account, chain, asset, usd)
            if submitted is not None:
                self.system.deposited(account.address, chain, asset, *submitted)
                self._mined()

        @rule(user=st.sampled_from(TRADERS), market=st.sampled_from(markets), leverage=st.integers(1, bounds.leverage_max),
              long=st.booleans())
        def open(self, user: str, market: str, leverage: int, long: bool) -> None:
            engine, account = self.testbed.protocol.engine, self.testbed.user(user)
            try:
                equity = engine.bucket(account.address).equity
            except ProtocolError:  # no valid price: nothing to size the position on
                return
            price = self._price(config.market(market).asset)
            if equity <= 0 or price == 0:
                return
            size = leverage * equity * WAD // price
            engine.trade(account, market, size if long else -size)
            self._mined()

        @rule(user=st.sampled_from(TRADERS), pick=st.integers(0, len(markets) - 1))
        def close(self, user: str, pick: int) -> None:
            """Close the ``pick``-th (modulo) of the user's open positions."""
            engine, account = self.testbed.protocol.engine, self.testbed.user(user)
            sizes = [(m, engine.position(account.address, m).size) for m in markets]
            open_positions = [(m, size) for m, size in sizes if size != 0]
            if open_positions:
                market, size = open_positions[pick % len(open_positions)]
                engine.trade(account, market, -size)
                self._mined()

        @rule(user=st.sampled_from(TRADERS), pick=st.integers(0, 15), percent=st.integers(1, 100))
        def withdraw(self, user: str, pick: int, percent: int) -> None:
            """Ask to withdraw ``percent`` of the ``pick``-th (modulo) collateral the user has credited."""
            protocol, account = self.testbed.protocol, self.testbed.user(user)
            held = [(cid, amount) for cid, amount in sorted(protocol.engine.credited(account.address).items()) if amount]
            if not held:
                return
            cid, credited = held[pick % len(held)]
            amount = credited * percent // 100
            if amount > 0:
                info = protocol.catalog.by_cid(cid)
                protocol.vault(info.chain).request_withdraw(account, info.asset, amount)
                self._mined()

        @rule()
        def liquidate(self) -> None:
            engine = self.testbed.protocol.engine
            for bucket in engine.all_health():
                if bucket.health < WAD:
                    engine.liquidate(self.testbed.user(KEEPER), bucket.account, bucket.bucket)
                    self._mined()
                    return

        # -- the world -----------------------------------------------------------------------

        @rule(feed=st.sampled_from(moving), percent=st.integers(-bounds.price_move_percent, bounds.price_move_percent))
        def move_price(self, feed: str, percent: int) -> None:
            last = self._price(feed)
            if last:
                self.testbed.post_prices(**{feed: from_wad(last * (100 + percent) // 100)})
                self._mined()

        @rule(seconds=st.integers(1, bounds.max_wait))
        def pass_time(self, seconds: int) -> None:
            self.testbed.advance(seconds)

        # -- faults --------------------------------------------------------------------------

        @rule()
        def kill_relayer(self) -> None:
            if self.testbed.bridge.relayers:
                self.testbed.kill_relayer(0)

        @rule()
        def restart_relayer(self) -> None:
            if self.testbed.bridge.relayers:
                self.testbed.restart_relayer(0)

        @rule(route=st.sampled_from(routes))
        def partition(self, route: tuple[str, str]) -> None:
            self.testbed.partition(*route)

        @rule()
        def heal(self) -> None:
            self.testbed.heal()

        @rule(route=st.sampled_from(routes), seconds=st.integers(10, bounds.max_wait))
        def burst(self, route: tuple[str, str], seconds: int) -> None:
            self.testbed.burst(route, seconds)

        @rule(reorg=st.sampled_from(reorgs))
        def reorg_within_finality(self, reorg: tuple[str, int]) -> None:
            """Drop up to ``depth`` blocks, never one that was final or of the prepared state (two reorgs in a row
            may not add up past it)."""
            name, depth = reorg
            chain = self.testbed.chains[name]
            self.final[name] = max(self.final[name], chain.finalized_number)
            depth = min(depth, chain.head_number - self.final[name])
            if depth > 0:
                self.testbed.reorg(name, depth)

        # -- after every step ------------------------------------------------------------------

        @invariant()
        def invariants_hold(self) -> None:
            tally.checks += 1
            tally.last_time = self.testbed.now
            self.system.check()

    return SystemMachine
