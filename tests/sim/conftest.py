"""A testbed with one funded trader and one keeper, for cross-chain flows through the real bridge."""

from __future__ import annotations

from typing import Any, Mapping

import pytest
from eth_account.signers.local import LocalAccount

from chains import confirm
from chains.accounts import keyed_account
from protocol.units import to_wad
from sim.testbed import Testbed, build_testbed

USDC = 10**6


class Flows:
    """One trader depositing USDC on vault-l1 and trading ETH on the perp chain; one keeper."""

    def __init__(self, bridge: Mapping[str, Any] | None = None, seed: int = 3) -> None:
        self.trader: LocalAccount = keyed_account("flow-trader", seed)
        self.keeper: LocalAccount = keyed_account("flow-keeper", seed)
        funded = {a.address: 10 * 10**18 for a in (self.trader, self.keeper)}
        self.tb: Testbed = build_testbed(seed=seed, bridge_config=bridge or {}, extra_alloc=funded)
        for chain in self.tb.chains:
            chain.add_account(self.trader)
            chain.add_account(self.keeper)
        self.d = self.tb.protocol
        self.vault = self.d.vault("vault-l1")
        self.usdc = self.d.token("vault-l1", "USDC")
        self.d.mint("vault-l1", "USDC", self.trader.address, 100_000 * USDC)
        self.usdc.approve(self.trader.address, self.vault.address, 2**256 - 1)
        self.eth_price = 3_000.0
        self.tb.env.process(self._oracle())
        self.tb.run_for(13)

    def _oracle(self) -> Any:
        """Reporters keep every price fresh (staleness is 60 s), as the simulation's oracle rounds do."""
        while True:
            self.d.post_prices({"USDC": 1, "ETH": self.eth_price, "BTC": 60_000})
            yield self.tb.env.timeout(50)

    @property
    def cid(self) -> int:
        return self.d.collateral("vault-l1", "USDC").cid

    def deposit(self, amount: int) -> None:
        self.vault.deposit(self.trader.address, "USDC", amount)

    def credited(self) -> int:
        return self.d.engine.credited(self.trader.address)[self.cid]

    def locked(self) -> int:
        return self.vault.locked(self.trader.address, "USDC")

    def prices(self, eth: float) -> None:
        self.eth_price = eth
        confirm(self.d.perp, self.d.post_prices({"USDC": 1, "ETH": eth, "BTC": 60_000}))

    def open_long(self, eth: float) -> None:
        self.prices(3_000)
        confirm(self.d.perp, self.d.engine.trade(self.trader.address, "ETH", to_wad(eth)))


@pytest.fixture
def flows() -> Flows:
    return Flows()


@pytest.fixture
def make_flows() -> type[Flows]:
    return Flows
