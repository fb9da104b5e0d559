"""The cascade: shallow pools amplify a 20% shock, pools ten times deeper do not, for the same seed.

The built-in `cascade` runs 100 traders for two simulated hours; here both scenarios are compressed
the same way (24 traders, the fall over half an hour, pools scaled to the smaller book: 20000 USDC
against 200000, the arbitrageur's USDC to match) so the comparison stays within the test suite's
budget. The full-size comparison is in the benchmark (`python benchmarks/markets.py`).
"""

from __future__ import annotations

import pytest

from sim.run import run_scenario
from sim.scenario import load_scenario

COMPRESSED = [
    "agents.traders.count=24", "duration=3600", "prices.ETH.crash_start=900", "prices.ETH.crash_duration=1800",
    "agents.traders.arrival_window=600", "agents.traders.hold_min=3000", "agents.traders.hold_max=3600",
    "agents.arbitrageurs.capital_usd=5000",
]


def depth(usdc: int) -> list[str]:
    return [f"protocol.amm.ETH.depth={usdc}", f"protocol.amm.BTC.depth={usdc}"]


@pytest.mark.slow  # two runs of about a minute each
def test_shallow_pools_amplify_the_shock_and_deep_ones_do_not(tmp_path):
    shallow = run_scenario(load_scenario("cascade", [*COMPRESSED, *depth(20_000)], seed=7), tmp_path / "cascade")
    deep = run_scenario(load_scenario("cascade-deep", [*COMPRESSED, *depth(200_000)], seed=7), tmp_path / "deep")
    assert shallow.exit_code == deep.exit_code == 0  # conservation (pools included), backing, at-most-once
    cascade, calm = shallow.summary["market"], deep.summary["market"]
    assert cascade["exogenous_drop"] == calm["exogenous_drop"] > 0.19  # the same fundamental fall
    assert cascade["amplification"] > 1
    assert cascade["amplification"] > calm["amplification"]
    assert cascade["realised_drop"] > cascade["exogenous_drop"]
    # the drained pools are why: keepers sold seized WETH at a worse price, and a pool stayed below the reference
    assert cascade["slippage_usd"] > calm["slippage_usd"]
    assert min(p["deviation"] for p in cascade["pools"].values()) < min(p["deviation"] for p in calm["pools"].values())
    assert shallow.summary["liquidations"]["count"] > 0 and cascade["waves"] >= 1
