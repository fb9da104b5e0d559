"""``eth_sendRawTransaction`` and ``eth_sendTransaction`` (signed here for the chain's funded accounts).

Both go through the chain's eth-tester, so the chain's own rules hold: a transaction
signed for another chain id is refused, and it is mined at once or waits in the
pending block according to the chain's mining mode. A refused transaction changes
nothing and is answered with -32000.
"""

from __future__ import annotations

from typing import Any

from chains.chain import Chain
from chains.rpc.blocks import PENDING
from chains.rpc.delegate import delegate
from chains.rpc.errors import SERVER_ERROR, RpcError, invalid_params
from chains.rpc.execution import TRANSACTION_KEYS, estimate_gas, parse_call_request
from chains.rpc.fees import DEFAULT_PRIORITY_FEE, pending_base_fee
from chains.rpc.params import checksum, parse_data, parse_object, positional


def eth_send_raw_transaction(chain: Chain, params: list[Any]) -> str:
    (raw,) = positional(params, "eth_sendRawTransaction", 1)
    encoded = parse_data(raw, "signed transaction")
    try:
        chain.backend.chain.get_vm().get_transaction_builder().decode(encoded)
    except Exception as exc:  # noqa: BLE001 - whatever py-evm's decoder trips on, it is the client's bytes
        raise invalid_params(f"not a signed transaction: {type(exc).__name__}: {exc}") from None
    return delegate(chain, "eth_sendRawTransaction", ["0x" + encoded.hex()])


def eth_send_transaction(chain: Chain, params: list[Any]) -> str:
    """Sign with the sender's key (one of ``eth_accounts``); gas and fees are filled in when missing."""
    (transaction,) = positional(params, "eth_sendTransaction", 1)
    obj = dict(parse_object(transaction, "transaction"))
    request = parse_call_request(obj)  # checks every field before anything is filled in
    if obj.get("from") is None:
        raise invalid_params("transaction.from is required: the account to sign with")
    sender = checksum(obj["from"], "transaction.from")
    if sender.lower() not in {account.lower() for account in delegate(chain, "eth_accounts", [])}:
        raise RpcError(SERVER_ERROR, f"unknown account {sender}: this endpoint signs only for the accounts of eth_accounts")
    obj.pop("input", None)
    obj["data"] = "0x" + request.data.hex()
    obj["from"] = sender
    if obj.get("gas") is None:
        obj["gas"] = hex(estimate_gas(chain, request, PENDING))
    if all(obj.get(k) is None for k in ("gasPrice", "maxFeePerGas", "maxPriorityFeePerGas")):
        if request.type in (0, 1):  # legacy and access-list transactions pay one gas price
            obj["gasPrice"] = hex(pending_base_fee(chain) + DEFAULT_PRIORITY_FEE)
        else:
            obj["maxPriorityFeePerGas"] = hex(DEFAULT_PRIORITY_FEE)
            obj["maxFeePerGas"] = hex(2 * pending_base_fee(chain) + DEFAULT_PRIORITY_FEE)
    known = {key: obj[key] for key in TRANSACTION_KEYS if obj.get(key) is not None}
    return delegate(chain, "eth_sendTransaction", [known])


METHODS = {
    "eth_sendRawTransaction": eth_send_raw_transaction,
    "eth_sendTransaction": eth_send_transaction,
}
