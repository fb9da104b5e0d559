"""Scenario files: the built-ins load, overrides apply, and every mistake names its key path."""

from __future__ import annotations

import pytest

from chains import ConfigError
from sim.scenario import builtin_scenarios, load_scenario

REQUIRED = {"calm", "crash", "crash-slow-bridge", "relayer-outage", "demo", "cascade", "cascade-deep",
            "black-thursday", "black-thursday-adaptive"}


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


def test_black_thursday_follows_the_record_and_its_adaptive_twin_changes_only_keeper_fees_and_the_delay():
    fixed, adaptive = load_scenario("black-thursday"), load_scenario("black-thursday-adaptive")
    path = fixed.prices["ETH"]
    assert path.shape == "black-thursday-2020" and fixed.duration >= 26 * 3600
    levels = dict(path.shape_points())
    assert levels[12 * 3600] == 0.70 and levels[26 * 3600] == 0.49  # -30% within 12 h, -51% at 26 h
    assert fixed.traders.count == 100 and fixed.protocol.oracle.delay == 3600
    assert fixed.keepers.fees.strategy == "fixed" and adaptive.keepers.fees.strategy == "adaptive"
    assert adaptive.protocol.oracle.delay == 0
    surge = fixed.demand["perp"].windows[0]
    assert surge.fee_scale >= 5 and surge.rate * fixed.demand["perp"].gas > 10_000_000 / 12  # more than a block holds
    assert adaptive.prices == fixed.prices and adaptive.traders == fixed.traders and adaptive.demand == fixed.demand


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
        (["agents.keepers.fees.gas_price_gwei=-1"], "demo.toml: agents.keepers.fees.gas_price_gwei: must be > 0, got -1"),
        (["agents.traders.fees.priority_gwei=-1"], "agents.traders.fees.priority_gwei: must be >= 0, got -1"),
        (["bridge.relayers.fees.strategy='yolo'"],
         "bridge.relayers.fees.strategy: must be one of 'fixed', 'suggested', 'adaptive', got 'yolo'"),
        (["agents.keepers.fees.bump=0.05"], "agents.keepers.fees.bump: must be >= 0.1, got 0.05"),  # geth's 10%
        (["agents.traders.fees.gas_price_gwei=3000000"], "agents.traders.fees.gas_price_gwei: must be <= 100000"),
        (["demand.perp.tip_gwei=-2"], "demand.perp.tip_gwei: must be >= 0, got -2"),
        (["demand.perp.windows=[{start = 600, end = 300, rate = 2}]"],
         "demand.perp.windows[0].end: must be after start (600), got 300"),
        (["demand.perp.gas=40000000"],
         "demand.perp.gas: 40000000 is more than a block of this chain holds (block_gas_limit 30000000)"),
        (["demand.mainnet.rate=1"], "demand.mainnet: not one of the chains (vault-l1, vault-l2, perp)"),
        (["chains=[{name='perp', chain_id=31337, block_gas_limit=20000}]"],
         "chain 'perp': block_gas_limit must hold at least one transaction's intrinsic gas (21000), got 20000"),
        (["chains=[{name='vault-l1', chain_id=31001, block_gas_limit=21000}, {name='perp', chain_id=31337}]",
          "vault_chains=['vault-l1']"],
         "chains[0].block_gas_limit: 21000 cannot hold the deployment of the bridge and the protocol"),
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
