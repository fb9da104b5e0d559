"""Configuration of the simulated agents: traders, keepers, oracle reporters, arbitrageurs and the backstop's operator."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from chains.errors import ConfigError
from chains.fees import MAX_GWEI, FeeStrategy, fee_strategy
from chains.schema import boolean, choice, integer, join, number, reject_unknown, table


def _weights(data: Mapping[str, Any], key: str, path: str, default: Mapping[str, float]) -> dict[str, float]:
    where = join(path, key)
    raw = data.get(key, default)
    raw = table(raw, where)
    weights = {name: number(raw, name, where, minimum=0) for name in raw}
    if not weights or sum(weights.values()) <= 0:
        raise ConfigError(f"{where}: needs at least one positive weight")
    return weights


@dataclass(frozen=True)
class TraderConfig:
    count: int = 10
    arrival_window: float = 600.0  # traders arrive uniformly within this many seconds
    cross_fraction: float = 0.7  # the rest trade isolated margin
    leverage_min: float = 2.0
    leverage_max: float = 12.0
    deposit_usd_min: float = 2_000.0
    deposit_usd_max: float = 20_000.0
    collateral: dict[str, float] = field(default_factory=lambda: {"USDC": 0.5, "ETH": 0.3, "BTC": 0.2})
    markets: dict[str, float] = field(default_factory=lambda: {"ETH": 0.6, "BTC": 0.4})
    positions: int = 1  # markets each trader holds a position in (its margin split evenly across them)
    long_fraction: float = 0.6
    check_interval: float = 60.0
    top_up_health: float = 1.25  # top up when maintenance health falls below this
    top_up_fraction: float = 0.5  # of the first deposit
    hold_min: float = 1_800.0
    hold_max: float = 14_400.0
    withdraw_after_close: bool = True
    fees: FeeStrategy = FeeStrategy()

    KEYS = (
        "count", "arrival_window", "cross_fraction", "leverage_min", "leverage_max", "deposit_usd_min",
        "deposit_usd_max", "collateral", "markets", "positions", "long_fraction", "check_interval", "top_up_health",
        "top_up_fraction", "hold_min", "hold_max", "withdraw_after_close", "fees",
    )

    @classmethod
    def from_dict(cls, data: Any, path: str) -> "TraderConfig":
        data = table(data, path)
        reject_unknown(data, cls.KEYS, path)
        d = cls()
        config = cls(
            count=integer(data, "count", path, d.count, minimum=0, maximum=5_000),
            arrival_window=number(data, "arrival_window", path, d.arrival_window, minimum=0),
            cross_fraction=number(data, "cross_fraction", path, d.cross_fraction, minimum=0, maximum=1),
            leverage_min=number(data, "leverage_min", path, d.leverage_min, minimum=1),
            leverage_max=number(data, "leverage_max", path, d.leverage_max, minimum=1),
            deposit_usd_min=number(data, "deposit_usd_min", path, d.deposit_usd_min, minimum=1),
            deposit_usd_max=number(data, "deposit_usd_max", path, d.deposit_usd_max, minimum=1),
            collateral=_weights(data, "collateral", path, d.collateral),
            markets=_weights(data, "markets", path, d.markets),
            positions=integer(data, "positions", path, d.positions, minimum=1, maximum=8),
            long_fraction=number(data, "long_fraction", path, d.long_fraction, minimum=0, maximum=1),
            check_interval=number(data, "check_interval", path, d.check_interval, minimum=1),
            top_up_health=number(data, "top_up_health", path, d.top_up_health, minimum=0),
            top_up_fraction=number(data, "top_up_fraction", path, d.top_up_fraction, minimum=0, maximum=10),
            hold_min=number(data, "hold_min", path, d.hold_min, minimum=0),
            hold_max=number(data, "hold_max", path, d.hold_max, minimum=0),
            withdraw_after_close=boolean(data, "withdraw_after_close", path, d.withdraw_after_close),
            fees=fee_strategy(data, "fees", path),
        )
        if config.positions > sum(1 for w in config.markets.values() if w > 0):
            raise ConfigError(f"{join(path, 'positions')}: {config.positions} positions need as many markets with a "
                              f"positive weight, markets has {sum(1 for w in config.markets.values() if w > 0)}")
        if config.leverage_max < config.leverage_min:
            raise ConfigError(f"{join(path, 'leverage_max')}: must be >= leverage_min ({config.leverage_min:g})")
        if config.deposit_usd_max < config.deposit_usd_min:
            raise ConfigError(f"{join(path, 'deposit_usd_max')}: must be >= deposit_usd_min ({config.deposit_usd_min:g})")
        if config.hold_max < config.hold_min:
            raise ConfigError(f"{join(path, 'hold_max')}: must be >= hold_min ({config.hold_min:g})")
        return config


INVENTORY_POLICIES = ("sell", "hold")


@dataclass(frozen=True)
class KeeperConfig:
    count: int = 2
    scan_interval: float = 30.0
    min_profit_usd: float = 1.0  # after gas: the gas it expects to use, at the price its fee strategy pays
    delay_tolerance: float = 600.0  # seconds of expected settlement delay at which willingness halves
    max_unsettled: int = 3  # liquidations whose bonus has not reached the vault chain yet, per keeper
    capital_usd: float = 250_000.0  # the most a keeper carries at once: bonuses in flight plus unsold inventory
    inventory: str = "sell"  # seized collateral: sell it on the vault chain's pool, or hold it
    max_slippage: float = 0.1  # a sale's average price, fee included, at most this far below the reference
    fees: FeeStrategy = FeeStrategy()

    KEYS = ("count", "scan_interval", "min_profit_usd", "delay_tolerance", "max_unsettled",
            "capital_usd", "inventory", "max_slippage", "fees")

    @classmethod
    def from_dict(cls, data: Any, path: str) -> "KeeperConfig":
        data = table(data, path)
        reject_unknown(data, cls.KEYS, path)
        d = cls()
        return cls(
            count=integer(data, "count", path, d.count, minimum=0, maximum=100),
            scan_interval=number(data, "scan_interval", path, d.scan_interval, minimum=1),
            min_profit_usd=number(data, "min_profit_usd", path, d.min_profit_usd, minimum=0),
            delay_tolerance=number(data, "delay_tolerance", path, d.delay_tolerance, above=0),
            max_unsettled=integer(data, "max_unsettled", path, d.max_unsettled, minimum=1, maximum=10_000),
            capital_usd=number(data, "capital_usd", path, d.capital_usd, minimum=0),
            inventory=choice(data, "inventory", path, INVENTORY_POLICIES, d.inventory),
            max_slippage=number(data, "max_slippage", path, d.max_slippage, minimum=0, maximum=1),
            fees=fee_strategy(data, "fees", path),
        )


@dataclass(frozen=True)
class ArbitrageurConfig:
    """Agents that trade the pools toward the reference price with their own USDC."""

    count: int = 1
    capital_usd: float = 250_000.0  # USDC each arbitrageur holds on every vault chain at the start (to buy)
    inventory_usd: float = 250_000.0  # and the worth of every pooled asset there (to sell)
    min_profit_usd: float = 5.0  # after gas
    latency: float = 6.0  # seconds from seeing a mispricing to sending the trade
    check_interval: float = 12.0
    fees: FeeStrategy = FeeStrategy()

    KEYS = ("count", "capital_usd", "inventory_usd", "min_profit_usd", "latency", "check_interval", "fees")

    @classmethod
    def from_dict(cls, data: Any, path: str) -> "ArbitrageurConfig":
        data = table(data, path)
        reject_unknown(data, cls.KEYS, path)
        d = cls()
        return cls(
            count=integer(data, "count", path, d.count, minimum=0, maximum=100),
            capital_usd=number(data, "capital_usd", path, d.capital_usd, minimum=0),
            inventory_usd=number(data, "inventory_usd", path, d.inventory_usd, minimum=0),
            min_profit_usd=number(data, "min_profit_usd", path, d.min_profit_usd, minimum=0),
            latency=number(data, "latency", path, d.latency, minimum=0),
            check_interval=number(data, "check_interval", path, d.check_interval, minimum=1),
            fees=fee_strategy(data, "fees", path),
        )


@dataclass(frozen=True)
class BackstopAgentConfig:
    """The protocol's operator of the backstop liquidator (it acts only when the backstop has capital)."""

    grace_period: float = 120.0  # seconds a bucket stays liquidatable with no keeper acting before a take-over
    fees: FeeStrategy = FeeStrategy()  # the protocol operator's (it also runs auto-deleveraging)

    KEYS = ("grace_period", "fees")

    @classmethod
    def from_dict(cls, data: Any, path: str) -> "BackstopAgentConfig":
        data = table(data, path)
        reject_unknown(data, cls.KEYS, path)
        return cls(grace_period=number(data, "grace_period", path, cls().grace_period, minimum=0),
                   fees=fee_strategy(data, "fees", path))


REPORTER_BEHAVIOURS = ("honest", "stale", "outlier", "manipulating")


@dataclass(frozen=True)
class ReporterBehaviour:
    reporter: int
    kind: str
    start: float = 0.0
    end: float = float("inf")
    factor: float = 1.0  # outlier: price x factor; manipulating: drifts to factor over the window

    KEYS = ("reporter", "kind", "start", "end", "factor")


POOL_SOURCES = ("all", "own")


@dataclass(frozen=True)
class ReporterConfig:
    interval: float = 30.0
    noise: float = 0.001  # relative standard deviation of an honest report
    behaviours: tuple[ReporterBehaviour, ...] = ()
    pool_weight: float = 0.0  # a quote is (1 - w) x the reference price + w x the pools' TWAP
    twap_window: float = 600.0  # seconds
    pool_sources: str = "all"  # "all": the median TWAP of every pool of the asset; "own": one pool per reporter
    fees: FeeStrategy = FeeStrategy()  # the round's leader's, for the signed reports and the delayed oracle's poke

    KEYS = ("interval", "noise", "behaviours", "pool_weight", "twap_window", "pool_sources", "fees")

    @classmethod
    def from_dict(cls, data: Any, path: str, reporters: int, duration: float = float("inf")) -> "ReporterConfig":
        data = table(data, path)
        reject_unknown(data, cls.KEYS, path)
        d = cls()
        behaviours = []
        raw = data.get("behaviours", [])
        if not isinstance(raw, list):
            raise ConfigError(f"{join(path, 'behaviours')}: must be a list of tables")
        for index, entry in enumerate(raw):
            where = join(join(path, "behaviours"), index)
            entry = table(entry, where)
            reject_unknown(entry, ReporterBehaviour.KEYS, where)
            behaviour = ReporterBehaviour(
                reporter=integer(entry, "reporter", where, minimum=0, maximum=reporters - 1),
                kind=choice(entry, "kind", where, REPORTER_BEHAVIOURS),
                start=number(entry, "start", where, 0.0, minimum=0),
                end=number(entry, "end", where, float("inf"), minimum=0),
                factor=number(entry, "factor", where, 1.0, above=0),
            )
            if behaviour.end <= behaviour.start:
                raise ConfigError(f"{join(where, 'end')}: must be after start ({behaviour.start:g})")
            behaviours.append(behaviour)
        twap_window = number(data, "twap_window", path, d.twap_window, above=0)
        pool_weight = number(data, "pool_weight", path, d.pool_weight, minimum=0, maximum=1)
        if twap_window > duration and ("twap_window" in data or pool_weight > 0):
            raise ConfigError(f"{join(path, 'twap_window')}: must not be longer than the run (duration {duration:g} s), "
                              f"got {twap_window:g}")
        return cls(
            interval=number(data, "interval", path, d.interval, minimum=1),
            noise=number(data, "noise", path, d.noise, minimum=0, maximum=0.5),
            behaviours=tuple(behaviours),
            pool_weight=pool_weight,
            twap_window=twap_window,
            pool_sources=choice(data, "pool_sources", path, POOL_SOURCES, d.pool_sources),
            fees=fee_strategy(data, "fees", path),
        )

    def behaviour_of(self, reporter: int, t: float) -> ReporterBehaviour | None:
        for behaviour in self.behaviours:
            if behaviour.reporter == reporter and behaviour.start <= t < behaviour.end:
                return behaviour
        return None


@dataclass(frozen=True)
class DemandWindow:
    """A stretch of time with another rate (a surge, or a lull) and fees scaled by ``fee_scale``."""

    start: float
    end: float
    rate: float
    fee_scale: float = 1.0

    KEYS = ("start", "end", "rate", "fee_scale")


@dataclass(frozen=True)
class DemandConfig:
    """Other users' transactions on one chain: they fill blocks and bid against the agents.

    Arrivals are Poisson at ``rate`` per second (a window's rate inside it); each transaction
    uses ``gas`` and bids a tip and a fee cap drawn from log-normal distributions around the
    medians (times the window's ``fee_scale``). A cap below the base fee waits in the pool, as a
    user who will not pay more does, until the base fee falls or the pool lets it go.
    """

    rate: float = 0.0  # transactions per second
    gas: int = 500_000  # each
    senders: int = 64  # accounts the demand comes from (each sends its transactions in nonce order)
    tip_gwei: float = 2.0  # median priority fee
    tip_sigma: float = 0.5  # its log-normal spread
    max_fee_gwei: float = 50.0  # median fee cap
    max_fee_sigma: float = 0.3
    windows: tuple[DemandWindow, ...] = ()

    KEYS = ("rate", "gas", "senders", "tip_gwei", "tip_sigma", "max_fee_gwei", "max_fee_sigma", "windows")

    @classmethod
    def from_dict(cls, data: Any, path: str, block_gas_limit: int) -> "DemandConfig":
        data = table(data, path)
        reject_unknown(data, cls.KEYS, path)
        d = cls()
        gas = integer(data, "gas", path, d.gas, minimum=21_000)
        if gas > block_gas_limit:
            raise ConfigError(f"{join(path, 'gas')}: {gas} is more than a block of this chain holds "
                              f"(block_gas_limit {block_gas_limit})")
        raw = data.get("windows", [])
        if not isinstance(raw, list):
            raise ConfigError(f"{join(path, 'windows')}: must be a list of tables")
        windows = []
        for index, entry in enumerate(raw):
            where = join(join(path, "windows"), index)
            entry = table(entry, where)
            reject_unknown(entry, DemandWindow.KEYS, where)
            window = DemandWindow(
                start=number(entry, "start", where, minimum=0),
                end=number(entry, "end", where, minimum=0),
                rate=number(entry, "rate", where, minimum=0),
                fee_scale=number(entry, "fee_scale", where, 1.0, above=0),
            )
            if window.end <= window.start:
                raise ConfigError(f"{join(where, 'end')}: must be after start ({window.start:g}), got {window.end:g}")
            windows.append(window)
        return cls(
            rate=number(data, "rate", path, d.rate, minimum=0),
            gas=gas,
            senders=integer(data, "senders", path, d.senders, minimum=1, maximum=4_096),
            tip_gwei=number(data, "tip_gwei", path, d.tip_gwei, minimum=0, maximum=MAX_GWEI),
            tip_sigma=number(data, "tip_sigma", path, d.tip_sigma, minimum=0, maximum=5),
            max_fee_gwei=number(data, "max_fee_gwei", path, d.max_fee_gwei, above=0, maximum=MAX_GWEI),
            max_fee_sigma=number(data, "max_fee_sigma", path, d.max_fee_sigma, minimum=0, maximum=5),
            windows=tuple(sorted(windows, key=lambda w: w.start)),
        )

    def at(self, t: float) -> tuple[float, float]:
        """The rate and the fee scale at ``t`` (the first window holding it, else the base rate)."""
        for window in self.windows:
            if window.start <= t < window.end:
                return window.rate, window.fee_scale
        return self.rate, 1.0
