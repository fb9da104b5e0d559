"""Deterministic funded accounts: one BIP-39 mnemonic per (seed, chain), standard HD path."""

from __future__ import annotations

from eth_account import Account
from eth_account.hdaccount.mnemonic import Language, Mnemonic
from eth_account.signers.local import LocalAccount
from eth_utils import keccak

Account.enable_unaudited_hdwallet_features()

HD_PATH = "m/44'/60'/0'/0/{index}"


def chain_mnemonic(seed: int, chain_name: str) -> str:
    """The mnemonic for one chain: a pure function of the seed and the chain's name."""
    entropy = keccak(b"xmargin-accounts" + seed.to_bytes(32, "big", signed=True) + chain_name.encode())[:16]
    return Mnemonic(Language.ENGLISH).to_mnemonic(entropy)


def derive_accounts(mnemonic: str, count: int) -> list[LocalAccount]:
    return [Account.from_mnemonic(mnemonic, account_path=HD_PATH.format(index=i)) for i in range(count)]


def keyed_account(label: str, seed: int) -> LocalAccount:
    """A deterministic account for an agent, named by a label (cheaper than HD derivation)."""
    key = keccak(b"xmargin-agent" + seed.to_bytes(32, "big", signed=True) + label.encode())
    return Account.from_key(key)
