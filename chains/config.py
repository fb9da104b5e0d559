"""Plain configuration for chains, validated before anything is built."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from chains.errors import ConfigError

DEFAULT_GENESIS_TIMESTAMP = 1_700_000_000
DEFAULT_ACCOUNTS = 10
DEFAULT_BALANCE_ETH = 10_000
DEFAULT_BLOCK_GAS_LIMIT = 30_000_000
DEFAULT_MEMPOOL_LIFETIME = 3 * 3600  # seconds a transaction may wait in the pool (geth's default)
DEFAULT_MEMPOOL_SIZE = 5_120  # geth's 4,096 executable + 1,024 queued slots
MIN_BLOCK_GAS_LIMIT = 21_000  # one plain transfer
DEFAULT_GAS = 8_000_000  # a deployment's or helper transaction's gas; a scenario's blocks must hold it


@dataclass(frozen=True)
class ChainConfig:
    name: str
    chain_id: int
    block_time: int = 1
    finality_depth: int = 1
    accounts: int = DEFAULT_ACCOUNTS
    balance_eth: int = DEFAULT_BALANCE_ETH
    genesis_timestamp: int = DEFAULT_GENESIS_TIMESTAMP
    block_gas_limit: int = DEFAULT_BLOCK_GAS_LIMIT
    mempool_lifetime: int = DEFAULT_MEMPOOL_LIFETIME
    mempool_size: int = DEFAULT_MEMPOOL_SIZE  # transactions the pool holds; then the cheapest is evicted

    def __post_init__(self) -> None:
        where = f"chain {self.name!r}"
        if not isinstance(self.name, str) or not self.name.strip():
            raise ConfigError("a chain needs a non-empty name")
        _require_int(self.chain_id, f"{where}: chain_id")
        if self.chain_id <= 0:
            raise ConfigError(f"{where}: chain_id must be a positive integer, got {self.chain_id}")
        if self.chain_id >= 2**64:
            raise ConfigError(f"{where}: chain_id must be below 2**64, got {self.chain_id}")
        _require_int(self.block_time, f"{where}: block_time (whole seconds)")
        if self.block_time <= 0:
            raise ConfigError(f"{where}: block_time must be positive, got {self.block_time}")
        _require_int(self.finality_depth, f"{where}: finality_depth")
        if self.finality_depth < 0:
            raise ConfigError(f"{where}: finality_depth cannot be negative, got {self.finality_depth}")
        _require_int(self.accounts, f"{where}: accounts")
        if not 0 <= self.accounts <= 10_000:
            raise ConfigError(f"{where}: accounts must be between 0 and 10000, got {self.accounts}")
        _require_int(self.balance_eth, f"{where}: balance_eth")
        if self.balance_eth < 0:
            raise ConfigError(f"{where}: balance_eth cannot be negative, got {self.balance_eth}")
        _require_int(self.genesis_timestamp, f"{where}: genesis_timestamp")
        if self.genesis_timestamp < 0:
            raise ConfigError(f"{where}: genesis_timestamp cannot be negative")
        _require_int(self.block_gas_limit, f"{where}: block_gas_limit")
        if not MIN_BLOCK_GAS_LIMIT <= self.block_gas_limit < 2**63:
            raise ConfigError(
                f"{where}: block_gas_limit must hold at least one transaction's intrinsic gas "
                f"({MIN_BLOCK_GAS_LIMIT}), got {self.block_gas_limit}"
            )
        _require_int(self.mempool_lifetime, f"{where}: mempool_lifetime (seconds)")
        if self.mempool_lifetime <= 0:
            raise ConfigError(f"{where}: mempool_lifetime must be positive, got {self.mempool_lifetime}")
        _require_int(self.mempool_size, f"{where}: mempool_size (transactions)")
        if not 1 <= self.mempool_size <= 10_000_000:
            raise ConfigError(f"{where}: mempool_size must be between 1 and 10000000, got {self.mempool_size}")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "ChainConfig":
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(
                f"chain {data.get('name', '?')!r}: unknown key(s) {', '.join(unknown)}; "
                f"expected some of {', '.join(sorted(known))}"
            )
        missing = [k for k in ("name", "chain_id") if k not in data]
        if missing:
            raise ConfigError(f"chain config is missing {', '.join(missing)}")
        return cls(**data)


def _require_int(value: Any, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{what} must be an integer, got {value!r}")


def validate_chain_set(configs: Iterable[ChainConfig]) -> tuple[ChainConfig, ...]:
    """Check that names and chain ids are unique across the set."""
    configs = tuple(configs)
    if not configs:
        raise ConfigError("at least one chain must be configured")
    seen_names: dict[str, ChainConfig] = {}
    seen_ids: dict[int, ChainConfig] = {}
    for cfg in configs:
        if cfg.name in seen_names:
            raise ConfigError(f"duplicate chain name {cfg.name!r}")
        if cfg.chain_id in seen_ids:
            raise ConfigError(
                f"duplicate chain id {cfg.chain_id}: used by {seen_ids[cfg.chain_id].name!r} and {cfg.name!r}"
            )
        seen_names[cfg.name] = cfg
        seen_ids[cfg.chain_id] = cfg
    return configs


DEFAULT_WORLD: tuple[ChainConfig, ...] = (
    ChainConfig(name="vault-l1", chain_id=31_001, block_time=12, finality_depth=2),
    ChainConfig(name="vault-l2", chain_id=31_002, block_time=2, finality_depth=1),
    ChainConfig(name="perp", chain_id=31_337, block_time=1, finality_depth=1),
)


def parse_chain_tables(entries: Any, path: str = "chains") -> tuple[ChainConfig, ...]:
    """A list of ``[[chains]]`` tables as a validated set; errors name the table (``chains[1]: ...``)."""
    if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) for e in entries):
        raise ConfigError(f"{path}: expected one or more [[chains]] tables")
    configs = []
    for position, entry in enumerate(entries):
        try:
            configs.append(ChainConfig.from_dict(entry))
        except ConfigError as exc:
            raise ConfigError(f"{path}[{position}]: {exc}") from None
    try:
        return validate_chain_set(configs)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def load_chain_configs(path: str) -> tuple[ChainConfig, ...]:
    """Chains from a TOML file with one ``[[chains]]`` table per chain."""
    import tomllib

    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"chain config file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    try:
        return parse_chain_tables(data.get("chains"))
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
