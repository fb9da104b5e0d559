"""``eth_sendRawTransaction`` and ``eth_sendTransaction`` (signed here for the chain's funded accounts).

Both go through :meth:`chains.Chain.submit`, so the chain's own rules hold: a
transaction signed for another chain id is refused, and it is mined at once or waits
in the pool according to the chain's mining mode. A refused transaction changes
nothing and is answered with -32000.
"""

from __future__ import annotations

from typing import Any

from chains.chain import Chain
from chains.rpc.blocks import PENDING
from chains.rpc.errors import SERVER_ERROR, RpcError, invalid_params
from chains.rpc.execution import estimate_gas, parse_call_request
from chains.fees import DEFAULT_PRIORITY_FEE
from chains.rpc.fees import pending_base_fee
from chains.rpc.params import parse_data, parse_object, parse_quantity, positional
from chains.signing import impersonated_transaction, transaction_from_fields


def eth_send_raw_transaction(chain: Chain, params: list[Any]) -> bytes:
    (raw,) = positional(params, "eth_sendRawTransaction", 1)
    return bytes(chain.send_raw_transaction(parse_data(raw, "signed transaction")))


def eth_send_transaction(chain: Chain, params: list[Any]) -> bytes:
    """Sign with the sender's key (one of ``eth_accounts``); nonce, gas and fees are filled in when missing."""
    (transaction,) = positional(params, "eth_sendTransaction", 1)
    obj = parse_object(transaction, "transaction")
    request = parse_call_request(obj)  # checks every field before anything is filled in
    if obj.get("from") is None:
        raise invalid_params("transaction.from is required: the account to sign with")
    key = chain.keys.get(request.sender)
    impersonating = key is None and request.sender in chain.impersonated
    if key is None and not impersonating:
        raise RpcError(SERVER_ERROR, f"unknown account {obj['from']}: this endpoint signs only for the accounts of "
                                     "eth_accounts (or ones impersonated with anvil_impersonateAccount)")
    legacy = request.type in (0, 1) or (request.type is None and request.gas_price is not None)
    fields: dict[str, Any] = {
        "type": request.type if request.type is not None else 0 if legacy else 2,
        "nonce": chain.pending_nonce(request.sender) if obj.get("nonce") is None else parse_quantity(obj["nonce"], "transaction.nonce"),
        "gas": estimate_gas(chain, request, PENDING) if request.gas is None else request.gas,
        "to": request.to,
        "value": request.value,
        "data": request.data,
        "access_list": request.access_list,
        "gas_price": request.gas_price,
        "max_fee_per_gas": request.max_fee_per_gas,
        "max_priority_fee_per_gas": request.max_priority_fee_per_gas,
    }
    if legacy and fields["gas_price"] is None:
        fields["gas_price"] = pending_base_fee(chain) + DEFAULT_PRIORITY_FEE
    if not legacy:
        if fields["max_priority_fee_per_gas"] is None:
            fields["max_priority_fee_per_gas"] = DEFAULT_PRIORITY_FEE
        if fields["max_fee_per_gas"] is None:
            fields["max_fee_per_gas"] = 2 * pending_base_fee(chain) + fields["max_priority_fee_per_gas"]
    if impersonating:
        return bytes(chain.submit(impersonated_transaction(fields, request.sender, chain.chain_id)))
    return bytes(chain.submit(transaction_from_fields(fields, key, chain.chain_id)))


METHODS = {
    "eth_sendRawTransaction": eth_send_raw_transaction,
    "eth_sendTransaction": eth_send_transaction,
}
