"""The accounts ``xmargin up`` hands out: the same keys on every chain, with ether and test tokens.

Like Anvil's ten accounts, but one key works on every chain (a wallet needs one
account for the whole world). Each holds ether on every chain (in the genesis
allocation) and, on every vault chain, test tokens of every asset worth about
``TOKENS_USD`` at the asset's initial price, minted for real by the token's minter.
Every chain also signs ``eth_sendTransaction`` for them.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from eth_account.signers.local import LocalAccount

from chains import ChainSet, confirm
from chains.accounts import keyed_account
from protocol import ProtocolDeployment
from protocol.units import to_units

ACCOUNTS = 10
ACCOUNT_ETH = 10_000
TOKENS_USD = 1_000_000


def dev_accounts(seed: int, count: int = ACCOUNTS) -> tuple[LocalAccount, ...]:
    return tuple(keyed_account(f"up-account-{index}", seed) for index in range(count))


def genesis_allocation(accounts: tuple[LocalAccount, ...]) -> dict[str, int]:
    return {account.address: ACCOUNT_ETH * 10**18 for account in accounts}


def token_grant(protocol: ProtocolDeployment) -> dict[str, Decimal]:
    """Whole tokens of each asset every account receives on every vault chain (at least one)."""
    return {
        asset.name: max(Decimal(1), (Decimal(TOKENS_USD) / asset.initial_price).to_integral_value(ROUND_FLOOR))
        for asset in protocol.config.assets
    }


def provision(chains: ChainSet, protocol: ProtocolDeployment, accounts: tuple[LocalAccount, ...]) -> dict[str, Decimal]:
    """Let every chain sign for the accounts and mint them their tokens (mined); returns the grant per asset."""
    for chain in chains:
        for account in accounts:
            chain.add_account(account)
    grant = token_grant(protocol)
    for name in protocol.vault_chains:
        hashes = [
            protocol.mint(name, asset.name, account.address, to_units(grant[asset.name], asset.decimals))
            for asset in protocol.config.assets
            for account in accounts
        ]
        for tx_hash in hashes:
            confirm(chains[name], tx_hash)
    return grant
