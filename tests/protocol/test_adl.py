"""After the insurance fund: auto-deleveraging closes the ranked opposite positions, their profit pays the
uncovered bad debt down, and the bad debt stays recorded; the Deleverager's checks, and socialised loss."""

from __future__ import annotations

from chains import confirm
from protocol.deleverager import rank_for_deleveraging
from protocol.units import WAD, to_wad

# no fees, no funding drift, no insurance: every shortfall is uncovered
PROTOCOL_CONFIG = {
    "assets": {"USDC": {"insurance_liquidity": 0}},
    "markets": {
        "ETH": {"trading_fee": 0, "max_funding_velocity": 0},
        "BTC": {"trading_fee": 0, "max_funding_velocity": 0},
    },
}
SHORTS = {"bob": (2_000, 5), "carol": (2_000, 10), "dave": (500, 2)}  # USDC margin, ETH short


def bankrupt_alice(w):
    """alice: 2000 USDC, long 20 ETH at $2000; three shorts; at $1700 alice loses 6000: bad debt 4000."""
    w.prices(USDC=1, ETH=2000, BTC=50_000)
    w.deposit("alice", "vault-l1", "USDC", 2_000)
    w.trade("alice", "ETH", 20)
    for user, (margin, size) in SHORTS.items():
        w.deposit(user, "vault-l2", "USDC", margin)
        w.trade(user, "ETH", -size)
    w.prices(USDC=1, ETH=1700, BTC=50_000)
    w.liquidate("keeper", "alice")
    totals = w.engine.totals()
    assert (totals.bad_debt, totals.insurance_drawn, totals.uncovered_bad_debt) == (4_000 * WAD, 0, 4_000 * WAD)


def ranked(w):
    states = [w.bucket(user) for user in SHORTS]
    return rank_for_deleveraging(states, "ETH", side=-1)


def operator(w):
    return w.d.deployers["perp"]


def test_adl_closes_the_ranked_positions_and_leaves_the_bad_debt_recorded(world):
    w = world
    bankrupt_alice(w)
    # at $1700: carol +3000 on equity 5000, notional 17000 (score 10200); bob +1500, 3500, 8500 (3643);
    # dave +600, 1100, 3400 (1855)
    order = ranked(w)
    names = {w.user(u).address: u for u in SHORTS}
    assert [names[c.account] for c in order] == ["carol", "bob", "dave"]
    assert [c.score // WAD for c in order] == [10_200, 3_642, 1_854]
    start = w.perp.head_number + 1
    confirm(w.perp, w.d.deleverager.deleverage(operator(w), "ETH", -1, [(c.account, c.bucket) for c in order]))
    w.bridge.flush()

    steps = [e for e in w.d.deleverager.events_in_blocks(start) if type(e).__name__ == "Deleveraged"]
    # carol's whole position (3000 of profit) and then a third of bob's (1000 of his 1500); dave untouched
    assert [(names[e.account], e.recovered // WAD) for e in steps] == [("carol", 3_000), ("bob", 1_000)]
    assert steps[0].size_delta == to_wad(10) and steps[1].size_delta == (5 * WAD * 1_000 + 1_500 - 1) // 1_500
    assert steps[-1].uncovered_after == 0
    totals = w.engine.totals()
    assert (totals.bad_debt, totals.insurance_drawn, totals.uncovered_bad_debt) == (4_000 * WAD, 0, 0)
    adl = w.d.deleverager.totals()
    assert (adl.steps, adl.recovered) == (2, 4_000 * WAD)
    assert adl.closed_notional == 1_700 * (10 * WAD + steps[1].size_delta)
    carol, bob, dave = w.bucket("carol"), w.bucket("bob"), w.bucket("dave")
    assert carol.positions == () and carol.balance == 0  # her profit paid the debt, nothing was credited
    assert bob.position("ETH").size == -5 * WAD + steps[1].size_delta
    assert 0 <= bob.balance < 10**3  # the rounding of the closed size, in wei
    assert dave.position("ETH").size == -2 * WAD and dave.balance == 0
    for chain in w.d.vault_chains:
        assert w.ledger(chain, "USDC").conserved


def test_the_deleverager_checks_side_ranking_profit_and_caller(world, revert):
    w = world
    perp, adl = w.perp, w.d.deleverager
    revert(perp, adl.deleverage(operator(w), "ETH", -1, [(w.user("bob").address, 0)]), "no uncovered bad debt")
    bankrupt_alice(w)
    order = [(c.account, c.bucket) for c in ranked(w)]
    before = w.state_fingerprint()
    revert(perp, adl.deleverage(operator(w), "ETH", -1, order[::-1]), "targets are not ranked by profit times leverage")
    revert(perp, adl.deleverage(operator(w), "ETH", 1, order), "target is not on the deleveraged side")
    revert(perp, adl.deleverage(w.user("bob"), "ETH", -1, order), "only an operator")
    revert(perp, w.engine.contract.functions.deleverage(order[0][0], 0, 0, 1).transact(
        {"from": w.user("bob").address, "gas": 500_000}), "only the deleverager")
    assert w.state_fingerprint() == before


def test_socialised_loss_leaves_the_shortfall_with_the_pool(make_world, revert):
    w = make_world({**PROTOCOL_CONFIG, "adl": {"mode": "socialise"}})
    assert w.d.deleverager.mode() == "socialise"
    bankrupt_alice(w)
    order = [(c.account, c.bucket) for c in ranked(w)]
    revert(w.perp, w.d.deleverager.deleverage(operator(w), "ETH", -1, order), "losses are socialised")
    totals = w.engine.totals()
    assert (totals.bad_debt, totals.uncovered_bad_debt) == (4_000 * WAD, 4_000 * WAD)
