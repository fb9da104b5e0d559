"""Block space and fees: an EIP-1559 base fee, a mempool ordered by tip, blocks that fill up, replacements, expiry."""

from __future__ import annotations

import pytest
from eth.vm.forks.london.headers import calculate_expected_base_fee_per_gas
from eth_utils import to_canonical_address

from chains import Chain, ChainConfig, TransactionRejected
from chains.engines import ENGINES
from chains.fees import FeeBid
from chains.signing import sign_dynamic_fee, signing_key

TRANSFER = 21_000
GWEI = 10**9


@pytest.fixture(params=ENGINES)
def chain(request) -> Chain:
    # room for four plain transfers a block: the target (half) is two
    config = ChainConfig(name="busy", chain_id=5_151, accounts=8, block_gas_limit=4 * TRANSFER, mempool_lifetime=60)
    return Chain(config, engine=request.param)


def _transfer(chain: Chain, index: int, tip: int = GWEI, cap: int = 100 * GWEI) -> bytes:
    return chain.send(chain.accounts[index].address, chain.accounts[0].address, b"", TRANSFER, value=1,
                      fees=FeeBid(cap, tip))


def test_the_base_fee_rises_block_after_block_above_the_target_and_falls_when_demand_stops(chain):
    fees = [chain.head.base_fee_per_gas]
    for _ in range(4):  # full blocks: twice the target
        for index in range(1, 5):
            _transfer(chain, index)
        block = chain.mine()
        assert block.gas_used == 4 * TRANSFER
        fees.append(block.header.base_fee_per_gas)
    for _ in range(3):  # empty blocks
        fees.append(chain.mine().header.base_fee_per_gas)
    rising, falling = fees[1:6], fees[5:]
    assert all(b > a for a, b in zip(rising, rising[1:])) and all(b < a for a, b in zip(falling, falling[1:]))
    for number in range(1, chain.head_number + 1):  # exactly EIP-1559's rule, from each parent
        assert chain.block_header(number).base_fee_per_gas == calculate_expected_base_fee_per_gas(chain.block_header(number - 1))
    assert chain.block_header(2).base_fee_per_gas == fees[1] + fees[1] // 8  # +12.5% after a full block


def test_a_higher_priority_fee_is_included_first(chain):
    cheap = _transfer(chain, 1, tip=1 * GWEI)
    generous = _transfer(chain, 2, tip=5 * GWEI)
    middle = _transfer(chain, 3, tip=3 * GWEI)
    block = chain.mine()
    assert list(block.transactions) == [generous, middle, cheap]


def test_a_full_block_leaves_the_rest_pending_and_they_land_later(chain):
    sent = [_transfer(chain, index) for index in range(1, 8)]
    first = chain.mine()
    assert len(first.transactions) == 4 and len(chain.pool) == 3
    second = chain.mine()
    assert len(second.transactions) == 3 and len(chain.pool) == 0
    assert set(first.transactions) | set(second.transactions) == set(sent)
    waited = [chain.receipt(h) for h in second.transactions]
    assert all(r.block_number == first.number + 1 for r in waited)


def test_a_replacement_with_the_same_nonce_needs_a_ten_percent_bump(chain):
    original = _transfer(chain, 1, tip=10 * GWEI, cap=100 * GWEI)
    with pytest.raises(TransactionRejected, match="replacement transaction underpriced"):
        chain.replace(original, FeeBid(109 * GWEI, 11 * GWEI))  # the cap rose 9%
    assert original in chain.pool
    replacement = chain.replace(original, FeeBid(110 * GWEI, 11 * GWEI))
    assert original not in chain.pool and replacement in chain.pool
    block = chain.mine()
    assert list(block.transactions) == [replacement] and chain.dropped["replaced"] == 1


def test_a_transaction_that_can_never_fit_a_block_is_refused_when_sent(chain):
    before = len(chain.pool)
    with pytest.raises(TransactionRejected, match="exceeds block gas limit: gas 84001, block gas limit 84000"):
        chain.send(chain.accounts[1].address, chain.accounts[0].address, b"", 4 * TRANSFER + 1)
    assert len(chain.pool) == before


def test_a_transaction_waiting_longer_than_the_pool_keeps_them_expires(chain):
    sender = chain.accounts[1]
    gapped = sign_dynamic_fee(signing_key(bytes(sender.key)), chain.chain_id, 1, to_canonical_address(sender.address), b"",
                              TRANSFER, 100 * GWEI, GWEI)  # nonce 1 while 0 is unused: it waits
    stuck = chain.submit(gapped)  # sent for block 1
    for _ in range(61):  # one-second blocks; the pool keeps a transaction 60 s
        chain.mine()
    assert stuck in chain.pool
    chain.mine()
    assert stuck not in chain.pool and chain.receipt(stuck) is None
    assert chain.dropped["expired"] == 1
