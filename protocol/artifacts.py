"""The protocol's compiled contracts (Vyper sources ship in ``protocol/contracts``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from chains.compiler import Artifact, compile_contract

CONTRACTS_DIR = Path(__file__).resolve().parent / "contracts"
CONTRACT_NAMES = (
    "TestToken", "CollateralVault", "OracleAggregator", "DelayedOracle", "MarginEngine", "MarginReader", "AmmPool", "Deleverager",
    "Backstop",
)


@lru_cache(maxsize=None)
def artifact(name: str) -> Artifact:
    """Compile (or load from the artifact cache) one of :data:`CONTRACT_NAMES`."""
    if name not in CONTRACT_NAMES:
        raise ValueError(f"unknown protocol contract {name!r}; expected one of {', '.join(CONTRACT_NAMES)}")
    return compile_contract(CONTRACTS_DIR / f"{name}.vy")
