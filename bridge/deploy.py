"""Deploying the bridge: a Mailbox on every chain, each enrolling every other chain as a source.

Validator, relayer and forger keys are derived from the seed. Deployment takes two
blocks per chain: one for the Mailbox, one for enrolments and account funding.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from eth_account.signers.local import LocalAccount
from eth_utils import to_canonical_address
from hexbytes import HexBytes
from web3.contract import Contract

from chains import Artifact, Chain, ChainSet, compile_contract, confirm, deploy
from chains.abi import Calls, ContractAbi, bound_from_web3
from chains.accounts import keyed_account
from chains.errors import ConfigError
from bridge.config import BridgeConfig
from bridge.proofs import MODES

CONTRACTS = Path(__file__).parent / "contracts"
ACCOUNT_FUNDING = 1_000 * 10**18
ENROLL_GAS = 1_500_000


def artifact(name: str) -> Artifact:
    """A compiled contract of the bridge (``Mailbox``, ``TestRecipient``, ``NoopRecipient``)."""
    return compile_contract(CONTRACTS / f"{name}.vy")


def validator_accounts(seed: int, count: int) -> tuple[LocalAccount, ...]:
    """The validators of a run in config order: ``[i]`` is validator ``i``."""
    return tuple(keyed_account(f"bridge-validator-{i}", seed) for i in range(count))


def relayer_account(seed: int, index: int) -> LocalAccount:
    return keyed_account(f"bridge-relayer-{index}", seed)


def forger_account(seed: int) -> LocalAccount:
    return keyed_account("bridge-forger", seed)


@functools.lru_cache(maxsize=256)
def _calls_at(address: str, abi_json: str) -> Calls:
    return Calls(to_canonical_address(address), ContractAbi(json.loads(abi_json)))


def _calls(contract: Contract) -> Calls:
    return _calls_at(contract.address, json.dumps(contract.abi, sort_keys=True))


@dataclass(frozen=True)
class BridgeDeployment:
    """Where the bridge lives on each chain, and who validates it.

    ``validators[i]`` is validator ``i`` of the config (offline/equivocating/compromised
    indices refer to it); every mailbox trusts the same set, with the same threshold,
    for every source chain. ``owners[chain]`` owns that chain's mailbox (its first
    funded account): it can pause a source or change its validator set.
    """

    chain_set: ChainSet
    mailboxes: Mapping[str, Contract]
    validators: tuple[LocalAccount, ...]
    threshold: int
    modes: Mapping[str, str]
    relayers: tuple[LocalAccount, ...]
    forger: LocalAccount
    owners: Mapping[str, str]

    def mailbox(self, chain_name: str) -> Contract:
        self.chain_set[chain_name]  # a clear error for an unknown chain
        return self.mailboxes[chain_name]

    def mailbox_address(self, chain_name: str) -> str:
        return self.mailbox(chain_name).address

    def mailbox_calls(self, chain_name: str) -> Calls:
        """The mailbox's functions as bound calls (``.process(message, proof)``), for the hot path."""
        return _calls(self.mailbox(chain_name))

    @property
    def addresses(self) -> dict[str, str]:
        """Mailbox address by chain name (what the protocol's deployment needs)."""
        return {name: contract.address for name, contract in self.mailboxes.items()}

    def mode(self, source_chain: str) -> str:
        return self.modes[source_chain]

    @property
    def validator_addresses(self) -> tuple[str, ...]:
        return tuple(v.address for v in self.validators)

    def chain_name(self, chain_id: int) -> str | None:
        for chain in self.chain_set:
            if chain.chain_id == chain_id:
                return chain.name
        return None


def deploy_bridge(
    chain_set: ChainSet,
    config: BridgeConfig | Mapping[str, Any] | None = None,
    seed: int = 0,
) -> BridgeDeployment:
    """Deploy and configure a Mailbox on every chain of ``chain_set``; returns where everything is."""
    if not isinstance(config, BridgeConfig):
        config = BridgeConfig.from_dict(config)
    config.check_chains(chain_set.names)
    if len(chain_set) < 2:
        raise ConfigError("a bridge needs at least two chains")
    validators = validator_accounts(seed, config.validators.count)
    validator_set = sorted((v.address for v in validators), key=lambda a: int(a, 16))
    relayers = tuple(relayer_account(seed, i) for i in range(config.relayers.count))
    forger = forger_account(seed)
    mailbox_artifact = artifact("Mailbox")

    mailboxes = {chain.name: deploy(chain, mailbox_artifact) for chain in chain_set}
    for chain in chain_set:
        owner = chain.accounts[0].address
        pending = []
        for source in chain_set:
            if source.name == chain.name:
                continue
            enroll = mailboxes[chain.name].functions.enroll_source(
                source.chain_id,
                MODES[config.mode_for(source.name)],
                mailboxes[source.name].address,
                validator_set,
                config.validators.threshold,
            )
            call = bound_from_web3(enroll)
            pending.append(chain.send(owner, call.to, call.calldata, ENROLL_GAS))
        for account in (*relayers, forger):
            chain.add_account(account)
            pending.append(chain.send(owner, account.address, b"", 21_000, ACCOUNT_FUNDING))
        mine_and_check(chain, pending)
    return BridgeDeployment(
        chain_set=chain_set,
        mailboxes=mailboxes,
        validators=validators,
        threshold=config.validators.threshold,
        modes={chain.name: config.mode_for(chain.name) for chain in chain_set},
        relayers=relayers,
        forger=forger,
        owners={chain.name: chain.accounts[0].address for chain in chain_set},
    )


def mine_and_check(chain: Chain, tx_hashes: list[HexBytes]) -> None:
    """Mine until they are all in blocks; raise TransactionReverted if any of ``tx_hashes`` failed."""
    for tx_hash in tx_hashes:
        confirm(chain, tx_hash)
