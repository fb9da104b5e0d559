"""Scenario files: the built-ins load, overrides apply, and every mistake names its key path."""

from __future__ import annotations

import pytest

from chains import ConfigError
from sim.scenario import builtin_scenarios, load_scenario

REQUIRED = {"calm", "crash", "crash-slow-bridge", "relayer-outage", "demo", "cascade", "cascade-deep"}


def test_every_required_built_in_ships_and_validates():
    assert REQUIRED <= set(builtin_scenarios())
    for name in builtin_scenarios():
        scenario = load_scenario(name)
        assert scenario.name == name and scenario.duration > 0 and scenario.description


def test_cascade_deep_is_the_cascade_with_pools_ten_times_deeper():
    cascade, deep = load_scenario("cascade"), load_scenario("cascade-deep")
    assert cascade.traders.count == deep.traders.count == 100 and cascade.prices == deep.prices
    assert cascade.reporters.pool_weight == deep.reporters.pool_weight == 0.5
    assert cascade.prices["ETH"].crash_drop == 0.20 and cascade.prices["ETH"].crash_duration == 3600
    for shallow, deeper in zip(cascade.protocol.amm.pools, deep.protocol.amm.pools):
        assert deeper.depth == 10 * shallow.depth


def test_crash_slow_bridge_is_the_crash_with_a_slow_bridge():
    crash, slow = load_scenario("crash"), load_scenario("crash-slow-bridge")
    assert slow.prices == crash.prices and slow.traders == crash.traders and slow.seed == crash.seed
    assert slow.bridge.route("perp", "vault-l1").latency.mean == 600.0
    assert crash.bridge.route("perp", "vault-l1").latency.mean == 60.0
    assert slow.bridge.route("perp", "vault-l1").spikes


def test_overrides_reach_any_value():
    scenario = load_scenario("demo", ["bridge.latency.mean=300", "agents.traders.count=3", "seed=9"])
    assert scenario.bridge.route("vault-l1", "perp").latency.mean == 300
    assert scenario.traders.count == 3 and scenario.seed == 9
    assert load_scenario("demo", seed=4).seed == 4


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["bridge.latency.mean=-5"], "demo.toml: bridge.latency.mean: must be > 0, got -5"),
        (["protocol.markets.ETH.maintenance_margin=0.06"],
         "protocol.markets.ETH.maintenance_margin: must be below initial_margin (0.05), got 0.06"),
        (["agents.traders.count=many"], "agents.traders.count: must be an integer, got 'many'"),
        (["agents.traders.leverag=3"], "agents.traders: unknown key(s) leverag"),
        (["duration=0"], "duration: must be > 0"),
        (["prices.DOGE.initial=1"], "prices: unknown key(s) DOGE"),
        (["prices.ETH.crash_drop=1.5"], "prices.ETH.crash_drop: must be <= 0.99, got 1.5"),
        (["perp_chain=mainnet"], "perp_chain: 'mainnet' is not one of the chains"),
        (["faults.reorgs=[{chain = 'perp', at = 10, depth = 0}]"], "faults.reorgs[0].depth: must be >= 1, got 0"),
        (["faults.forgeries=[{at = 10, amount = 1}]"], "faults.forgeries: needs at least bridge.validators.threshold"),
        (["agents.reporters.behaviours=[{reporter = 9, kind = 'stale'}]"],
         "agents.reporters.behaviours[0].reporter: must be <= 4, got 9"),
        (["protocol.oracle.delay=-60"], "demo.toml: protocol.oracle.delay: must be >= 0, got -60"),
        (["protocol.oracle.delay=2700"], "demo.toml: protocol.oracle.delay: 2700 s is not shorter than the run (duration = 2700 s)"),
        (["nonsense"], "expected KEY=VALUE"),
        (["protocol.amm.ETH.depth=0"], "protocol.amm.ETH.depth: must be positive, got 0"),
        (["protocol.amm.fee=0.5"], "protocol.amm.fee: must be below 0.1, got 0.5"),
        (["agents.reporters.twap_window=9000"],
         "agents.reporters.twap_window: must not be longer than the run (duration 2700 s), got 9000"),
        (["agents.reporters.pool_weight=1.5"], "agents.reporters.pool_weight: must be <= 1, got 1.5"),
        (["agents.reporters.pool_weight=-0.1"], "agents.reporters.pool_weight: must be >= 0, got -0.1"),
        (["market.impact.coefficient=-1"], "market.impact.coefficient: must be >= 0, got -1"),
        (["market.impact.model='cubic'"], "market.impact.model: must be one of 'linear', 'sqrt', got 'cubic'"),
        (["market.impact.depth.ETH=0"], "market.impact.depth.ETH: must be > 0, got 0"),
        (["agents.keepers.inventory='burn'"], "agents.keepers.inventory: must be one of 'sell', 'hold'"),
        (["protocol.adl.mode='pray'"], "protocol.adl.mode: must be one of 'adl', 'socialise'"),
        (["protocol.backstop.chain='perp'"], "protocol.backstop.chain: 'perp' is not a vault chain"),
    ],
)
def test_a_mistake_is_reported_with_its_path(overrides, message):
    with pytest.raises(ConfigError) as error:
        load_scenario("demo", overrides)
    assert message in str(error.value)


def test_mistakes_in_a_file_name_the_file_and_key(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('duration = 600\n[bridge]\nlatency = { kind = "fixed", mean = -1.0 }\n')
    with pytest.raises(ConfigError, match=r"mine.toml: bridge.latency.mean: must be >= 0"):
        load_scenario(str(path))
    path.write_text("duration = [600\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_scenario(str(path))
    with pytest.raises(ConfigError, match="not a built-in"):
        load_scenario(str(tmp_path / "absent.toml"))


def test_a_file_can_extend_a_built_in_and_cycles_are_refused(tmp_path):
    (tmp_path / "faster.toml").write_text('extends = "demo"\nname = "faster"\n[agents.traders]\ncount = 2\n')
    scenario = load_scenario(str(tmp_path / "faster.toml"))
    demo = load_scenario("demo")
    assert scenario.name == "faster" and scenario.traders.count == 2
    assert scenario.traders.leverage_max == demo.traders.leverage_max  # merged, not replaced
    (tmp_path / "a.toml").write_text('extends = "b.toml"\nduration = 10\n')
    (tmp_path / "b.toml").write_text('extends = "a.toml"\n')
    with pytest.raises(ConfigError, match="extends itself"):
        load_scenario(str(tmp_path / "a.toml"))
