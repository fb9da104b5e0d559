"""Signed transactions in py-evm's Cancun classes: decoding what clients send, signing what agents send.

Every chain decodes with the same builder, whatever engine executes, so a transaction
means the same bytes, hash and sender everywhere. Signing goes through eth-keys (with
coincurve), about three times faster than eth-account's dict-based signing, which
matters on the simulation's hot path.
"""

from __future__ import annotations

from typing import Any

from eth.vm.forks.cancun import CancunVM
from eth_keys import keys
from hexbytes import HexBytes

from chains.errors import TransactionRejected, WrongChainIdError

TRANSACTION_BUILDER = CancunVM.get_transaction_builder()
DYNAMIC_FEE_TYPE = 2


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
    private_key: keys.PrivateKey, chain_id: int, nonce: int, to: bytes, data: bytes, gas: int,
    max_fee_per_gas: int, max_priority_fee_per_gas: int, value: int = 0,
) -> Any:
    """An EIP-1559 transaction signed with ``private_key`` (``to=b""`` creates a contract)."""
    unsigned = TRANSACTION_BUILDER.new_unsigned_dynamic_fee_transaction(
        chain_id, nonce, max_priority_fee_per_gas, max_fee_per_gas, gas, to, value, data, [],
    )
    return unsigned.as_signed_transaction(private_key)


def transaction_from_fields(fields: dict[str, Any], key: keys.PrivateKey, chain_id: int) -> Any:
    """Sign a JSON-RPC-style transaction (already parsed to Python values) of type 0, 1 or 2."""
    kind = fields.get("type")
    if kind is None:
        kind = 0 if fields.get("gas_price") is not None else DYNAMIC_FEE_TYPE
    common = dict(nonce=fields["nonce"], gas=fields["gas"], to=fields["to"], value=fields["value"], data=fields["data"])
    if kind == 0:
        unsigned = TRANSACTION_BUILDER.create_unsigned_transaction(gas_price=fields["gas_price"], **common)
        return unsigned.as_signed_transaction(key, chain_id=chain_id)
    access_list = fields.get("access_list") or ()
    if kind == 1:
        return TRANSACTION_BUILDER.new_unsigned_access_list_transaction(
            chain_id=chain_id, gas_price=fields["gas_price"], access_list=access_list, **common,
        ).as_signed_transaction(key)
    if kind == DYNAMIC_FEE_TYPE:
        return TRANSACTION_BUILDER.new_unsigned_dynamic_fee_transaction(
            chain_id=chain_id, max_priority_fee_per_gas=fields["max_priority_fee_per_gas"],
            max_fee_per_gas=fields["max_fee_per_gas"], access_list=access_list, **common,
        ).as_signed_transaction(key)
    raise TransactionRejected(f"transaction type {kind} is not supported (types 0, 1 and 2 are)")
