"""Markets that answer back, in whole worlds: a keeper's forced sale moves its pool by the constant-product
amount; arbitrage restores a pool with enough capital and not without; one manipulated pool out of
several does not move the oracle beyond its outlier bound; keepers decline what does not pay, the
backstop takes it over, auto-deleveraging covers the shortfall. Invariants hold in every world."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from chains.accounts import keyed_account
from protocol.amm import amount_out
from sim.run import run_scenario
from sim.scenario import load_scenario, parse_scenario
from sim.trace import read_trace
from sim.world import World

ETH = 10**18
QUIET = ["agents.traders.count=0", "agents.keepers.count=0"]
# a few traders, all long ETH on WETH collateral, meet a 20 % fall into shallow pools
TINY_CASCADE = [
    "agents.traders.count=6", "duration=2400", "prices.ETH.crash_start=600", "prices.ETH.crash_duration=900",
    "agents.traders.arrival_window=300", "agents.traders.hold_min=2000", "agents.traders.hold_max=2400",
    "agents.traders.collateral={ETH = 1}", "agents.traders.markets={ETH = 1}", "agents.traders.long_fraction=1",
    "agents.traders.leverage_min=10", "agents.traders.leverage_max=15", "agents.keepers.count=1",
    "agents.arbitrageurs.count=0", "protocol.amm.ETH.depth=20000", "protocol.amm.BTC.enabled=false",
]


def run_world(world: World, until: float) -> None:
    while world.env.now < until:
        world.env.run(until=min(until, world.env.now + 60))
    world.invariants.check(world.env.now)


def dump(world: World, chain: str, whole_eth: float) -> str:
    """Someone sells ``whole_eth`` WETH into the chain's ETH pool at once (minted for it, as the run knows);
    returns the seller, who then holds tokens the run's holders do not include."""
    seller = world.chains[chain].accounts[5].address
    amount = int(whole_eth * ETH)
    pool = world.protocol.pool(chain, "ETH")
    world.mint(chain, "ETH", seller, amount)
    world.protocol.token(chain, "ETH").approve(seller, pool.address, 2**256 - 1)
    pool.swap(seller, "base", amount, 0)
    return seller


@pytest.fixture(scope="module")
def tiny_cascade(tmp_path_factory):
    result = run_scenario(load_scenario("cascade", TINY_CASCADE), tmp_path_factory.mktemp("markets") / "tiny")
    assert result.exit_code == 0, result.summary["invariant_violation"]
    return result


@pytest.mark.slow  # the tiny cascade runs about a minute
def test_a_forced_sale_moves_the_pool_by_the_constant_product_amount(tiny_cascade):
    # no arbitrageur in this world: every swap is the keeper selling seized WETH
    keeper = keyed_account("keeper-0", load_scenario("cascade").seed).address
    trace = read_trace(tiny_cascade.run_dir / "trace.jsonl")
    events = [e for e in trace if e["kind"] == "event"]
    started = next(e for e in trace if e["kind"] == "agent" and e["action"] == "started")
    # each pool's reserves, update by update, from those it started the run with
    syncs: dict[str, list[tuple[int, int]]] = {key: [tuple(reserves)] for key, reserves in started["pools"].items()}
    sales = 0
    for event in events:
        if event["event"] == "Sync":
            syncs.setdefault(event["pool"], []).append((event["reserve_base"], event["reserve_quote"]))
        elif event["event"] == "Swap":  # logged after the swap's own Sync
            assert event["sender"] == keeper
            (base, quote), after = syncs[event["pool"]][-2:]
            assert event["amount_out"] == amount_out(event["amount_in"], base, quote, 3_000)
            assert after == (base + event["amount_in"], quote - event["amount_out"])
            sales += 1
    summary = tiny_cascade.summary
    assert sales == summary["market"]["forced_sales"]["keeper_pool_sales"] > 0
    assert summary["market"]["forced_sales_usd"] >= summary["market"]["forced_sales"]["keeper_pool_sales_usd"] > 0
    assert summary["market"]["slippage_usd"] > 0  # selling into a 20000-USDC pool costs a keeper
    assert summary["keepers"]["pnl_usd"] > 0


@pytest.mark.slow
def test_a_run_directory_holds_pool_prices_and_reserves_and_every_market_metric(tiny_cascade):
    series = json.loads((tiny_cascade.run_dir / "timeseries.json").read_text())
    assert set(series["pools"]) == {"vault-l1:ETH", "vault-l2:ETH"}
    pool = series["pools"]["vault-l1:ETH"]
    assert len(pool["price"]) == len(pool["base_reserve"]) == len(pool["quote_reserve"]) == len(series["t"])
    assert pool["quote_reserve"][0] == pytest.approx(20_000)
    assert set(series["reference"]) == set(series["prices"]) == {"USDC", "ETH", "BTC"}
    summary = tiny_cascade.summary
    market = summary["market"]
    for key in ("exogenous_drop", "realised_drop", "amplification", "forced_sales_usd", "slippage_usd", "waves"):
        assert key in market
    assert market["feed"] == "ETH" and market["exogenous_drop"] > 0.15 and market["waves"] >= 1
    assert {"pnl_usd", "declined"} <= set(summary["keepers"])
    assert {"count", "volume_usd"} <= set(summary["adl"]) and "taken_over_usd" in summary["backstop"]
    assert summary["invariant_checks"] > 10


@pytest.mark.slow  # about 30 s
def test_arbitrage_restores_a_pool_with_enough_capital_and_not_without(tmp_path):
    scenario = load_scenario("demo", [*QUIET, "duration=1500", "agents.arbitrageurs.capital_usd=20000",
                                      "agents.arbitrageurs.inventory_usd=0", "agents.arbitrageurs.latency=2",
                                      "agents.arbitrageurs.check_interval=10", "prices.ETH.crash_start=5000",
                                      "prices.ETH.volatility=0", "protocol.amm.BTC.enabled=false"])
    world = World(scenario, tmp_path)
    run_world(world, world.env.now + 30)  # the arbitrageur's 20000 USDC on each chain is minted and approved
    # in the 1M-USDC pools, 5 WETH sold into vault-l2 takes ~15000 USDC to buy back; 60 WETH into
    # vault-l1 takes ~170000, far beyond what the arbitrageur holds there
    sellers = [dump(world, "vault-l2", 5), dump(world, "vault-l1", 60)]
    run_world(world, world.env.now + 900)
    reference = world.price("ETH")
    restored, stranded = world.pool_watch.price("vault-l2:ETH"), world.pool_watch.price("vault-l1:ETH")
    assert abs(restored / reference - 1) < 0.01  # back within the fee and the arbitrageur's minimum profit
    assert stranded / reference < 0.85  # still far below: the arbitrageur spent what it had
    usdc_left = world.protocol.token("vault-l1", "USDC").balance_of(world.arbitrageurs[0].address)
    assert usdc_left < 0.01 * 20_000 * 10**6
    world.invariants.check_holders(world.env.now, [*world.holders(), *sellers])


def three_vault_chains(sources: str) -> dict:
    chains = [
        {"name": "vault-l1", "chain_id": 31_001, "block_time": 12, "finality_depth": 2},
        {"name": "vault-l2", "chain_id": 31_002, "block_time": 2, "finality_depth": 1},
        {"name": "vault-l3", "chain_id": 31_003, "block_time": 2, "finality_depth": 1},
        {"name": "perp", "chain_id": 31_337, "block_time": 1, "finality_depth": 1},
    ]
    return {
        "name": "manipulated-pool", "seed": 5, "duration": 1800, "chains": chains,
        "protocol": {"assets": {"BTC": {"enabled": False}}, "markets": {"BTC": {"enabled": False}}},
        "prices": {"ETH": {"volatility": 0.0}},
        "bridge": {"latency": {"kind": "fixed", "mean": 5.0}},
        "agents": {"traders": {"count": 0}, "keepers": {"count": 0}, "arbitrageurs": {"count": 0},
                   "reporters": {"pool_weight": 1.0, "twap_window": 120, "pool_sources": sources, "noise": 0.0005}},
    }


def test_one_manipulated_pool_out_of_several_does_not_move_the_oracle_beyond_the_outlier_bound(tmp_path):
    # every reporter quotes the pools alone (weight 1); reporter i reads the pool on vault chain i mod 3,
    # so two of the five read vault-l1's pool, which is dumped to half its price and held there
    world = World(parse_scenario(three_vault_chains("own")), tmp_path)
    run_world(world, world.env.now + 60)
    seller = dump(world, "vault-l1", 140)  # 333 WETH / 1M USDC: selling 140 more halves the price
    run_world(world, world.env.now + 400)
    oracle = world.protocol.oracle
    reference = world.price("ETH")
    assert world.pool_watch.price("vault-l1:ETH") < 0.55 * reference
    misled = [world.reporters[i] for i in (0, 3)]
    assert all(r.market_price("ETH") < 0.6 * reference for r in misled)  # the manipulation reached them
    state = oracle.feed_state("ETH")
    max_deviation = float(world.scenario.protocol.oracle.max_deviation)
    assert abs(state.price / 10**18 / reference - 1) < max_deviation
    assert state.used_reports == 3  # the two misled reports were dropped as outliers
    # a reporter reading every pool takes their median TWAP: the one manipulated pool does not move it
    for reporter in world.reporters:
        reporter.config = replace(reporter.config, pool_sources="all")
    assert all(abs(r.market_price("ETH") / reference - 1) < 0.01 for r in world.reporters)
    world.invariants.check_holders(world.env.now, [*world.holders(), seller])


@pytest.mark.slow
def test_keepers_decline_what_does_not_pay_the_backstop_takes_it_over_and_adl_covers_the_shortfall(tmp_path):
    # a 30 % fall within 20 seconds leaves the 15-20x longs far under water: nothing is left for a bonus
    overrides = [
        "agents.traders.count=6", "duration=1800", "agents.traders.arrival_window=200",
        "agents.traders.hold_min=1500", "agents.traders.hold_max=1800", "agents.traders.collateral={USDC = 1}",
        "agents.traders.markets={ETH = 1}", "agents.traders.long_fraction=0.5", "agents.traders.leverage_min=15",
        "agents.traders.leverage_max=19", "agents.traders.top_up_health=0",
        "prices.ETH.crash_start=700", "prices.ETH.crash_duration=20", "prices.ETH.crash_drop=0.3",
        "prices.ETH.recovery=0", "prices.ETH.volatility=0",
        "protocol.assets.USDC.insurance_liquidity=0", "protocol.backstop.capital=500000",
        "agents.backstop.grace_period=60", "agents.keepers.count=1",
    ]
    result = run_scenario(load_scenario("demo", overrides), tmp_path / "backstop")
    summary = result.summary
    assert result.exit_code == 0, summary["invariant_violation"]
    assert summary["keepers"]["declined"] >= 1
    assert summary["backstop"]["count"] >= 1 and summary["backstop"]["taken_over_usd"] > 0
    assert summary["adl"]["count"] >= 1 and summary["adl"]["recovered_usd"] > 0
    engine = summary["engine"]
    # bad debt is accounted, never hidden: insurance + recovered by ADL + still uncovered
    assert engine["bad_debt_usd"] == pytest.approx(
        engine["insurance_drawn_usd"] + summary["adl"]["recovered_usd"] + engine["uncovered_bad_debt_usd"], abs=0.02)
    trace = read_trace(Path(result.run_dir) / "trace.jsonl")
    assert any(e["kind"] == "event" and e["event"] == "Deleveraged" for e in trace)
