"""The failure-mode library: each built-in scenario's headline effect, in the expected direction.

Some are compressed (fewer traders, shorter windows) to stay within the suite's budget;
each comparison changes only the one thing the scenario is about. The full-size
figures are in the scenario files' comments and reproducible with `xmargin sweep`.
"""

from __future__ import annotations

import pytest

from sim import world as world_module
from sim.run import run_scenario
from sim.scenario import builtin_scenarios, load_scenario, read_toml

LIBRARY = ("latency-vs-bad-debt", "relayer-outage", "partition-topups", "reorg-finality", "oracle-manipulation",
           "compromised-bridge", "duplicates-and-reorders", "cross-vs-isolated", "black-thursday",
           "black-thursday-adaptive")


def _run(tmp_path, name, *overrides, label="run"):
    result = run_scenario(load_scenario(name, overrides), tmp_path / label)
    return result


def test_every_library_scenario_says_what_it_shows_and_what_to_look_at():
    for name in LIBRARY:
        text = builtin_scenarios()[name].read_text()
        assert "Shows:" in text and "Look at:" in text, name
        assert read_toml(builtin_scenarios()[name])["description"]


@pytest.mark.slow
def test_latency_vs_bad_debt_a_slower_bridge_ends_with_more_insolvent_debt(tmp_path):
    fast = _run(tmp_path, "latency-vs-bad-debt", "bridge.latency.mean=10", label="fast")
    slow = _run(tmp_path, "latency-vs-bad-debt", "bridge.latency.mean=600", label="slow")
    assert fast.exit_code == slow.exit_code == 0
    fast_loss, slow_loss = (run.summary["insolvent_debt_usd"] for run in (fast, slow))
    assert slow_loss > 10_000 and slow_loss > 5 * fast_loss
    assert slow.summary["keepers"]["declined"] > fast.summary["keepers"]["declined"]
    assert (slow.summary["liquidations"]["liquidation_to_seizure_s"]["mean"] or 1e9) > \
        10 * fast.summary["liquidations"]["liquidation_to_seizure_s"]["mean"]


@pytest.mark.slow
def test_relayer_outage_loses_nothing_but_settles_late(tmp_path):
    compressed = ("agents.traders.count=12", "duration=5400", "prices.ETH.crash_duration=3600",
                  "prices.BTC.crash_duration=3600", "agents.traders.hold_min=3600", "agents.traders.hold_max=5400")
    crash = _run(tmp_path, "crash", *compressed, "bridge.relayers.count=1", label="crash")
    outage = _run(tmp_path, "relayer-outage", *compressed,
                  "bridge.relayers.outages=[{relayer = 0, start = 1800, end = 4200}]", label="outage")
    assert crash.exit_code == outage.exit_code == 0
    statuses = outage.summary["messages"]["by_status"]
    assert set(statuses) <= {"processed", "in_flight"} and statuses.get("in_flight", 0) <= 2  # nothing lost
    assert outage.summary["collateral_gap"] == {}
    assert outage.summary["liquidations"]["count"] > 0
    assert outage.summary["liquidations"]["liquidation_to_seizure_s"]["mean"] > \
        5 * crash.summary["liquidations"]["liquidation_to_seizure_s"]["mean"]
    assert outage.summary["liquidations"]["underwater_to_liquidation_s"]["mean"] > \
        crash.summary["liquidations"]["underwater_to_liquidation_s"]["mean"]


@pytest.mark.slow
def test_partition_topups_strands_top_ups_and_liquidates_more(tmp_path):
    cut = _run(tmp_path, "partition-topups", label="cut")
    clean = _run(tmp_path, "partition-topups", 'bridge.routes."*".partitions=[]', label="clean")
    assert cut.exit_code == clean.exit_code == 0
    assert cut.summary["top_ups"]["too_late"] > clean.summary["top_ups"]["too_late"]
    assert cut.summary["liquidations"]["count"] > clean.summary["liquidations"]["count"]


def test_reorg_finality_depth_0_credits_margin_without_collateral_and_depth_12_does_not(tmp_path):
    shallow = _run(tmp_path, "reorg-finality", "chains.0.finality_depth=0", label="depth0")
    deep = _run(tmp_path, "reorg-finality", "chains.0.finality_depth=12", label="depth12")
    assert shallow.exit_code == deep.exit_code == 0  # the injected fault is measured, not a crash
    assert shallow.summary["faults"]["unbacked_margin_usd"] > 1_000
    assert shallow.summary["faults"]["breaches"].get("no unbacked margin", 0) > 0
    assert deep.summary["faults"]["unbacked_margin_usd"] == 0
    assert deep.summary["faults"]["breaches"] == {}
    assert deep.summary["messages"]["by_status"].get("reorged", 0) > 0  # the deposits were dropped before attestation


def test_an_unbacked_credit_with_no_deep_reorg_to_explain_it_still_stops_the_run(tmp_path, monkeypatch):
    real = world_module.Invariants.check

    def inflated(self, t):
        totals = self.world.protocol.engine.credited_totals
        self.world.protocol.engine.credited_totals = lambda: {cid: v * 2 + 1 for cid, v in totals().items()}
        try:
            real(self, t)
        finally:
            self.world.protocol.engine.credited_totals = totals

    monkeypatch.setattr(world_module.Invariants, "check", inflated)
    result = _run(tmp_path, "reorg-finality", "chains.0.finality_depth=12", "faults.reorgs=[]", label="unexplained")
    assert result.exit_code == 1
    assert result.summary["invariant_violation"]["invariant"] == "no unbacked margin"


@pytest.mark.slow
def test_oracle_manipulation_one_of_five_is_outvoted_three_of_five_move_the_price(tmp_path):
    window = "start = 400, end = 1000, factor = 0.75"
    one = f'agents.reporters.behaviours=[{{reporter = 0, kind = "manipulating", {window}}}]'
    three = "agents.reporters.behaviours=[" + ", ".join(
        f'{{reporter = {i}, kind = "manipulating", {window}}}' for i in range(3)) + "]"
    compressed = ("duration=1500", "agents.traders.count=8", "agents.traders.hold_min=1300", "agents.traders.hold_max=1500")
    honest_median = _run(tmp_path, "oracle-manipulation", *compressed, one, label="one")
    captured = _run(tmp_path, "oracle-manipulation", *compressed, three, label="three")
    assert honest_median.exit_code == captured.exit_code == 0
    assert honest_median.summary["oracle"]["max_deviation_pct"] < 1.0
    assert captured.summary["oracle"]["max_deviation_pct"] > 15.0
    assert captured.summary["liquidations"]["count"] > honest_median.summary["liquidations"]["count"]


@pytest.mark.slow
def test_compromised_bridge_the_rate_limit_bounds_what_forged_releases_take(tmp_path):
    limited = _run(tmp_path, "compromised-bridge", label="limited")
    unlimited = _run(tmp_path, "compromised-bridge", "protocol.assets.USDC.rate_limit.capacity=100000000", label="open")
    assert limited.exit_code == unlimited.exit_code == 0  # the compromise is measured, not a crash
    bound = 150_000 + 10 * 1_500  # capacity + refill over the run
    assert 0 < limited.summary["faults"]["stolen_usd"] <= bound
    assert unlimited.summary["faults"]["stolen_usd"] == 1_000_000
    assert len(unlimited.summary["attack_successes"]) == 10


@pytest.mark.slow
def test_duplicates_and_reorders_execute_nothing_twice_and_end_in_the_same_books(tmp_path):
    compressed = ("agents.traders.count=4", "duration=1200", "agents.traders.hold_min=200", "agents.traders.hold_max=400")
    faulty = _run(tmp_path, "duplicates-and-reorders", *compressed, label="faulty")
    clean = _run(tmp_path, "duplicates-and-reorders", *compressed, 'bridge.routes."*".duplicate=0',
                 'bridge.routes."*".reorder_window=0', label="clean")
    assert faulty.exit_code == clean.exit_code == 0  # "executed at most once" held
    assert faulty.summary["messages"]["events"]["duplicate"] > 0
    assert faulty.summary["messages"]["events"].get("transport.reordered", 0) > 0
    assert faulty.summary["traders"]["withdrawals"] == clean.summary["traders"]["withdrawals"] == {"Released": 4}
    assert faulty.summary["vaults"] == clean.summary["vaults"]
    assert faulty.summary["engine"] == clean.summary["engine"]


@pytest.mark.slow
def test_cross_margin_liquidates_the_whole_account_isolated_margin_only_the_failing_positions(tmp_path):
    cross = _run(tmp_path, "cross-vs-isolated", "agents.traders.cross_fraction=1.0", label="cross")
    isolated = _run(tmp_path, "cross-vs-isolated", "agents.traders.cross_fraction=0.0", label="isolated")
    assert cross.exit_code == isolated.exit_code == 0
    assert cross.summary["traders"]["positions_opened"] == isolated.summary["traders"]["positions_opened"] == 28
    assert cross.summary["liquidations"]["volume_usd"] > 1.5 * isolated.summary["liquidations"]["volume_usd"]
