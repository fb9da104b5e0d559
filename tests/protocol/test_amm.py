"""The constant-product pools: Uniswap v2's arithmetic, minimums that refuse and change nothing,
liquidity at the pool's ratio, cumulative prices for a TWAP, a configurable fee, and the helpers
agents size their trades with."""

from __future__ import annotations

import pytest

from chains import confirm, deploy
from protocol.amm import Q112, AmmPool, amount_out, average_price, max_sale, optimal_input
from protocol.artifacts import artifact

ETH = 10**18
USDC = 10**6
MAX = 2**256 - 1


def fund(w, user: str, chain: str, asset: str, amount: int, spender: str) -> None:
    account = w.user(user)
    confirm(w.chains[chain], w.d.mint(chain, asset, account.address, amount))
    confirm(w.chains[chain], w.d.token(chain, asset).approve(account, spender, MAX))


def test_the_deployment_seeds_one_pool_per_asset_and_vault_chain_at_the_initial_price(world):
    d = world.d
    assert sorted(p.key for p in d.all_pools()) == ["vault-l1:BTC", "vault-l1:ETH", "vault-l2:BTC", "vault-l2:ETH"]
    pool = d.pool("vault-l1", "ETH")
    reserves = pool.reserves()
    assert reserves.quote == 1_000_000 * USDC and reserves.base == 1_000_000 * ETH // 3_000
    assert pool.price() == pytest.approx(3_000, rel=1e-9)
    assert pool.shares(d.deployers["vault-l1"]) + 1_000 == pool.total_shares()  # v2 locks the first 1000


def test_a_swap_pays_the_constant_product_amount_and_keeps_the_fee(world):
    w = world
    pool = w.d.pool("vault-l1", "ETH")
    fund(w, "alice", "vault-l1", "ETH", 10 * ETH, pool.address)
    before = pool.reserves()
    expected = (10 * ETH * 997_000 * before.quote) // (before.base * 1_000_000 + 10 * ETH * 997_000)
    assert pool.quote_out("base", 10 * ETH) == expected == amount_out(10 * ETH, before.base, before.quote, 3_000)

    confirm(w.chains["vault-l1"], pool.swap(w.user("alice"), "base", 10 * ETH, expected))

    after = pool.reserves()
    assert (after.base, after.quote) == (before.base + 10 * ETH, before.quote - expected)
    assert w.d.token("vault-l1", "USDC").balance_of(w.user("alice").address) == expected
    assert after.base * after.quote > before.base * before.quote  # the fee stayed in the pool
    # without the fee the same sale would have paid x * y = k exactly
    assert expected < before.quote - before.base * before.quote // (before.base + 10 * ETH)


def test_a_swap_below_its_minimum_out_reverts_with_its_reason_and_changes_nothing(world, revert):
    w = world
    pool = w.d.pool("vault-l2", "ETH")
    fund(w, "bob", "vault-l2", "ETH", 5 * ETH, pool.address)
    quoted = pool.quote_out("base", 5 * ETH)
    reserves = pool.reserves()
    revert(w.chains["vault-l2"], pool.swap(w.user("bob"), "base", 5 * ETH, quoted + 1), "insufficient output amount")
    assert pool.reserves() == reserves
    assert w.d.token("vault-l2", "ETH").balance_of(w.user("bob").address) == 5 * ETH
    assert w.d.token("vault-l2", "USDC").balance_of(w.user("bob").address) == 0
    revert(w.chains["vault-l2"], pool.swap(w.user("bob"), "base", 0, 0), "insufficient input amount")


def test_liquidity_goes_in_at_the_pool_ratio_and_comes_out_pro_rata(world, revert):
    w = world
    chain, pool = w.chains["vault-l1"], w.d.pool("vault-l1", "ETH")
    carol = w.user("carol")
    fund(w, "carol", "vault-l1", "ETH", 1 * ETH, pool.address)
    fund(w, "carol", "vault-l1", "USDC", 10_000 * USDC, pool.address)
    # asking for more USDC than the ratio needs: all of the ETH, 3000 USDC of the 10000 offered
    revert(chain, pool.add_liquidity(carol, 1 * ETH, 10_000 * USDC, 0, 3_001 * USDC), "insufficient quote amount")
    total = pool.total_shares()
    confirm(chain, pool.add_liquidity(carol, 1 * ETH, 10_000 * USDC, 0, 2_999 * USDC))
    shares = pool.shares(carol.address)
    assert shares == total * 3 // 1_000  # 1 ETH is 0.3 % of the 333.33 ETH reserve
    assert w.d.token("vault-l1", "USDC").balance_of(carol.address) == 7_000 * USDC
    revert(chain, pool.remove_liquidity(carol, shares + 1), "liquidity exceeds the caller's shares")
    confirm(chain, pool.remove_liquidity(carol, shares, 0, 0))
    assert pool.shares(carol.address) == 0
    # back out pro rata, rounded down (in the pool's favour)
    assert 1 * ETH - 10**6 < w.d.token("vault-l1", "ETH").balance_of(carol.address) <= 1 * ETH
    assert 9_999 * USDC < w.d.token("vault-l1", "USDC").balance_of(carol.address) <= 10_000 * USDC


def test_cumulative_prices_give_the_time_weighted_average(world):
    w = world
    chain, pool = w.chains["vault-l1"], w.d.pool("vault-l1", "ETH")
    fund(w, "dave", "vault-l1", "ETH", 100 * ETH, pool.address)
    chain.mine(timestamp=chain.head_timestamp + 12)
    first = pool.observe()
    first_price = pool.reserves()
    chain.set_next_timestamp(chain.head_timestamp + 120)
    receipt = confirm(chain, pool.swap(w.user("dave"), "base", 100 * ETH, 0))
    swapped_at = chain.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    second_price = pool.reserves()
    chain.mine(timestamp=chain.head_timestamp + 360)
    last = pool.observe()

    def q112(r):
        return r.quote * Q112 // r.base

    elapsed = (last.timestamp - first.timestamp)
    expected = (q112(first_price) * (swapped_at - first.timestamp) + q112(second_price) * (last.timestamp - swapped_at))
    assert average_price(first, last) == pytest.approx(expected / elapsed / Q112, rel=1e-12)
    twap = pool.to_price(average_price(first, last))
    assert pool.price(second_price) < twap < pool.price(first_price)  # the dump shows, damped by time
    assert average_price(last, last) is None


def test_the_fee_is_configurable(world):
    w = world
    chain = w.chains["vault-l2"]
    eth, usdc = w.d.token("vault-l2", "ETH"), w.d.token("vault-l2", "USDC")
    contract = deploy(chain, artifact("AmmPool"), eth.address, usdc.address, 0)
    owner = w.d.deployers["vault-l2"]
    for tx in (w.d.mint("vault-l2", "ETH", contract.address, 100 * ETH), w.d.mint("vault-l2", "USDC", contract.address, 300_000 * USDC)):
        confirm(chain, tx)
    pool = AmmPool(chain, contract, "ETH", "USDC", eth.address, usdc.address, 18, 6, 0)
    confirm(chain, pool.mint(owner, owner))
    fund(w, "carol", "vault-l2", "ETH", 1 * ETH, pool.address)
    seller = w.user("carol")
    confirm(chain, pool.swap(seller, "base", 1 * ETH, 0))
    assert usdc.balance_of(seller.address) == 300_000 * USDC * ETH // (101 * ETH)  # x * y = k exactly, no fee


def test_an_optimal_arbitrage_leaves_the_marginal_price_at_the_reference():
    base, quote, fee = 400 * ETH, 1_000_000 * USDC, 3_000  # 2500 USDC per ETH
    reference = 3_000 * USDC / ETH  # quote units per base unit
    spent = optimal_input(quote, base, fee, reference)  # buy ETH with USDC
    got = amount_out(spent, quote, base, fee)
    gamma = 0.997
    marginal = gamma * base * quote / (quote + gamma * spent) ** 2  # ETH per USDC for the last unit spent
    assert marginal == pytest.approx(1 / reference, rel=1e-6)
    profit = got * reference - spent
    for other in (spent * 0.9, spent * 1.1):
        assert amount_out(int(other), quote, base, fee) * reference - other < profit
    assert optimal_input(base, quote, fee, 1 / reference) == 0  # selling ETH into a cheap pool never pays


def test_a_sellers_slippage_limit_bounds_the_average_price():
    base, quote, fee = 400 * ETH, 1_200_000 * USDC, 3_000  # 3000 USDC per ETH
    rate = 3_000 * USDC / ETH
    size = max_sale(base, quote, fee, rate, 0.02)
    assert amount_out(size, base, quote, fee) / size >= 0.98 * rate * (1 - 1e-9)  # the pool rounds down
    assert amount_out(size + ETH, base, quote, fee) / (size + ETH) < 0.98 * rate
    assert max_sale(base, quote, fee, rate, 0.001) == 0  # the fee alone is 0.3 %
    assert max_sale(base, quote, fee, rate, 1.0) == MAX
