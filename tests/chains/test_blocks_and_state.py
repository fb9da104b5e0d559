"""What the chain builds above its engine: header hashes, the state commitment, reads at older blocks, the pool."""

from __future__ import annotations

import pytest
from eth_utils import keccak, to_canonical_address
from rlp.codec import encode_raw

from chains import COUNTER_SOURCE, Chain, ChainConfig, ChainStateError, compile_contract, deploy
from chains.abi import ContractAbi
from chains.engines import ENGINES
from chains.rpc.shapes import to_wire


@pytest.fixture(params=ENGINES)
def chain(request) -> Chain:
    return Chain(ChainConfig(name="layer", chain_id=7_007, accounts=3), engine=request.param)


def _counter(chain: Chain):
    artifact = compile_contract(COUNTER_SOURCE)
    contract = deploy(chain, artifact)
    return to_canonical_address(contract.address), ContractAbi(artifact.abi)


def test_a_block_hash_is_keccak_of_the_rlp_of_the_header_fields_a_client_is_shown(chain):
    address, abi = _counter(chain)
    chain.send(chain.accounts[0].address, address, abi.encode("increment"), 100_000)
    block = chain.mine()
    shown = chain.w3.provider.make_request("eth_getBlockByNumber", [hex(block.number), False])["result"]
    fields = block.header.fields()
    assert keccak(encode_raw([_quantity(v) if isinstance(v, int) else v for _, v in fields])) == block.hash
    for name, value in fields:
        assert shown[name].lower() == to_wire(value), name
    assert shown["hash"] == block.hash.to_0x_hex() and shown["parentHash"] == chain.block(block.number - 1).hash.to_0x_hex()


def _quantity(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


def test_the_state_root_moves_with_the_state_and_not_with_empty_blocks(chain):
    address, abi = _counter(chain)
    before = chain.head.state_root
    chain.mine()
    assert chain.head.state_root == before  # nothing changed
    chain.send(chain.accounts[0].address, address, abi.encode("increment"), 100_000)
    chain.mine()
    assert chain.head.state_root != before


def test_reads_and_calls_at_an_older_block_see_that_blocks_state(chain):
    address, abi = _counter(chain)
    sender, receiver = chain.accounts[0].address, chain.accounts[1].address
    chain.send(sender, address, abi.encode("increment"), 100_000)
    chain.send(sender, receiver, b"", 21_000, value=5)
    first = chain.mine()
    chain.send(sender, address, abi.encode("increment"), 100_000)
    chain.send(sender, receiver, b"", 21_000, value=7)
    chain.mine()

    def count(block):
        return abi.function("count", 0).decode(chain.call(address, abi.encode("count"), block=block).output)

    assert count(None) == 2 and count(first.number) == 1 and count(first.number - 1) == 0
    assert chain.balance(receiver) - chain.balance(receiver, first.number) == 7
    assert chain.storage(address, 0, first.number) == 1 and chain.storage(address, 0) == 2
    assert count(None) == 2  # the older reads left the head's state alone


def test_a_pending_call_sees_the_pool_and_a_latest_call_does_not(chain):
    address, abi = _counter(chain)
    chain.send(chain.accounts[0].address, address, abi.encode("increment"), 100_000)
    decode = abi.function("count", 0).decode
    assert decode(chain.call(address, abi.encode("count"), block="pending").output) == 1
    assert decode(chain.call(address, abi.encode("count")).output) == 0
    assert len(chain.pool) == 1  # looking at the pending block did not mine it


def test_a_transaction_whose_funds_left_before_its_block_is_dropped_with_the_reason(chain):
    poor = chain.accounts[2]
    tx_hash = chain.send(poor.address, chain.accounts[0].address, b"", 21_000, value=1)  # admitted: its cost fits
    chain.set_account(poor.address, balance=0)  # then its balance goes away
    chain.mine()
    assert chain.receipt(tx_hash) is None and tx_hash not in chain.pool
    assert chain.dropped["insufficient funds for gas * price + value"] == 1


def test_send_signs_only_for_accounts_the_chain_holds_keys_for(chain):
    with pytest.raises(ChainStateError, match="no key for"):
        chain.send("0x" + "12" * 20, chain.accounts[0].address, b"", 21_000)
