"""The EVM runtime: one :class:`Chain` per network and a :class:`ChainSet` for all of them."""

import os

# keccak through safe-pysha3 (C) rather than pycryptodome: a sixth of the cost, and the simulation hashes a lot.
# eth-hash picks its backend at the first hash, so this must run before anything hashes.
os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")

import lazy_loader

# Names load on first use (lazy_loader), so a command that needs little (`xmargin --help`,
# `trace`, `compare`) does not import py-evm, web3 and matplotlib.
__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "blocks": ["Block", "Log", "MinedBlock", "Receipt"],
        "chain": ["Chain", "DroppedTransaction", "ReorgReport"],
        "chain_set": ["ChainSet"],
        "compiler": ["COUNTER_SOURCE", "Artifact", "compile_contract"],
        "config": ["DEFAULT_WORLD", "ChainConfig"],
        "transactions": ["TransactionReverted", "confirm", "deploy", "revert_reason", "transact"],
        "errors": [
            "ChainStateError", "CompileError", "ConfigError", "TransactionRejected", "UnknownChainError",
            "WrongChainIdError", "XmarginError",
        ],
    },
)
