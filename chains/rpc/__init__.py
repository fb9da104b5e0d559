"""Any chain as a standard Ethereum JSON-RPC endpoint over HTTP, for ethers.js, viem, web3.py, cast or a wallet.

``serve_chain(chain)`` starts a background server and returns it (``.url``, ``.stop()``,
a context manager); ``serve_chains(chain_set)`` serves every chain, one port each.
Requests hold the chain's lock (``chain_lock(chain)``), which any other thread that
touches the chain must hold too.
"""

from chains.rpc.errors import RpcError, RpcServerError
from chains.rpc.locks import chain_lock
from chains.rpc.methods import METHODS, ChainMethods
from chains.rpc.server import ChainServer, ChainServers, serve_chain, serve_chains

__all__ = [
    "METHODS",
    "ChainMethods",
    "ChainServer",
    "ChainServers",
    "RpcError",
    "RpcServerError",
    "chain_lock",
    "serve_chain",
    "serve_chains",
]
