"""The EVM runtime: one :class:`Chain` per network and a :class:`ChainSet` for all of them."""

import os

# keccak through safe-pysha3 (C) rather than pycryptodome: a sixth of the cost, and the simulation hashes a lot.
# eth-hash picks its backend at the first hash, so this must run before anything hashes.
os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")

from chains.blocks import Block, Log, MinedBlock, Receipt
from chains.chain import Chain, DroppedTransaction, ReorgReport
from chains.chain_set import ChainSet
from chains.compiler import COUNTER_SOURCE, Artifact, compile_contract
from chains.config import DEFAULT_WORLD, ChainConfig
from chains.transactions import TransactionReverted, confirm, deploy, revert_reason, transact
from chains.errors import (
    ChainStateError,
    CompileError,
    ConfigError,
    TransactionRejected,
    UnknownChainError,
    WrongChainIdError,
    XmarginError,
)

__all__ = [
    "Artifact",
    "Block",
    "COUNTER_SOURCE",
    "Chain",
    "ChainConfig",
    "ChainSet",
    "ChainStateError",
    "CompileError",
    "ConfigError",
    "DEFAULT_WORLD",
    "DroppedTransaction",
    "Log",
    "MinedBlock",
    "Receipt",
    "ReorgReport",
    "TransactionRejected",
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
