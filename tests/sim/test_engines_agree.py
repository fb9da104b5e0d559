"""The differential test: the demo scenario on py-evm and on revm, compared transaction by transaction.

Receipts (status, gas used, logs, revert data) of every transaction on every chain, the
balances, nonces, code and storage of every account at the end, every metric of the
summary, and the trace itself must be the same; this is what lets runs default to revm.
"""

from __future__ import annotations

import json

import pytest

from sim.differential import compare_engines
from sim.scenario import load_scenario


def test_the_demo_scenario_is_the_same_on_both_engines(tmp_path):
    comparison = compare_engines(load_scenario("demo", ()), work_dir=tmp_path)
    assert comparison.agree, comparison.describe()
    assert comparison.engines == ("pyevm", "revm")
    assert (tmp_path / "pyevm" / "trace.jsonl").read_bytes() == (tmp_path / "revm" / "trace.jsonl").read_bytes()


CONGESTED = ["duration=1500", "demand.perp.rate=3", "demand.perp.gas=10000000", "demand.perp.max_fee_gwei=20",
             "demand.perp.windows=[{start = 900, end = 1300, rate = 6, fee_scale = 4}]",
             "agents.keepers.fees.strategy='adaptive'", "agents.traders.fees.strategy='fixed'",
             "agents.traders.fees.gas_price_gwei=30"]


@pytest.mark.slow  # py-evm executes every background transaction too
def test_a_congested_run_with_every_fee_strategy_is_the_same_on_both_engines(tmp_path):
    comparison = compare_engines(load_scenario("demo", CONGESTED), work_dir=tmp_path)
    assert comparison.agree, comparison.describe()
    summary = json.loads((tmp_path / "revm" / "summary.json").read_text())
    perp = summary["chains"]["perp"]
    assert perp["base_fee_gwei"]["max"] > 20 and perp["mempool_max"] > 50  # it was congested: fees rose, a queue formed
