"""The protocol's configuration: the ``[protocol]`` table of a scenario, validated.

``ProtocolConfig.from_dict({})`` gives the issue's defaults. Tables merge into the defaults:
``{"markets": {"ETH": {"maintenance_margin": 0.04}}}`` changes one field of one market;
a new name adds an asset or market (then the fields without a generic default are required);
``enabled = false`` removes a default entry. Token amounts are whole tokens (per vault
chain), ratios are fractions (0.05 is 5 %), times are seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any, Mapping

from chains.errors import ConfigError
from chains.schema import choice, integer, reject_unknown, table
from protocol.units import exact_decimal, scaled

MAX_ASSETS = 8  # one oracle feed per asset; the engine prices at most 8 feeds
MAX_MARKETS = 8
MAX_REPORTERS = 16
MAX_ORACLE_DELAY = 2**32 - 1  # the DelayedOracle's bound

DEFAULT_ASSETS: dict[str, dict[str, Any]] = {
    "USDC": {
        "symbol": "USDC",
        "decimals": 6,
        "haircut": 0,
        "deposit_cap": 50_000_000,
        "initial_price": 1,
        "pool_liquidity": 2_000_000,
        "insurance_liquidity": 250_000,
        "rate_limit": {"capacity": 5_000_000, "refill_per_second": 100},
    },
    "ETH": {
        "symbol": "WETH",
        "decimals": 18,
        "haircut": 0.10,
        "deposit_cap": 15_000,
        "initial_price": 3_000,
        "pool_liquidity": 500,
        "insurance_liquidity": 0,
        "rate_limit": {"capacity": 2_000, "refill_per_second": 0.02},
    },
    "BTC": {
        "symbol": "WBTC",
        "decimals": 8,
        "haircut": 0.15,
        "deposit_cap": 750,
        "initial_price": 60_000,
        "pool_liquidity": 25,
        "insurance_liquidity": 0,
        "rate_limit": {"capacity": 100, "refill_per_second": 0.001},
    },
}
GENERIC_ASSET: dict[str, Any] = {"haircut": 0, "pool_liquidity": 0, "insurance_liquidity": 0}

DEFAULT_MARKETS: dict[str, dict[str, Any]] = {
    "ETH": {"asset": "ETH", "oi_cap": 5_000, "skew_scale": 1_000_000},
    "BTC": {"asset": "BTC", "oi_cap": 250, "skew_scale": 50_000},
}
GENERIC_MARKET: dict[str, Any] = {
    "initial_margin": 0.05,  # dYdX v4's 20x markets
    "maintenance_margin": 0.03,
    "max_leverage": 20,
    "trading_fee": 0.0005,
    "max_funding_velocity": 9,  # Synthetix perps: funding rate change per day, per day, at full skew
}

DEFAULT_LIQUIDATION: dict[str, Any] = {
    "close_factor": 0.5,  # Aave v3.3
    "full_close_health": 0.95,
    "dust_notional": 2_000,
    "bonus": 0.025,
}
DEFAULT_ORACLE: dict[str, Any] = {
    "reporters": 5,
    "quorum": 3,
    "staleness": 60,
    "max_deviation": 0.05,
    "liquidation_staleness": 600,
    "close_staleness": None,  # how long a position-reducing trade may use the last valid price; None: staleness
    "delay": 0,  # seconds the engine's prices lag the aggregator's (a DelayedOracle between them); 0: none
}
DEFAULT_FEES: dict[str, Any] = {"treasury_share": 0.2}
DEFAULT_AMM: dict[str, Any] = {"enabled": True, "fee": 0.003, "quote": "USDC"}  # Uniswap v2's 0.3 %
DEFAULT_AMM_DEPTH = 1_000_000  # quote tokens (USDC) in each pool, per vault chain
MAX_AMM_FEE = Decimal("0.1")
DEFAULT_ADL: dict[str, Any] = {"mode": "adl"}
ADL_MODES = ("adl", "socialise")
DEFAULT_BACKSTOP: dict[str, Any] = {"capital": 0}

TOP_LEVEL = ("assets", "markets", "liquidation", "oracle", "fees", "amm", "adl", "backstop")


@dataclass(frozen=True)
class RateLimitConfig:
    """A token bucket per asset on each vault: what RELEASE and SEIZE may move (whole tokens)."""

    capacity: Decimal
    refill_per_second: Decimal


@dataclass(frozen=True)
class AssetConfig:
    """A collateral asset, listed on every vault chain; its name is also its oracle feed's name."""

    name: str
    symbol: str
    decimals: int
    haircut: Decimal
    deposit_cap: Decimal
    initial_price: Decimal
    pool_liquidity: Decimal
    insurance_liquidity: Decimal
    rate_limit: RateLimitConfig

    def units(self, whole_tokens: Decimal | int | float | str) -> int:
        """Whole tokens as this token's integer units."""
        return scaled(whole_tokens, self.decimals)


@dataclass(frozen=True)
class MarketConfig:
    name: str
    asset: str  # the asset whose oracle feed prices this market
    initial_margin: Decimal
    maintenance_margin: Decimal
    max_leverage: Decimal
    oi_cap: Decimal  # per side, in units of the base asset
    trading_fee: Decimal
    skew_scale: Decimal  # in units of the base asset
    max_funding_velocity: Decimal


@dataclass(frozen=True)
class LiquidationConfig:
    close_factor: Decimal
    full_close_health: Decimal  # below this health a liquidation closes everything
    dust_notional: Decimal  # USD; a position this small is closed entirely
    bonus: Decimal  # fraction of the closed notional paid to the liquidator


@dataclass(frozen=True)
class OracleConfig:
    reporters: int
    quorum: int
    staleness: int
    max_deviation: Decimal
    liquidation_staleness: int
    close_staleness: int  # between staleness and liquidation_staleness
    delay: int = 0  # the engine reads prices through a DelayedOracle this many seconds late (0: directly)


@dataclass(frozen=True)
class FeeConfig:
    treasury_share: Decimal  # share of trading fees paid to the treasury; the rest goes to the pool


@dataclass(frozen=True)
class AmmPoolConfig:
    asset: str  # the pool trades this asset against the quote asset
    depth: Decimal  # whole quote tokens seeded into the pool on each vault chain; the asset side at its initial price


@dataclass(frozen=True)
class AmmConfig:
    """Constant-product pools on every vault chain, one per asset against the quote asset (USDC)."""

    enabled: bool
    fee: Decimal  # fraction of the input, kept by the pool (Uniswap v2: 0.003)
    quote: str
    pools: tuple[AmmPoolConfig, ...]

    @property
    def fee_pips(self) -> int:
        """The fee in millionths, as the pool contract takes it."""
        return int(self.fee * 1_000_000)

    def pool(self, asset: str) -> AmmPoolConfig | None:
        return next((p for p in self.pools if p.asset == asset), None)


@dataclass(frozen=True)
class AdlConfig:
    mode: str  # "adl": auto-deleveraging after the insurance fund; "socialise": the counterparty pool absorbs it


@dataclass(frozen=True)
class BackstopConfig:
    capital: Decimal  # whole quote tokens deposited as the backstop's margin (0: it cannot take anything over)
    chain: str | None  # the vault chain holding that deposit (None: the first vault chain)


@dataclass(frozen=True)
class ProtocolConfig:
    assets: tuple[AssetConfig, ...]
    markets: tuple[MarketConfig, ...]
    liquidation: LiquidationConfig
    oracle: OracleConfig
    fees: FeeConfig
    amm: AmmConfig
    adl: AdlConfig
    backstop: BackstopConfig

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None = None, path: str = "protocol") -> "ProtocolConfig":
        """Validate a plain dict (a scenario's ``[protocol]`` table); raises ConfigError naming the key."""
        data = {} if data is None else data
        table(data, path)
        reject_unknown(data, TOP_LEVEL, path)
        assets = _parse_assets(data.get("assets", {}), f"{path}.assets")
        markets = _parse_markets(data.get("markets", {}), {a.name for a in assets}, f"{path}.markets")
        liquidation = _parse_liquidation(_merged(DEFAULT_LIQUIDATION, data.get("liquidation", {}), f"{path}.liquidation"), f"{path}.liquidation")
        oracle = _parse_oracle(_merged(DEFAULT_ORACLE, data.get("oracle", {}), f"{path}.oracle"), f"{path}.oracle")
        fees_data = _merged(DEFAULT_FEES, data.get("fees", {}), f"{path}.fees")
        fees = FeeConfig(treasury_share=_fraction(fees_data, "treasury_share", f"{path}.fees", upper_inclusive=True))
        amm = _parse_amm(data.get("amm", {}), assets, f"{path}.amm")
        adl_data = _merged(DEFAULT_ADL, data.get("adl", {}), f"{path}.adl")
        adl = AdlConfig(mode=choice(adl_data, "mode", f"{path}.adl", ADL_MODES))
        backstop = _parse_backstop(data.get("backstop", {}), assets, amm.quote, f"{path}.backstop")
        return cls(assets=assets, markets=markets, liquidation=liquidation, oracle=oracle, fees=fees, amm=amm,
                   adl=adl, backstop=backstop)

    @property
    def feeds(self) -> tuple[str, ...]:
        """Oracle feed names, indexed by feed id: one per asset, in order."""
        return tuple(a.name for a in self.assets)

    def asset(self, name: str) -> AssetConfig:
        for asset in self.assets:
            if asset.name == name:
                return asset
        raise ConfigError(f"unknown asset {name!r}; configured: {', '.join(self.feeds)}")

    def market(self, name: str) -> MarketConfig:
        for market in self.markets:
            if market.name == name:
                return market
        raise ConfigError(f"unknown market {name!r}; configured: {', '.join(m.name for m in self.markets)}")

    def to_dict(self) -> dict[str, Any]:
        """A plain dict (numbers as strings where exactness matters) that ``from_dict`` accepts."""

        def plain(obj: Any) -> Any:
            if isinstance(obj, Decimal):
                return str(obj)
            if hasattr(obj, "__dataclass_fields__"):
                return {f.name: plain(getattr(obj, f.name)) for f in fields(obj) if f.name != "name"}
            return obj

        amm: dict[str, Any] = {"enabled": self.amm.enabled, "fee": str(self.amm.fee), "quote": self.amm.quote}
        amm.update({asset.name: {"enabled": False} for asset in self.assets if asset.name != self.amm.quote})
        amm.update({pool.asset: {"depth": str(pool.depth)} for pool in self.amm.pools})
        backstop: dict[str, Any] = {"capital": str(self.backstop.capital)}
        if self.backstop.chain is not None:
            backstop["chain"] = self.backstop.chain
        return {
            "assets": {a.name: plain(a) for a in self.assets},
            "markets": {m.name: plain(m) for m in self.markets},
            "liquidation": plain(self.liquidation),
            "oracle": plain(self.oracle),
            "fees": plain(self.fees),
            "amm": amm,
            "adl": {"mode": self.adl.mode},
            "backstop": backstop,
        }


# -- parsing --------------------------------------------------------------------

ASSET_KEYS = (
    "enabled",
    "symbol",
    "decimals",
    "haircut",
    "deposit_cap",
    "initial_price",
    "pool_liquidity",
    "insurance_liquidity",
    "rate_limit",
)
MARKET_KEYS = (
    "enabled",
    "asset",
    "initial_margin",
    "maintenance_margin",
    "max_leverage",
    "oi_cap",
    "trading_fee",
    "skew_scale",
    "max_funding_velocity",
)


def _parse_assets(data: Any, path: str) -> tuple[AssetConfig, ...]:
    entries = _named_entries(data, DEFAULT_ASSETS, GENERIC_ASSET, ASSET_KEYS, path)
    if not entries:
        raise ConfigError(f"{path}: at least one asset must be configured")
    if len(entries) > MAX_ASSETS:
        raise ConfigError(f"{path}: at most {MAX_ASSETS} assets (one oracle feed each), got {len(entries)}")
    assets = []
    for name, entry in entries.items():
        where = f"{path}.{name}"
        decimals = integer(entry, "decimals", where, minimum=0, maximum=36)
        symbol = entry.get("symbol", name)
        if not isinstance(symbol, str) or not 0 < len(symbol) <= 16:
            raise ConfigError(f"{where}.symbol: must be a string of 1 to 16 characters, got {symbol!r}")
        rate_limit = entry.get("rate_limit")
        if rate_limit is None:
            raise ConfigError(f"{where}.rate_limit: missing (a table with capacity and refill_per_second)")
        table(rate_limit, f"{where}.rate_limit")
        reject_unknown(rate_limit, ("capacity", "refill_per_second"), f"{where}.rate_limit")
        assets.append(
            AssetConfig(
                name=name,
                symbol=symbol,
                decimals=decimals,
                haircut=_fraction(entry, "haircut", where),
                deposit_cap=_token_amount(entry, "deposit_cap", where, decimals),
                initial_price=_number(entry, "initial_price", where, positive=True),
                pool_liquidity=_token_amount(entry, "pool_liquidity", where, decimals),
                insurance_liquidity=_token_amount(entry, "insurance_liquidity", where, decimals),
                rate_limit=RateLimitConfig(
                    capacity=_token_amount(rate_limit, "capacity", f"{where}.rate_limit", decimals, positive=True),
                    refill_per_second=_token_amount(rate_limit, "refill_per_second", f"{where}.rate_limit", decimals),
                ),
            )
        )
    return tuple(assets)


def _parse_markets(data: Any, asset_names: set[str], path: str) -> tuple[MarketConfig, ...]:
    entries = _named_entries(data, DEFAULT_MARKETS, GENERIC_MARKET, MARKET_KEYS, path)
    if not entries:
        raise ConfigError(f"{path}: at least one market must be configured")
    if len(entries) > MAX_MARKETS:
        raise ConfigError(f"{path}: at most {MAX_MARKETS} markets, got {len(entries)}")
    markets = []
    for name, entry in entries.items():
        where = f"{path}.{name}"
        asset = entry.get("asset", name)
        if asset not in asset_names:
            raise ConfigError(
                f"{where}.asset: must name a configured asset ({', '.join(sorted(asset_names))}), got {asset!r}"
            )
        initial = _fraction(entry, "initial_margin", where, positive=True, upper_inclusive=True)
        maintenance = _fraction(entry, "maintenance_margin", where, positive=True)
        if maintenance >= initial:
            raise ConfigError(
                f"{where}.maintenance_margin: must be below initial_margin ({initial}), got {maintenance}"
            )
        markets.append(
            MarketConfig(
                name=name,
                asset=asset,
                initial_margin=initial,
                maintenance_margin=maintenance,
                max_leverage=_number(entry, "max_leverage", where, positive=True, high=Decimal(1000)),
                oi_cap=_number(entry, "oi_cap", where, positive=True, decimals=18),
                trading_fee=_fraction(entry, "trading_fee", where),
                skew_scale=_number(entry, "skew_scale", where, positive=True, decimals=18),
                max_funding_velocity=_number(entry, "max_funding_velocity", where, decimals=18),
            )
        )
    return tuple(markets)


def _parse_liquidation(entry: Mapping[str, Any], where: str) -> LiquidationConfig:
    return LiquidationConfig(
        close_factor=_fraction(entry, "close_factor", where, positive=True, upper_inclusive=True),
        full_close_health=_fraction(entry, "full_close_health", where, positive=True, upper_inclusive=True),
        dust_notional=_number(entry, "dust_notional", where, decimals=18),
        bonus=_fraction(entry, "bonus", where),
    )


def _parse_oracle(entry: Mapping[str, Any], where: str) -> OracleConfig:
    reporters = integer(entry, "reporters", where, minimum=1, maximum=MAX_REPORTERS)
    quorum = integer(entry, "quorum", where, minimum=1, maximum=reporters)
    staleness = integer(entry, "staleness", where, minimum=1)
    liquidation_staleness = integer(entry, "liquidation_staleness", where, minimum=1)
    if liquidation_staleness < staleness:
        raise ConfigError(
            f"{where}.liquidation_staleness: must be at least staleness ({staleness}), got {liquidation_staleness}"
        )
    close_staleness = staleness
    if entry.get("close_staleness") is not None:
        close_staleness = integer(entry, "close_staleness", where, minimum=1)
        if not staleness <= close_staleness <= liquidation_staleness:
            raise ConfigError(
                f"{where}.close_staleness: must be between staleness ({staleness}) and liquidation_staleness "
                f"({liquidation_staleness}), got {close_staleness}"
            )
    return OracleConfig(
        reporters=reporters,
        quorum=quorum,
        staleness=staleness,
        max_deviation=_fraction(entry, "max_deviation", where, positive=True),
        liquidation_staleness=liquidation_staleness,
        close_staleness=close_staleness,
        delay=integer(entry, "delay", where, minimum=0, maximum=MAX_ORACLE_DELAY),
    )


AMM_POOL_KEYS = ("enabled", "depth")


def _parse_amm(data: Any, assets: tuple[AssetConfig, ...], path: str) -> AmmConfig:
    """Settings (enabled, fee, quote) and one table per pooled asset (``ETH = { depth = 2_000_000 }``)."""
    table(data, path)
    names = {a.name: a for a in assets}
    settings = {k: v for k, v in data.items() if not isinstance(v, Mapping)}
    reject_unknown(settings, tuple(DEFAULT_AMM), path)
    merged = {**DEFAULT_AMM, **settings}
    enabled = merged["enabled"]
    if not isinstance(enabled, bool):
        raise ConfigError(f"{path}.enabled: must be true or false, got {enabled!r}")
    fee = _fraction(merged, "fee", path)
    if fee >= MAX_AMM_FEE:
        raise ConfigError(f"{path}.fee: must be below {MAX_AMM_FEE}, got {merged['fee']}")
    if fee * 1_000_000 != int(fee * 1_000_000):
        raise ConfigError(f"{path}.fee: more than 6 decimal places, got {merged['fee']}")
    quote = merged["quote"]
    entries = {k: v for k, v in data.items() if isinstance(v, Mapping)}
    if not enabled:
        return AmmConfig(enabled=False, fee=fee, quote=str(quote), pools=())
    if quote not in names:
        raise ConfigError(f"{path}.quote: must name a configured asset ({', '.join(sorted(names))}), got {quote!r}")
    for name in entries:
        if name not in names or name == quote:
            raise ConfigError(f"{path}.{name}: not a pooled asset (assets other than the quote {quote}: "
                              f"{', '.join(n for n in names if n != quote)})")
    pools = []
    for asset in assets:
        if asset.name == quote:
            continue
        where = f"{path}.{asset.name}"
        entry = dict(entries.get(asset.name, {}))
        reject_unknown(entry, AMM_POOL_KEYS, where)
        pool_enabled = entry.pop("enabled", True)
        if not isinstance(pool_enabled, bool):
            raise ConfigError(f"{where}.enabled: must be true or false, got {pool_enabled!r}")
        if pool_enabled:
            entry.setdefault("depth", DEFAULT_AMM_DEPTH)
            depth = _token_amount(entry, "depth", where, names[quote].decimals, positive=True)
            pools.append(AmmPoolConfig(asset=asset.name, depth=depth))
    return AmmConfig(enabled=True, fee=fee, quote=quote, pools=tuple(pools))


def _parse_backstop(data: Any, assets: tuple[AssetConfig, ...], quote: str, path: str) -> BackstopConfig:
    table(data, path)
    reject_unknown(data, ("capital", "chain"), path)
    merged = {**DEFAULT_BACKSTOP, **data}
    decimals = next((a.decimals for a in assets if a.name == quote), 6)
    capital = _token_amount(merged, "capital", path, decimals)
    if capital and quote not in {a.name for a in assets}:
        raise ConfigError(f"{path}.capital: the backstop's margin is in {quote}, which is not a configured asset")
    chain = merged.get("chain")
    if chain is not None and (not isinstance(chain, str) or not chain):
        raise ConfigError(f"{path}.chain: must be a vault chain's name, got {chain!r}")
    return BackstopConfig(capital=capital, chain=chain)


def _named_entries(
    data: Any, defaults: Mapping[str, Mapping[str, Any]], generic: Mapping[str, Any], keys: tuple[str, ...], path: str
) -> dict[str, dict[str, Any]]:
    """Defaults overlaid with ``data`` per name; ``enabled = false`` drops an entry."""
    table(data, path)
    merged: dict[str, dict[str, Any]] = {}
    for name in [*defaults, *(n for n in data if n not in defaults)]:
        if not isinstance(name, str) or not name or len(name) > 16 or not name.replace("_", "").replace("-", "").isalnum():
            raise ConfigError(f"{path}: names must be 1 to 16 letters, digits, '-' or '_', got {name!r}")
        override = data.get(name, {})
        table(override, f"{path}.{name}")
        reject_unknown(override, keys, f"{path}.{name}")
        entry = {**generic, **defaults.get(name, {}), **override}
        enabled = entry.pop("enabled", True)
        if not isinstance(enabled, bool):
            raise ConfigError(f"{path}.{name}.enabled: must be true or false, got {enabled!r}")
        if enabled:
            merged[name] = entry
    return merged


def _merged(defaults: Mapping[str, Any], data: Any, path: str) -> dict[str, Any]:
    table(data, path)
    reject_unknown(data, tuple(defaults), path)
    return {**defaults, **data}


def _present(entry: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in entry:
        raise ConfigError(f"{where}.{key}: missing")
    return entry[key]


def _number(
    entry: Mapping[str, Any],
    key: str,
    where: str,
    positive: bool = False,
    high: Decimal | None = None,
    decimals: int = 18,
) -> Decimal:
    raw = _present(entry, key, where)
    try:
        value = exact_decimal(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}.{key}: must be a number, got {raw!r}") from None
    if positive and value <= 0:
        raise ConfigError(f"{where}.{key}: must be positive, got {raw}")
    if value < 0:
        raise ConfigError(f"{where}.{key}: cannot be negative, got {raw}")
    if high is not None and value > high:
        raise ConfigError(f"{where}.{key}: must be at most {high}, got {raw}")
    try:
        scaled(value, decimals)
    except ValueError:
        raise ConfigError(f"{where}.{key}: more than {decimals} decimal places, got {raw}") from None
    return value


def _fraction(
    entry: Mapping[str, Any], key: str, where: str, positive: bool = False, upper_inclusive: bool = False
) -> Decimal:
    value = _number(entry, key, where, positive=positive)
    if value > 1 or (value == 1 and not upper_inclusive):
        bound = "at most 1" if upper_inclusive else "below 1"
        raise ConfigError(f"{where}.{key}: must be a fraction {bound}, got {entry[key]}")
    return value


def _token_amount(entry: Mapping[str, Any], key: str, where: str, decimals: int, positive: bool = False) -> Decimal:
    return _number(entry, key, where, positive=positive, decimals=decimals)
