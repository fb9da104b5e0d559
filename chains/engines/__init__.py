"""The EVMs behind :class:`chains.Chain`: py-evm (the reference) and revm (through pyrevm, the fast one)."""

from __future__ import annotations

from typing import Mapping

from chains.engines.base import Engine, EngineError
from chains.errors import ConfigError

ENGINES = ("pyevm", "revm")
REFERENCE_ENGINE = "pyevm"
FASTEST_ENGINE = "revm"


class UnknownEngineError(ConfigError):
    """An engine name that is not one of :data:`ENGINES`, or one whose library is not installed."""


def engine_available(name: str) -> bool:
    if name == "revm":
        from chains.engines import revm

        return revm.pyrevm is not None
    return name in ENGINES


def check_engine(name: str) -> str:
    """``name`` if it can run here; otherwise a one-line :class:`UnknownEngineError`."""
    if name not in ENGINES:
        raise UnknownEngineError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")
    if not engine_available(name):
        raise UnknownEngineError(f"the {name} engine needs pyrevm, which is not installed (pip install pyrevm)")
    return name


def default_engine() -> str:
    """The engine runs use unless told otherwise: the fastest one installed (the differential test holds them equal)."""
    return FASTEST_ENGINE if engine_available(FASTEST_ENGINE) else REFERENCE_ENGINE


def create_engine(name: str, chain_id: int, genesis: Mapping[bytes, int], block_gas_limit: int) -> Engine:
    check_engine(name)
    if name == "revm":
        from chains.engines.revm import RevmEngine

        return RevmEngine(chain_id, genesis, block_gas_limit)
    from chains.engines.pyevm import PyEvmEngine

    return PyEvmEngine(chain_id, genesis, block_gas_limit)


__all__ = ["ENGINES", "Engine", "EngineError", "FASTEST_ENGINE", "REFERENCE_ENGINE", "UnknownEngineError",
           "check_engine", "create_engine", "default_engine", "engine_available"]
