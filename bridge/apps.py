"""Sample bridge apps for tests, benchmarks and demos: a TestRecipient on every chain, all trusting each other."""

from __future__ import annotations

from hexbytes import HexBytes
from web3.contract import Contract

from chains import ChainSet, deploy
from chains.abi import bound_from_web3
from bridge.deploy import BridgeDeployment, mine_and_check, artifact

TRUST_GAS = 100_000


def deploy_test_apps(chain_set: ChainSet, deployment: BridgeDeployment, name: str = "TestRecipient") -> dict[str, Contract]:
    """Deploy ``TestRecipient`` on every chain; each trusts the others as the remote for their chain."""
    apps = {chain.name: deploy(chain, artifact(name), deployment.mailbox_address(chain.name)) for chain in chain_set}
    for chain in chain_set:
        owner = chain.accounts[0].address
        pending: list[HexBytes] = []
        for remote in chain_set:
            if remote.name != chain.name:
                trust = apps[chain.name].functions.set_trusted_remote(remote.chain_id, apps[remote.name].address)
                call = bound_from_web3(trust)
                pending.append(chain.send(owner, call.to, call.calldata, TRUST_GAS))
        mine_and_check(chain, pending)
    return apps
