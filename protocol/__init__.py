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

from protocol.amm import AmmPool, Observation, Reserves
from protocol.catalog import Catalog, CollateralInfo
from protocol.config import (
    AdlConfig,
    AmmConfig,
    AmmPoolConfig,
    AssetConfig,
    BackstopConfig,
    FeeConfig,
    LiquidationConfig,
    MarketConfig,
    OracleConfig,
    ProtocolConfig,
    RateLimitConfig,
)
from protocol.deleverager import Backstop, BackstopTotals, Deleverager, DeleveragerTotals
from protocol.delayed_oracle import DelayedOracle
from protocol.deploy import ProtocolDeployment, deploy_protocol
from protocol.engine import (
    CROSS,
    BucketHealth,
    BucketState,
    CollateralHolding,
    EngineTotals,
    FundBalance,
    MarginEngine,
    MarketState,
    PositionInfo,
    RawPosition,
)
from protocol.errors import ProtocolCallError, ProtocolError
from protocol.messages import decode_body, encode_body
from protocol.oracle import FeedState, Oracle, PriceSource, PriceUse, SignedReport
from protocol.token import Token
from protocol.units import WAD, from_units, from_wad, to_units, to_wad
from protocol.vault import RequestStatus, Vault, VaultLedger, WithdrawalRequest

__all__ = [
    "CROSS",
    "WAD",
    "AdlConfig",
    "AmmConfig",
    "AmmPool",
    "AmmPoolConfig",
    "AssetConfig",
    "Backstop",
    "BackstopConfig",
    "BackstopTotals",
    "BucketHealth",
    "BucketState",
    "Catalog",
    "CollateralHolding",
    "CollateralInfo",
    "Deleverager",
    "DeleveragerTotals",
    "DelayedOracle",
    "EngineTotals",
    "FeeConfig",
    "FeedState",
    "FundBalance",
    "LiquidationConfig",
    "MarginEngine",
    "MarketConfig",
    "MarketState",
    "Observation",
    "Oracle",
    "PriceSource",
    "PriceUse",
    "OracleConfig",
    "PositionInfo",
    "ProtocolCallError",
    "ProtocolConfig",
    "ProtocolDeployment",
    "ProtocolError",
    "RateLimitConfig",
    "RawPosition",
    "RequestStatus",
    "Reserves",
    "SignedReport",
    "Token",
    "Vault",
    "VaultLedger",
    "WithdrawalRequest",
    "decode_body",
    "deploy_protocol",
    "encode_body",
    "from_units",
    "from_wad",
    "to_units",
    "to_wad",
]
