"""The EVM runtime: one :class:`Chain` per network and a :class:`ChainSet` for all of them."""

from chains.chain import Chain, DroppedTransaction, MinedBlock, ReorgReport
from chains.chain_set import ChainSet
from chains.compiler import COUNTER_SOURCE, Artifact, compile_contract
from chains.config import DEFAULT_WORLD, ChainConfig
from chains.transactions import TransactionReverted, confirm, deploy, revert_reason, transact
from chains.errors import (
    ChainStateError,
    CompileError,
    ConfigError,
    UnknownChainError,
    WrongChainIdError,
    XmarginError,
)

__all__ = [
    "Artifact",
    "COUNTER_SOURCE",
    "Chain",
    "ChainConfig",
    "ChainSet",
    "ChainStateError",
    "CompileError",
    "ConfigError",
    "DEFAULT_WORLD",
    "DroppedTransaction",
    "MinedBlock",
    "ReorgReport",
    "TransactionReverted",
    "UnknownChainError",
    "WrongChainIdError",
    "XmarginError",
    "compile_contract",
    "confirm",
    "deploy",
    "revert_reason",
    "transact",
]
