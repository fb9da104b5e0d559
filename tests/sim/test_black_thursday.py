"""Black Thursday, compressed: keepers bidding a fixed 60 gwei into a congested chain behind a delayed
oracle leave more debt insolvent than keepers that bid for block space with no delay, for the same seed.

The built-ins run 28 simulated hours with 100 traders; here both are compressed the same way (30
traders, a 50% fall over an hour, the surge from minute 20, a 15-minute delay so that the engine sees
the fall within the run). The full-size comparison is in the scenario files' comments and the closing
note (`xmargin compare`).
"""

from __future__ import annotations

import json

import pytest

from sim.run import run_scenario
from sim.scenario import load_scenario

CRASH = ["model='crash'", "shape=''", "crash_start=1800", "crash_drop=0.5", "crash_duration=3600"]
COMPRESSED = [
    "duration=7200", "agents.traders.count=30", "agents.traders.arrival_window=900",
    "agents.traders.hold_min=7200", "agents.traders.hold_max=7200",
    "demand.perp.windows=[{start = 1200, end = 7200, rate = 1.5, fee_scale = 6}]",
    *(f"prices.{asset}.{setting}" for asset in ("ETH", "BTC") for setting in CRASH),
]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("black-thursday")
    fixed = run_scenario(load_scenario("black-thursday", [*COMPRESSED, "protocol.oracle.delay=900"]), out / "fixed")
    adaptive = run_scenario(load_scenario("black-thursday-adaptive", COMPRESSED), out / "adaptive")
    return fixed, adaptive


@pytest.mark.slow  # two runs of about ten seconds each
def test_fixed_fee_keepers_behind_a_delayed_oracle_leave_more_debt_insolvent(runs):
    fixed, adaptive = runs
    assert fixed.exit_code == adaptive.exit_code == 0
    assert fixed.summary["insolvent_debt_usd"] > 100_000
    assert fixed.summary["insolvent_debt_usd"] > 5 * adaptive.summary["insolvent_debt_usd"]
    # what the backstop took over from the keepers' leftovers kept falling: realised bad debt, paid by insurance
    assert fixed.summary["bad_debt_usd"] > adaptive.summary["bad_debt_usd"]
    assert fixed.summary["backstop"]["taken_over_usd"] > adaptive.summary["backstop"]["taken_over_usd"]
    # why: the fixed bids wait below the base fee, the adaptive ones are re-bid until they land
    assert adaptive.summary["liquidations"]["count"] > 2 * fixed.summary["liquidations"]["count"]
    assert fixed.summary["liquidations"]["attempts"] > fixed.summary["liquidations"]["count"]
    assert fixed.summary["chains"]["perp"]["base_fee_gwei"]["p50"] > 60
    keeper_delays = adaptive.summary["chains"]["perp"]["inclusion_delay_s"]["keeper"]
    assert keeper_delays["count"] >= adaptive.summary["liquidations"]["count"] and keeper_delays["p95"] < 600


@pytest.mark.slow
def test_the_congested_chain_reports_its_fee_market(runs):
    _, adaptive = runs
    perp = adaptive.summary["chains"]["perp"]
    assert perp["base_fee_gwei"]["min"] < perp["base_fee_gwei"]["p50"] < perp["base_fee_gwei"]["max"]
    assert perp["base_fee_gwei"]["max"] > 6 * 40  # the surge bids six times the normal caps of ~40 gwei
    assert 0.4 < perp["block_fullness"] <= 1 and perp["mempool_max"] > 100
    assert perp["dropped"] == sum(perp["dropped_by_reason"].values()) > 0
    assert perp["demand"]["sent"] > 5_000
    assert {"demand", "reporter", "trader", "keeper"} <= set(perp["inclusion_delay_s"])
    assert adaptive.summary["keepers"]["gas_paid_usd"] > 0
    series = json.loads((adaptive.run_dir / "timeseries.json").read_text())
    fees = series["chains"]["perp"]["base_fee_gwei"]
    assert max(fees) > 6 * 40 and len(fees) == len(series["t"])
    assert max(series["chains"]["perp"]["mempool"]) > 100
    assert (adaptive.run_dir / "fees.png").stat().st_size > 10_000
