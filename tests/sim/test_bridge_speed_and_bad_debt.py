"""A slow bridge costs the protocol: the same crash and seed end with more bad debt.

The built-in `crash` runs 6.5 simulated hours; here both scenarios are compressed the
same way (24 traders, the 40% fall over one hour) so the comparison stays within the
test suite's budget. The full-size comparison is in the closing note of the simulation
issue and reproducible with `xmargin run crash` / `xmargin run crash-slow-bridge`.
"""

from __future__ import annotations

import pytest

from sim.run import run_scenario
from sim.scenario import load_scenario

COMPRESSED = [
    "agents.traders.count=24",
    "duration=5400",
    "prices.ETH.crash_duration=3600",
    "prices.BTC.crash_duration=3600",
    "agents.traders.hold_min=1800",
    "agents.traders.hold_max=3600",
    "bridge.routes.'*'.spikes=[{start = 2400, end = 4200, extra = 900}]",
]


@pytest.mark.slow
def test_crash_slow_bridge_ends_with_more_bad_debt_than_crash_for_the_same_seed(tmp_path):
    fast = run_scenario(load_scenario("crash", COMPRESSED[:-1], seed=11), tmp_path / "crash")
    slow = run_scenario(load_scenario("crash-slow-bridge", COMPRESSED, seed=11), tmp_path / "slow")
    assert fast.exit_code == slow.exit_code == 0
    assert fast.summary["liquidations"]["count"] > 0
    assert slow.summary["bad_debt_usd"] > fast.summary["bad_debt_usd"]
    fast_settle = fast.summary["liquidations"]["liquidation_to_seizure_s"]["mean"]
    slow_settle = slow.summary["liquidations"]["liquidation_to_seizure_s"]["mean"]
    assert slow_settle > 5 * fast_settle
