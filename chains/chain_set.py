"""All the chains of one world, by name and by chain id."""

from __future__ import annotations

from typing import Any, Iterable, Iterator, Mapping

from chains.chain import Chain
from chains.config import DEFAULT_WORLD, ChainConfig, validate_chain_set
from chains.engines import REFERENCE_ENGINE, check_engine
from chains.errors import UnknownChainError


class ChainSet:
    def __init__(self, chains: Iterable[Chain]) -> None:
        chains = tuple(chains)
        validate_chain_set(c.config for c in chains)
        self._by_name = {c.name: c for c in chains}
        self._by_id = {c.chain_id: c for c in chains}

    @classmethod
    def from_configs(
        cls,
        configs: Iterable[ChainConfig | Mapping[str, Any]] = DEFAULT_WORLD,
        seed: int = 0,
        auto_mine: bool = False,
        extra_alloc: Mapping[str, int] | None = None,
        engine: str = REFERENCE_ENGINE,
    ) -> "ChainSet":
        """Build every chain on ``engine``; configs are validated as a set before any chain is created."""
        check_engine(engine)
        parsed = validate_chain_set(c if isinstance(c, ChainConfig) else ChainConfig.from_dict(c) for c in configs)
        return cls(Chain(cfg, seed=seed, auto_mine=auto_mine, extra_alloc=extra_alloc, engine=engine) for cfg in parsed)

    def __getitem__(self, name: str) -> Chain:
        try:
            return self._by_name[name]
        except KeyError:
            raise UnknownChainError(
                f"unknown chain {name!r}; configured chains: {', '.join(self._by_name)}"
            ) from None

    def by_id(self, chain_id: int) -> Chain:
        try:
            return self._by_id[chain_id]
        except KeyError:
            raise UnknownChainError(
                f"no chain with id {chain_id}; configured ids: {', '.join(map(str, self._by_id))}"
            ) from None

    def __iter__(self) -> Iterator[Chain]:
        return iter(self._by_name.values())

    def __len__(self) -> int:
        return len(self._by_name)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._by_name)

    def snapshot(self) -> dict[str, int]:
        return {c.name: c.snapshot() for c in self}

    def revert(self, snapshot: Mapping[str, int]) -> None:
        for name, snapshot_id in snapshot.items():
            self[name].revert(snapshot_id)
