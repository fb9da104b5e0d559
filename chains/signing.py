"""Signed transactions in py-evm's Cancun classes: decoding what clients send, signing what agents send.

Every chain decodes with the same builder, whatever engine executes, so a transaction
means the same bytes, hash and sender everywhere. Signing goes through eth-keys (with
coincurve), about three times faster than eth-account's dict-based signing, which
matters on the simulation's hot path.
"""

from __future__ import annotations

import functools
from typing import Any

import coincurve
from eth.vm.forks.cancun import CancunVM
from eth_keys import keys
from eth_utils import keccak
from hexbytes import HexBytes

from chains.errors import TransactionRejected, WrongChainIdError

TRANSACTION_BUILDER = CancunVM.get_transaction_builder()
DYNAMIC_FEE_TYPE = 2


class SigningKey:
    """A private key that signs through one coincurve key kept alive (eth-keys builds a new one per signature).

    It offers what py-evm's transactions and eth-keys' callers use (``sign_msg_hash``,
    ``sign_msg``, ``public_key``); the signatures are libsecp256k1's deterministic ones, as eth-keys gives.
    """

    def __init__(self, secret: bytes) -> None:
        self._key = coincurve.PrivateKey(bytes(secret))
        self.public_key = keys.PrivateKey(bytes(secret)).public_key
        self.address = self.public_key.to_canonical_address()

    def sign_msg_hash(self, message_hash: bytes) -> keys.Signature:
        return keys.Signature(self._key.sign_recoverable(message_hash, hasher=None))

    def sign_msg(self, message: bytes) -> keys.Signature:
        return self.sign_msg_hash(keccak(message))


@functools.lru_cache(maxsize=4096)
def signing_key(secret: bytes) -> SigningKey:
    """The :class:`SigningKey` of ``secret`` (one per key for the whole process)."""
    return SigningKey(secret)


def decode_transaction(raw: bytes) -> Any:
    """The signed transaction in ``raw`` (its sender recovered), or :class:`TransactionRejected`."""
    try:
        transaction = TRANSACTION_BUILDER.decode(bytes(raw))
        transaction.sender  # noqa: B018 - recovers (and caches) the signer; a bad signature raises here
    except Exception as exc:  # noqa: BLE001 - whatever py-evm's decoder trips on, it is the sender's bytes
        raise TransactionRejected(f"not a valid signed transaction: {type(exc).__name__}: {exc}") from None
    return transaction


def check_chain_id(transaction: Any, chain_id: int) -> None:
    """EIP-155 replay protection: refuse a transaction signed for another chain, or for none."""
    signed_for = transaction.chain_id
    if signed_for == chain_id:
        return
    tx_hash = HexBytes(transaction.hash).to_0x_hex()
    if signed_for is None:
        raise WrongChainIdError(
            f"transaction {tx_hash} is not replay-protected (no chain id); "
            f"this chain only accepts transactions signed for chain id {chain_id}"
        )
    if signed_for != chain_id:
        raise WrongChainIdError(
            f"transaction {tx_hash} was signed for chain id {signed_for}, "
            f"but this chain's id is {chain_id}; refused (cross-chain replay)"
        )


def sign_dynamic_fee(
    private_key: SigningKey, chain_id: int, nonce: int, to: bytes, data: bytes, gas: int,
    max_fee_per_gas: int, max_priority_fee_per_gas: int, value: int = 0,
) -> Any:
    """An EIP-1559 transaction signed with ``private_key`` (``to=b""`` creates a contract)."""
    unsigned = TRANSACTION_BUILDER.new_unsigned_dynamic_fee_transaction(
        chain_id, nonce, max_priority_fee_per_gas, max_fee_per_gas, gas, to, value, data, [],
    )
    return _with_sender(unsigned.as_signed_transaction(private_key), private_key)


def _with_sender(transaction: Any, key: SigningKey) -> Any:
    """Tell the transaction its sender (py-evm would recover it from the signature we just made)."""
    return _sent_by(transaction, key.address)


def _sent_by(transaction: Any, sender: bytes) -> Any:
    transaction.__dict__["sender"] = sender  # py-evm's cached_property keeps it in the instance dict
    return transaction


IMPERSONATION_KEY = SigningKey(keccak(b"xmargin-impersonation"))


def impersonated_transaction(fields: dict[str, Any], sender: bytes, chain_id: int) -> Any:
    """A transaction from ``sender`` without its key, as Anvil's impersonation makes them.

    It is signed with a throwaway key (so it has a hash and an encoding) and then told
    its sender; the chain and the engines only ever ask ``transaction.sender``. Its raw
    bytes, decoded elsewhere, would name the throwaway key instead.
    """
    return _sent_by(transaction_from_fields(fields, IMPERSONATION_KEY, chain_id), sender)


def transaction_from_fields(fields: dict[str, Any], key: SigningKey, chain_id: int) -> Any:
    """Sign a JSON-RPC-style transaction (already parsed to Python values) of type 0, 1 or 2."""
    kind = fields.get("type")
    if kind is None:
        kind = 0 if fields.get("gas_price") is not None else DYNAMIC_FEE_TYPE
    common = dict(nonce=fields["nonce"], gas=fields["gas"], to=fields["to"], value=fields["value"], data=fields["data"])
    if kind == 0:
        unsigned = TRANSACTION_BUILDER.create_unsigned_transaction(gas_price=fields["gas_price"], **common)
        return _with_sender(unsigned.as_signed_transaction(key, chain_id=chain_id), key)
    access_list = fields.get("access_list") or ()
    if kind == 1:
        signed = TRANSACTION_BUILDER.new_unsigned_access_list_transaction(
            chain_id=chain_id, gas_price=fields["gas_price"], access_list=access_list, **common,
        ).as_signed_transaction(key)
        return _with_sender(signed, key)
    if kind == DYNAMIC_FEE_TYPE:
        signed = TRANSACTION_BUILDER.new_unsigned_dynamic_fee_transaction(
            chain_id=chain_id, max_priority_fee_per_gas=fields["max_priority_fee_per_gas"],
            max_fee_per_gas=fields["max_fee_per_gas"], access_list=access_list, **common,
        ).as_signed_transaction(key)
        return _with_sender(signed, key)
    raise TransactionRejected(f"transaction type {kind} is not supported (types 0, 1 and 2 are)")
