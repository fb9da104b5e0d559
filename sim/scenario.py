"""Scenarios: TOML files describing a whole run, validated before anything is built.

A scenario names its chains, the protocol's assets and markets (the ``[protocol]``
table, validated by :mod:`protocol`), the bridge and its faults (``[bridge]``,
validated by :mod:`bridge`), price paths, agent populations, extra faults, the
duration and the seed. Built-in scenarios ship in ``sim/scenarios/``; any value can
be overridden with ``--set key.path=value``. Every error names the file and the key
path and nothing is built.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable, Mapping

from bridge import BridgeConfig
from chains.config import DEFAULT_GAS as DEPLOY_GAS, DEFAULT_WORLD, ChainConfig, parse_chain_tables
from chains.errors import ConfigError
from chains.schema import boolean, choice, integer, join, number, reject_unknown, string, table
from protocol import ProtocolConfig
from sim.agents_config import (
    ArbitrageurConfig, BackstopAgentConfig, DemandConfig, KeeperConfig, ReporterConfig, TraderConfig,
)
from sim.overrides import apply_overrides
from sim.prices import PriceModel
from sim.reference import MarketSettings

SCENARIO_DIR = Path(__file__).parent / "scenarios"
TOP_LEVEL_KEYS = (
    "extends", "name", "description", "seed", "duration", "chains", "perp_chain", "vault_chains",
    "prices", "protocol", "bridge", "agents", "faults", "metrics", "market", "sweep", "demand",
)


@dataclass(frozen=True)
class Reorg:
    chain: str
    at: float
    depth: int
    double_spend: bool = False  # the new branch leaves out the deposits of the dropped blocks (an attacker's branch)


FORGERY_KINDS = ("margin_locked", "release")


@dataclass(frozen=True)
class Forgery:
    """The compromise fault at work, signed by compromised validators.

    ``margin_locked``: a deposit no vault sent, crediting margin to the attacker on the
    perp chain. ``release``: the attacker asks the vault for a withdrawal and forges the
    engine's RELEASE of it, paid out of the vault's pool (what the rate limit bounds).
    """

    at: float
    chain: str  # the vault chain it pretends to come from (margin_locked) or robs (release)
    asset: str
    amount: float  # whole tokens
    kind: str = "margin_locked"


@dataclass(frozen=True)
class SweepDefaults:
    """A scenario's ``[sweep]`` table: ``params = {"bridge.latency.mean" = [10, 600]}``, ``seeds = 8``."""

    params: tuple[tuple[str, tuple[Any, ...]], ...]
    seeds: int | None


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    seed: int
    duration: float
    chains: tuple[ChainConfig, ...]
    perp_chain: str
    vault_chains: tuple[str, ...]
    prices: dict[str, PriceModel]
    protocol: ProtocolConfig
    bridge: BridgeConfig
    traders: TraderConfig
    keepers: KeeperConfig
    reporters: ReporterConfig
    arbitrageurs: ArbitrageurConfig = field(default_factory=ArbitrageurConfig)
    backstop: BackstopAgentConfig = field(default_factory=BackstopAgentConfig)
    demand: dict[str, DemandConfig] = field(default_factory=dict)  # chain -> its background load
    market: MarketSettings = field(default_factory=MarketSettings)
    reorgs: tuple[Reorg, ...] = ()
    forgeries: tuple[Forgery, ...] = ()
    sample_interval: float = 300.0
    invariant_interval: float = 60.0
    wave_gap: float = 300.0  # seconds without a liquidation that separate two waves
    sweep: "SweepDefaults | None" = None  # what `xmargin sweep` runs when given no --param / --seeds
    source: str = ""
    overrides: tuple[str, ...] = ()  # the --set KEY=VALUE strings it was loaded with
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)  # the tables as validated


def builtin_scenarios() -> dict[str, Path]:
    return {path.stem: path for path in sorted(SCENARIO_DIR.glob("*.toml"))}


def resolve(name_or_path: str) -> Path:
    builtins = builtin_scenarios()
    if name_or_path in builtins:
        return builtins[name_or_path]
    path = Path(name_or_path)
    if path.is_file():
        return path
    raise ConfigError(
        f"no scenario {name_or_path!r}: not a built-in ({', '.join(builtins)}) and not a file"
    )


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None


def deep_merge(base: Mapping[str, Any], child: Mapping[str, Any]) -> dict[str, Any]:
    """``child`` over ``base``: tables merge key by key, anything else is replaced."""
    merged = dict(base)
    for key, value in child.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def read_scenario_file(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """A scenario file with its ``extends`` chain resolved (a built-in name or a path relative to the file)."""
    if path.resolve() in seen:
        raise ConfigError(f"{path.name}: extends itself through {' -> '.join(p.name for p in seen)}")
    data = read_toml(path)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise ConfigError(f"{path.name}: extends: must be a scenario name or a file path")
    candidate = path.parent / parent
    base_path = candidate if candidate.is_file() else resolve(parent)
    return deep_merge(read_scenario_file(base_path, (*seen, path.resolve())), data)


def load_scenario(name_or_path: str, overrides: Iterable[str] = (), seed: int | None = None) -> Scenario:
    """Read (following ``extends``), override and validate a scenario; errors are prefixed with the file's name."""
    path = resolve(name_or_path)
    overrides = tuple(overrides)
    data = apply_overrides(read_scenario_file(path), overrides)
    if seed is not None:
        data["seed"] = seed
    try:
        return replace(parse_scenario(data, str(path)), overrides=overrides)
    except ConfigError as exc:
        raise ConfigError(f"{path.name}: {exc}") from None


def parse_scenario(data: Mapping[str, Any], source: str = "") -> Scenario:
    data = table(data, "scenario")
    reject_unknown(data, TOP_LEVEL_KEYS, "")
    chains = _chains(data)
    names = [c.name for c in chains]
    perp_chain = string(data, "perp_chain", "", default="perp")
    if perp_chain not in names:
        raise ConfigError(f"perp_chain: {perp_chain!r} is not one of the chains ({', '.join(names)})")
    vault_chains = _vault_chains(data, names, perp_chain)
    protocol = ProtocolConfig.from_dict(data.get("protocol", {}))
    bridge = BridgeConfig.from_dict(data.get("bridge", {}))
    agents = table(data.get("agents", {}), "agents")
    reject_unknown(agents, ("traders", "keepers", "reporters", "arbitrageurs", "backstop"), "agents")
    metrics = table(data.get("metrics", {}), "metrics")
    reject_unknown(metrics, ("sample_interval", "invariant_interval", "wave_gap"), "metrics")
    duration = number(data, "duration", "", above=0)
    if protocol.backstop.chain is not None and protocol.backstop.chain not in vault_chains:
        raise ConfigError(f"protocol.backstop.chain: {protocol.backstop.chain!r} is not a vault chain "
                          f"({', '.join(vault_chains)})")
    _check_oracle_delay(protocol, duration)
    return Scenario(
        name=string(data, "name", "", default=Path(source).stem if source else "scenario"),
        description=string(data, "description", "", default=""),
        seed=integer(data, "seed", "", default=0, minimum=0, maximum=2**63 - 1),
        duration=duration,
        chains=chains,
        perp_chain=perp_chain,
        vault_chains=vault_chains,
        prices=_prices(data, protocol),
        protocol=protocol,
        bridge=bridge,
        traders=TraderConfig.from_dict(agents.get("traders", {}), "agents.traders"),
        keepers=KeeperConfig.from_dict(agents.get("keepers", {}), "agents.keepers"),
        reporters=ReporterConfig.from_dict(
            agents.get("reporters", {}), "agents.reporters", reporters=protocol.oracle.reporters, duration=duration
        ),
        arbitrageurs=ArbitrageurConfig.from_dict(agents.get("arbitrageurs", {}), "agents.arbitrageurs"),
        backstop=BackstopAgentConfig.from_dict(agents.get("backstop", {}), "agents.backstop"),
        demand=_demand(data, chains),
        market=MarketSettings.from_dict(data.get("market", {}), "market", protocol.feeds),
        reorgs=_reorgs(data, names, duration),
        forgeries=_forgeries(data, vault_chains, protocol, bridge, duration),
        sample_interval=number(metrics, "sample_interval", "metrics", default=300.0, minimum=1),
        invariant_interval=number(metrics, "invariant_interval", "metrics", default=60.0, minimum=1),
        sweep=_sweep_defaults(data),
        wave_gap=number(metrics, "wave_gap", "metrics", default=300.0, above=0),
        source=source,
        raw=dict(data),
    )


def _demand(data: Mapping[str, Any], chains: tuple[ChainConfig, ...]) -> dict[str, DemandConfig]:
    """``[demand.CHAIN]`` tables: background load per chain."""
    demand = table(data.get("demand", {}), "demand")
    by_name = {chain.name: chain for chain in chains}
    out = {}
    for name, entry in demand.items():
        if name not in by_name:
            raise ConfigError(f"demand.{name}: not one of the chains ({', '.join(by_name)})")
        out[name] = DemandConfig.from_dict(entry, f"demand.{name}", by_name[name].block_gas_limit)
    return out


def _check_oracle_delay(protocol: ProtocolConfig, duration: float) -> None:
    """A delay as long as the run would publish no price but the initial one: surely a mistake."""
    if protocol.oracle.delay >= duration:
        raise ConfigError(
            f"protocol.oracle.delay: {protocol.oracle.delay} s is not shorter than the run (duration = {duration:g} s): "
            f"the engine would act on the initial prices throughout"
        )


def _sweep_defaults(data: Mapping[str, Any]) -> SweepDefaults | None:
    if "sweep" not in data:
        return None
    sweep = table(data["sweep"], "sweep")
    reject_unknown(sweep, ("params", "seeds"), "sweep")
    params = table(sweep.get("params", {}), "sweep.params")
    for key, values in params.items():
        if not isinstance(values, list) or not values:
            raise ConfigError(f"sweep.params.{key}: must be a non-empty list of values")
    seeds = integer(sweep, "seeds", "sweep", default=None, minimum=1, maximum=100_000) if "seeds" in sweep else None
    return SweepDefaults(tuple((key, tuple(values)) for key, values in params.items()), seeds)


def _chains(data: Mapping[str, Any]) -> tuple[ChainConfig, ...]:
    entries = data.get("chains")
    if entries is None:
        return DEFAULT_WORLD
    chains = parse_chain_tables(entries)
    for index, chain in enumerate(chains):  # a run deploys the bridge and the protocol on every chain
        if chain.block_gas_limit < DEPLOY_GAS:
            raise ConfigError(f"chains[{index}].block_gas_limit: {chain.block_gas_limit} cannot hold the deployment of "
                              f"the bridge and the protocol (each contract creation is sent with {DEPLOY_GAS} gas)")
    return chains


def _vault_chains(data: Mapping[str, Any], names: list[str], perp_chain: str) -> tuple[str, ...]:
    default = [name for name in names if name != perp_chain]
    value = data.get("vault_chains", default)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ConfigError("vault_chains: must be a non-empty list of chain names")
    for name in value:
        if name not in names:
            raise ConfigError(f"vault_chains: {name!r} is not one of the chains ({', '.join(names)})")
        if name == perp_chain:
            raise ConfigError(f"vault_chains: {name!r} is the perp chain")
    if len(set(value)) != len(value):
        raise ConfigError("vault_chains: a chain is listed twice")
    return tuple(value)


def _prices(data: Mapping[str, Any], protocol: ProtocolConfig) -> dict[str, PriceModel]:
    """One path per oracle feed; a feed without a ``[prices.X]`` table keeps its initial price."""
    prices = table(data.get("prices", {}), "prices")
    feeds = protocol.feeds
    reject_unknown(prices, feeds, "prices")
    models = {}
    for feed in feeds:
        path = join("prices", feed)
        entry = dict(table(prices.get(feed, {"volatility": 0.0}), path))
        entry.setdefault("initial", float(protocol.asset(feed).initial_price))
        models[feed] = PriceModel.from_dict(entry, path)
    return models


def _reorgs(data: Mapping[str, Any], names: list[str], duration: float) -> tuple[Reorg, ...]:
    faults = table(data.get("faults", {}), "faults")
    reject_unknown(faults, ("reorgs", "forgeries"), "faults")
    entries = faults.get("reorgs", [])
    if not isinstance(entries, list):
        raise ConfigError("faults.reorgs: must be a list of tables")
    reorgs = []
    for index, entry in enumerate(entries):
        path = join("faults.reorgs", index)
        entry = table(entry, path)
        reject_unknown(entry, ("chain", "at", "depth", "double_spend"), path)
        chain = string(entry, "chain", path)
        if chain not in names:
            raise ConfigError(f"{join(path, 'chain')}: {chain!r} is not one of the chains ({', '.join(names)})")
        reorgs.append(Reorg(
            chain,
            number(entry, "at", path, minimum=0, maximum=duration),
            integer(entry, "depth", path, minimum=1, maximum=64),
            boolean(entry, "double_spend", path, False),
        ))
    return tuple(sorted(reorgs, key=lambda r: (r.at, r.chain)))


def _forgeries(
    data: Mapping[str, Any], vault_chains: tuple[str, ...], protocol: ProtocolConfig, bridge: BridgeConfig, duration: float
) -> tuple[Forgery, ...]:
    entries = table(data.get("faults", {}), "faults").get("forgeries", [])
    if not isinstance(entries, list):
        raise ConfigError("faults.forgeries: must be a list of tables")
    if entries and len(bridge.validators.compromised) < bridge.validators.threshold:
        raise ConfigError(
            f"faults.forgeries: needs at least bridge.validators.threshold ({bridge.validators.threshold}) "
            f"compromised validators, the bridge has {len(bridge.validators.compromised)}"
        )
    forgeries = []
    for index, entry in enumerate(entries):
        path = join("faults.forgeries", index)
        entry = table(entry, path)
        reject_unknown(entry, ("at", "chain", "asset", "amount", "kind"), path)
        chain = string(entry, "chain", path, default=vault_chains[0])
        if chain not in vault_chains:
            raise ConfigError(f"{join(path, 'chain')}: {chain!r} is not a vault chain ({', '.join(vault_chains)})")
        asset = string(entry, "asset", path, default=protocol.feeds[0])
        if asset not in protocol.feeds:
            raise ConfigError(f"{join(path, 'asset')}: unknown asset {asset!r}; configured: {', '.join(protocol.feeds)}")
        forgeries.append(Forgery(
            at=number(entry, "at", path, minimum=0, maximum=duration),
            chain=chain,
            asset=asset,
            amount=number(entry, "amount", path, above=0),
            kind=choice(entry, "kind", path, FORGERY_KINDS, "margin_locked"),
        ))
    return tuple(forgeries)
