"""Block space and fees: an EIP-1559 base fee, a mempool ordered by tip, blocks that fill up, replacements, expiry."""

from __future__ import annotations

import pytest
from eth.vm.forks.london.headers import calculate_expected_base_fee_per_gas
from eth_utils import to_canonical_address

from chains import Chain, ChainConfig, TransactionRejected
from chains.engines import ENGINES
from chains.fees import FeeBid, FeeStrategy
from chains.signing import sign_dynamic_fee, signing_key

TRANSFER = 21_000
GWEI = 10**9


@pytest.fixture(params=ENGINES)
def chain(request) -> Chain:
    # room for four plain transfers a block: the target (half) is two
    config = ChainConfig(name="busy", chain_id=5_151, accounts=8, block_gas_limit=4 * TRANSFER, mempool_lifetime=60)
    return Chain(config, engine=request.param)


def _transfer(chain: Chain, index: int, tip: int = GWEI, cap: int = 100 * GWEI, local: bool = True) -> bytes:
    return chain.send(chain.accounts[index].address, chain.accounts[0].address, b"", TRANSFER, value=1,
                      fees=FeeBid(cap, tip), local=local)


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


def _congest(chain: Chain, blocks: int) -> None:
    """Full blocks from accounts 4-7 (each sends one transfer per block at a 100 gwei cap)."""
    for _ in range(blocks):
        for index in range(4, 8):
            _transfer(chain, index, tip=2 * GWEI)
        chain.mine()


def test_send_bids_with_the_senders_policy_fixed_waits_below_the_base_fee(chain):
    _congest(chain, 8)  # the base fee is now well above 1 gwei
    base = chain.next_base_fee
    sender = chain.accounts[1].address
    chain.set_fee_policy(sender, FeeStrategy(strategy="fixed", gas_price_gwei=base / GWEI / 2).policy())
    stuck = chain.send(sender, chain.accounts[0].address, b"", TRANSFER, value=1)
    pooled = chain.pool.get(stuck).transaction
    assert pooled.max_fee_per_gas == pooled.max_priority_fee_per_gas == base // 2
    chain.mine()
    assert stuck in chain.pool and chain.receipt(stuck) is None  # its price is below the base fee: it waits
    chain.set_fee_policy(sender, FeeStrategy(strategy="suggested", priority_gwei=3).policy())
    follower = chain.send(sender, chain.accounts[0].address, b"", TRANSFER, value=1)
    bid = chain.pool.get(follower).transaction
    assert (bid.max_fee_per_gas, bid.max_priority_fee_per_gas) == (2 * chain.next_base_fee + 3 * GWEI, 3 * GWEI)


def test_an_adaptive_sender_rebids_a_stuck_transaction_and_its_hash_leads_to_the_replacement(chain):
    sender = chain.accounts[1].address
    strategy = FeeStrategy(strategy="adaptive", priority_gwei=1, replace_after=2, bump=0.5, max_gwei=500)
    chain.set_fee_policy(sender, strategy.policy())
    first = chain.send(sender, chain.accounts[0].address, b"", TRANSFER, value=1)
    submitted = chain.now()
    _congest(chain, 1)  # tip 2 gwei from four others fills the block: ours (1 gwei) waits
    assert first in chain.pool
    for _ in range(6):
        _congest(chain, 1)
        if chain.receipt(chain.current_hash(first)) is not None:
            break
    receipt = chain.receipt(chain.current_hash(first))
    assert receipt is not None and receipt.status == 1 and chain.current_hash(first) != first
    assert chain.dropped["replaced"] >= 1 and first not in chain.pool
    assert receipt.submitted_at == submitted  # the wait counts from the first submission
    mined = chain.block(receipt.block_number).receipts
    assert receipt.effective_gas_price > min(r.effective_gas_price for r in mined if r.sender != receipt.sender) - 1


def test_an_adaptive_bid_never_goes_above_its_share_of_the_stake(chain):
    sender = chain.accounts[1].address
    policy = FeeStrategy(strategy="adaptive", priority_gwei=50, profit_share=0.5, max_gwei=10_000).policy(lambda: 2_000.0)
    policy.stake_usd = 21.0  # half of it is 10.5 USD: 0.00525 ETH for 21,000 gas, 250 gwei
    bid = policy.bid(chain, TRANSFER, nonce=0)
    assert bid.max_fee_per_gas <= 250 * GWEI
    raised = policy.rebid(chain, bid, TRANSFER, 0, 60.0)
    while raised is not None:
        assert raised.max_fee_per_gas <= 250 * GWEI
        bid, raised = raised, policy.rebid(chain, raised, TRANSFER, 0, 60.0)
    assert bid.max_fee_per_gas * 1.1 > 250 * GWEI  # it went as far as the cap allowed, then stopped


def test_a_full_pool_evicts_its_cheapest_for_a_better_paying_newcomer_and_refuses_a_cheaper_one():
    config = ChainConfig(name="small", chain_id=5_152, accounts=6, block_gas_limit=4 * TRANSFER, mempool_size=3)
    chain = Chain(config)
    cheap = _transfer(chain, 1, cap=10 * GWEI, local=False)
    _transfer(chain, 2, cap=20 * GWEI, local=False)
    _transfer(chain, 3, cap=30 * GWEI, local=False)
    with pytest.raises(TransactionRejected, match="txpool is full"):
        _transfer(chain, 4, cap=10 * GWEI, local=False)
    assert len(chain.pool) == 3 and cheap in chain.pool
    better = _transfer(chain, 4, cap=15 * GWEI, local=False)
    assert cheap not in chain.pool and better in chain.pool and chain.dropped["evicted"] == 1


def test_the_nodes_own_transactions_are_neither_refused_nor_evicted_by_a_full_pool():
    config = ChainConfig(name="small", chain_id=5_153, accounts=6, block_gas_limit=4 * TRANSFER, mempool_size=2)
    chain = Chain(config)
    own = _transfer(chain, 1, cap=5 * GWEI)  # local: what an agent sends through the node holding its key
    remote = _transfer(chain, 2, cap=20 * GWEI, local=False)
    beyond = _transfer(chain, 3, cap=1 * GWEI)  # a local one is taken even though the pool is full
    assert len(chain.pool) == 3
    newcomer = _transfer(chain, 4, cap=30 * GWEI, local=False)
    assert remote not in chain.pool  # the cheapest remote one made room, not the cheaper local ones
    assert all(h in chain.pool for h in (own, beyond, newcomer)) and chain.dropped["evicted"] == 1


def test_a_stuck_adaptive_bid_may_rise_to_the_caps_of_what_waits_behind_it(chain):
    policy = FeeStrategy(strategy="adaptive", priority_gwei=50, profit_share=0.5, max_gwei=10_000).policy(lambda: 2_000.0)
    policy.stake_usd = 21.0  # 250 gwei for 21,000 gas
    low = policy.bid(chain, TRANSFER, nonce=0)
    policy.stake_usd = 210.0  # the next one is worth ten times more: 2,500 gwei
    policy.bid(chain, TRANSFER, nonce=1)
    policy.stake_usd = None
    assert policy.quote(chain, TRANSFER).max_fee_per_gas <= 10_000 * GWEI  # a quote remembers nothing
    bid, raised = low, policy.rebid(chain, low, TRANSFER, 0, 60.0)
    while raised is not None:
        bid, raised = raised, policy.rebid(chain, raised, TRANSFER, 0, 60.0)
    assert 250 * GWEI < bid.max_fee_per_gas <= 2_500 * GWEI  # past its own cap, up to the one queued behind
