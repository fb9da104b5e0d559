"""The margin protocol: collateral vaults, a perp margin engine and an oracle, in Vyper, with typed bindings.

Contracts (``protocol/contracts``): ``TestToken`` (ERC-20 collateral with real decimals),
``CollateralVault`` and the constant-product ``AmmPool`` markets (vault chains), ``MarginEngine``
and its read-only ``MarginReader``, ``OracleAggregator``, ``Deleverager`` (auto-deleveraging or
socialised loss after the insurance fund) and ``Backstop`` (the protocol's liquidator of last
resort) on the perp chain, with ``DelayedOracle`` between the aggregator and the engine when the
oracle has a delay. Vaults and engine talk only through the Mailbox interface
(``dispatch`` / ``handle``); message bodies are described in :mod:`protocol.messages`.

Units, everywhere (contracts, bindings, events):

* USD amounts - prices, values, equity, PnL, balances, fees, funding - are 18-decimal fixed
  point ("WAD"): ``2000 * 10**18`` is $2000, or a price of $2000 per whole token.
* Ratios (margins, haircuts, fees, health, close factor) are WAD fractions: 5 % is ``5 * 10**16``.
* Position sizes are WAD units of the base asset, signed: ``+10**18`` is one ETH long.
* Token amounts are in the token's own decimals (USDC 6, ETH 18, BTC 8).
* Funding rates are WAD fractions per day; funding indices are USD (WAD) per unit of size.
* Times are block timestamps in seconds.

Value flows (conserved exactly on every vault chain, per asset): deposits are locked for an
account; trading losses, fees and funding paid are seized from locked collateral into the
vault's counterparty pool (the treasury's share of fees into its treasury); gains are credited
on the perp chain and paid out of the pool by RELEASE when withdrawn; a liquidator's bonus is
seized from the account's collateral to the liquidator; bad debt is covered by moving the
insurance fund into the pool, and what it cannot cover is recorded as uncovered bad debt.
"""

import lazy_loader

# Names load on first use (lazy_loader), so a command that needs little (`xmargin --help`,
# `trace`, `compare`) does not import py-evm, web3 and matplotlib.
__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "amm": ["AmmPool", "Observation", "Reserves"],
        "catalog": ["Catalog", "CollateralInfo"],
        "config": [
            "AdlConfig", "AmmConfig", "AmmPoolConfig", "AssetConfig", "BackstopConfig", "FeeConfig",
            "LiquidationConfig", "MarketConfig", "OracleConfig", "ProtocolConfig", "RateLimitConfig",
        ],
        "deleverager": ["Backstop", "BackstopTotals", "Deleverager", "DeleveragerTotals"],
        "delayed_oracle": ["DelayedOracle"],
        "deploy": ["ProtocolDeployment", "deploy_protocol"],
        "engine": [
            "CROSS", "BucketHealth", "BucketState", "CollateralHolding", "EngineTotals", "FundBalance",
            "MarginEngine", "MarketState", "PositionInfo", "RawPosition",
        ],
        "errors": ["ProtocolCallError", "ProtocolError"],
        "messages": ["decode_body", "encode_body"],
        "oracle": ["FeedState", "Oracle", "PriceSource", "PriceUse", "SignedReport"],
        "token": ["Token"],
        "units": ["WAD", "from_units", "from_wad", "to_units", "to_wad"],
        "vault": ["RequestStatus", "Vault", "VaultLedger", "WithdrawalRequest"],
    },
)
