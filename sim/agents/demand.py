"""Background demand: other users' transactions, real ones, that fill blocks and bid against the agents.

Each configured chain gets a ``DemandSink`` (deployed by a transaction at the start) and a
set of sender accounts funded at genesis. Every block interval the chain receives a Poisson
number of transactions (the configured rate, or a window's), each using exactly ``gas`` at
the sink (its INVALID instruction consumes what the transaction brought: a full block for one
instruction's work) and bidding a tip and a fee cap drawn from log-normal distributions. The
pool orders them against everyone else's; when it is full, a bid below its cheapest is refused
(counted as priced out).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Generator

from eth_account.signers.local import LocalAccount

from chains import Chain, TransactionRejected
from chains.accounts import keyed_account
from chains.compiler import compile_contract
from chains.fees import GWEI, FeeBid
from chains.seeding import derive_rng
from sim.agents_config import DemandConfig
from sim.contracts import SINK_SOURCE

if TYPE_CHECKING:
    from sim.world import World

SINK_DEPLOY_GAS = 200_000


def demand_senders(chain: str, config: DemandConfig, seed: int) -> list[LocalAccount]:
    """The accounts background demand on ``chain`` sends from (funded at genesis)."""
    return [keyed_account(f"demand-{chain}-{i}", seed) for i in range(config.senders)]


class BackgroundDemand:
    def __init__(self, world: "World", chain: Chain, config: DemandConfig, senders: list[LocalAccount]) -> None:
        self.world = world
        self.chain = chain
        self.config = config
        self.senders = [account.address for account in senders]
        for account in senders:
            chain.add_account(account)
            world.fee_market.assign("demand", account.address, None, [chain.name])
        self.rng = derive_rng(world.scenario.seed, "demand", chain.name)
        self.sink: str | None = None
        self.sent = 0
        self.priced_out = 0
        self._next_sender = 0

    def run(self) -> Generator[Any, Any, None]:
        env, chain = self.world.env, self.chain
        deployer = self.senders[0]
        tx_hash = chain.send(deployer, None, compile_contract(SINK_SOURCE).bytecode, SINK_DEPLOY_GAS,
                             fees=FeeBid(100 * chain.next_base_fee + 10 * GWEI, 10 * GWEI))
        while chain.receipt(tx_hash) is None:
            yield env.timeout(chain.block_time)
        self.sink = chain.receipt(tx_hash).contract_address
        while True:
            rate, scale = self.config.at(env.now)
            for _ in range(self._arrivals(rate, chain.block_time)):
                self._send(scale)
            yield env.timeout(chain.block_time)

    def _arrivals(self, rate: float, interval: float) -> int:
        """How many of a Poisson stream at ``rate`` fall in ``interval`` seconds."""
        if rate <= 0:
            return 0
        count, t = 0, self.rng.expovariate(rate)
        while t < interval:
            count += 1
            t += self.rng.expovariate(rate)
        return count

    def _send(self, fee_scale: float) -> None:
        config, rng = self.config, self.rng
        tip = _lognormal(rng, config.tip_gwei * fee_scale, config.tip_sigma)
        cap = max(tip, _lognormal(rng, config.max_fee_gwei * fee_scale, config.max_fee_sigma))
        sender = self.senders[self._next_sender]
        self._next_sender = (self._next_sender + 1) % len(self.senders)
        try:
            self.chain.send(sender, self.sink, b"", config.gas, fees=FeeBid(cap, tip), local=False)
            self.sent += 1
        except TransactionRejected:  # the pool is full and this bid is below its cheapest
            self.priced_out += 1

    def summary(self) -> dict[str, int]:
        return {"sent": self.sent, "priced_out": self.priced_out}


def _lognormal(rng: Any, median_gwei: float, sigma: float) -> int:
    """A bid in wei around ``median_gwei`` (whole wei, so every machine draws the same)."""
    if median_gwei <= 0:
        return 0
    return int(median_gwei * GWEI * math.exp(sigma * rng.gauss(0.0, 1.0)))
