"""What ``xmargin up`` is serving, as one JSON document for scripts (and the source of what it prints).

Layout (``version`` 1)::

    {"version": 1, "world": "default", "seed": 0, "instant": false, "block_time_scale": 1.0,
     "data_dir": "...", "perp_chain": "perp", "vault_chains": ["vault-l1", "vault-l2"],
     "chains": {"perp": {"chain_id": 31337, "url": "http://127.0.0.1:8547", "port": 8547,
                         "block_time": 1, "finality_depth": 1, "genesis_timestamp": ...,
                         "deployer": "0x...",
                         "accounts": [{"address": "0x...", "private_key": "0x..."}, ...],
                         "contracts": {"mailbox": "0x...", "engine": "0x...", "reader": "0x...",
                                       "oracle": "0x...", "deleverager": "0x...", "backstop": "0x...",
                                       "delayed_oracle": "0x..." (with an oracle delay)}},
                "vault-l1": {..., "contracts": {"mailbox": "0x...", "vault": "0x...",
                                                "tokens": {"USDC": "0x...", ...},
                                                "pools": {"ETH": "0x...", ...}}}},   # each against amm.quote
     "accounts": [{"address": "0x...", "private_key": "0x..."}, ...],   # funded on every chain
     "token_grant": {"USDC": "1000000", ...},   # whole tokens each account holds on each vault chain
     "assets": {"USDC": {"symbol": "USDC", "decimals": 6}, ...}, "markets": ["ETH-PERP", ...],
     "amm": {"quote": "USDC", "fee": "0.003"},
     "oracle": {"feeds": ["USDC", ...], "reporters": [{"address": ..., "private_key": ...}]},
     "bridge": {"validators": [...], "threshold": 3, "relayers": [...], "modes": {...}},
     "abis": {"Mailbox": [...], "CollateralVault": [...], "MarginEngine": [...], "MarginReader": [...],
              "OracleAggregator": [...], "TestToken": [...], "AmmPool": [...], "Deleverager": [...],
              "Backstop": [...], "DelayedOracle": [...]}}

Private keys are of throwaway test accounts, printed by ``up`` as Anvil prints its own.
"""

from __future__ import annotations

import json
import os
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any, Mapping

from eth_account.signers.local import LocalAccount

from bridge import BridgeDeployment
from bridge import artifact as bridge_artifact
from chains import ChainSet
from protocol import ProtocolDeployment
from protocol.artifacts import artifact as protocol_artifact
from sim.world_spec import WorldSpec

VERSION = 1
FILE_MODE = 0o644
PROTOCOL_ABIS = (
    "CollateralVault", "MarginEngine", "MarginReader", "OracleAggregator", "TestToken", "AmmPool", "Deleverager", "Backstop",
    "DelayedOracle",
)


def _key(account: LocalAccount) -> dict[str, str]:
    return {"address": account.address, "private_key": account.key.to_0x_hex()}


def _contracts(name: str, protocol: ProtocolDeployment, bridge: BridgeDeployment) -> dict[str, Any]:
    contracts: dict[str, Any] = {"mailbox": bridge.mailbox_address(name)}
    if name == protocol.perp_chain:
        contracts.update(
            engine=protocol.engine.address, reader=protocol.engine.reader.address, oracle=protocol.oracle.address,
            deleverager=protocol.deleverager.address, backstop=protocol.backstop.address,
        )
        if protocol.delayed_oracle is not None:
            contracts["delayed_oracle"] = protocol.delayed_oracle.address
    if name in protocol.vault_chains:
        contracts["vault"] = protocol.vault(name).address
        contracts["tokens"] = {asset: token.address for asset, token in protocol.tokens[name].items()}
        contracts["pools"] = {asset: pool.address for asset, pool in protocol.pools.get(name, {}).items()}
    return contracts


def build_manifest(
    spec: WorldSpec,
    chains: ChainSet,
    urls: Mapping[str, str],
    protocol: ProtocolDeployment,
    bridge: BridgeDeployment,
    accounts: tuple[LocalAccount, ...],
    grant: Mapping[str, Decimal],
    instant: bool,
    block_time_scale: float,
    data_dir: Path,
) -> dict[str, Any]:
    """The document for a served world; ``urls`` maps each chain's name to its endpoint."""
    config = protocol.config
    return {
        "version": VERSION,
        "world": spec.name,
        "seed": spec.seed,
        "instant": instant,
        "block_time_scale": block_time_scale,
        "data_dir": str(data_dir),
        "perp_chain": protocol.perp_chain,
        "vault_chains": list(protocol.vault_chains),
        "chains": {
            chain.name: {
                "chain_id": chain.chain_id,
                "url": urls[chain.name],
                "port": int(urls[chain.name].rsplit(":", 1)[1]),
                "block_time": chain.block_time,
                "finality_depth": chain.finality_depth,
                "genesis_timestamp": chain.config.genesis_timestamp,
                "deployer": chain.accounts[0].address,
                "accounts": [_key(account) for account in chain.accounts],
                "contracts": _contracts(chain.name, protocol, bridge),
            }
            for chain in chains
        },
        "accounts": [_key(account) for account in accounts],
        "token_grant": {asset: str(amount) for asset, amount in grant.items()},
        "assets": {asset.name: {"symbol": asset.symbol, "decimals": asset.decimals} for asset in config.assets},
        "markets": [market.name for market in config.markets],
        "amm": {"quote": config.amm.quote, "fee": str(config.amm.fee)},
        "oracle": {"feeds": list(config.feeds), "reporters": [_key(reporter) for reporter in protocol.reporters]},
        "bridge": {
            "validators": list(bridge.validator_addresses),
            "threshold": bridge.threshold,
            "relayers": [relayer.address for relayer in bridge.relayers],
            "modes": dict(bridge.modes),
        },
        "abis": {
            "Mailbox": bridge_artifact("Mailbox").abi,
            **{name: protocol_artifact(name).abi for name in PROTOCOL_ABIS},
        },
    }


def write_manifest(document: Mapping[str, Any], path: Path) -> None:
    """Write atomically: readers see the previous file or the whole new one, never a part."""
    write_json_file(document, path, indent=2)


def write_json_file(document: Mapping[str, Any], path: Path, indent: int | None) -> None:
    """``document`` as JSON in ``path``, atomically (and synced: it survives a crash right after)."""
    path = Path(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent if str(path.parent) else ".")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(document, out, indent=indent)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, FILE_MODE)  # mkstemp makes it private; it holds only throwaway test keys
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
