"""The differential test: the demo scenario on py-evm and on revm, compared transaction by transaction.

Receipts (status, gas used, logs, revert data) of every transaction on every chain, the
balances, nonces, code and storage of every account at the end, every metric of the
summary, and the trace itself must be the same; this is what lets runs default to revm.
"""

from __future__ import annotations

from sim.differential import compare_engines
from sim.scenario import load_scenario


def test_the_demo_scenario_is_the_same_on_both_engines(tmp_path):
    comparison = compare_engines(load_scenario("demo", ()), work_dir=tmp_path)
    assert comparison.agree, comparison.describe()
    assert comparison.engines == ("pyevm", "revm")
    assert (tmp_path / "pyevm" / "trace.jsonl").read_bytes() == (tmp_path / "revm" / "trace.jsonl").read_bytes()
