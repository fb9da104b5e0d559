"""BridgeConfig.from_dict: defaults, per-route overrides, and errors that name the key path."""

from __future__ import annotations

import pytest

from chains.errors import ConfigError
from bridge.config import BridgeConfig, RouteConfig, Spike, Window
from bridge.latency import FixedLatency, LognormalLatency, UniformLatency
from bridge.topology import build_topology


def test_an_empty_table_is_a_fault_free_bridge():
    config = BridgeConfig.from_dict({})
    assert config.mode == "multisig"
    assert config.validators.count == 5 and config.validators.threshold == 3
    assert config.relayers.count == 1
    route = config.route("perp", "vault-l1")
    assert route == RouteConfig(latency=FixedLatency(1.0))
    assert not route.partitioned(10) and route.spike_extra(10) == 0


def test_routes_take_the_default_latency_then_the_wildcard_then_their_own_table():
    config = BridgeConfig.from_dict(
        {
            "latency": {"kind": "uniform", "low": 1, "high": 3},
            "routes": {
                "*": {"drop": 0.1, "duplicate": 0.2},
                "perp->vault-l1": {"drop": 0.5, "latency": {"kind": "lognormal", "mean": 2, "sigma": 0.5},
                                   "partitions": [[10, 20], {"start": 30, "end": 40}],
                                   "spikes": [{"start": 0, "end": 5, "extra": 7}]},
            },
        }
    )
    other = config.route("vault-l1", "perp")
    assert other.latency == UniformLatency(1, 3) and other.drop == 0.1 and other.duplicate == 0.2
    named = config.route("perp", "vault-l1")
    assert named.latency == LognormalLatency(2, 0.5)
    assert named.drop == 0.5 and named.duplicate == 0.2
    assert named.partitions == (Window(10, 20), Window(30, 40))
    assert named.spikes == (Spike(0, 5, 7),)
    assert named.partitioned(15) and not named.partitioned(20)
    assert named.heals_at(12) == 20


def test_per_source_modes_override_the_default():
    config = BridgeConfig.from_dict({"mode": "checkpoint", "source_modes": {"perp": "multisig"}})
    assert config.mode_for("perp") == "multisig"
    assert config.mode_for("vault-l1") == "checkpoint"


@pytest.mark.parametrize(
    "data, message",
    [
        ({"routes": {"perp->vault-l1": {"latency": {"mean": -5}}}},
         "bridge.routes.perp->vault-l1.latency.mean: must be >= 0, got -5"),
        ({"mode": "optimistic"}, "bridge.mode: must be one of 'multisig', 'checkpoint', got 'optimistic'"),
        ({"validators": {"count": 3, "threshold": 4}}, "bridge.validators.threshold: must be <= 3, got 4"),
        ({"validators": {"count": 0}}, "bridge.validators.count: must be >= 1, got 0"),
        ({"validators": {"threshold": 2.5}}, "bridge.validators.threshold: must be an integer, got 2.5"),
        ({"validators": {"compromised": [5]}}, "bridge.validators.compromised[0]: must be a validator index from 0 to 4, got 5"),
        ({"validators": {"offline": [{"validator": 1, "start": 5, "end": 2}]}},
         "bridge.validators.offline[0].end: must be after start (5), got 2"),
        ({"routes": {"*": {"drop": 1.5}}}, "bridge.routes.*.drop: must be <= 1, got 1.5"),
        ({"routes": {"*": {"duplicate": True}}}, "bridge.routes.*.duplicate: must be a number, got true"),
        ({"routes": {"perp": {}}}, 'bridge.routes.perp: a route is named "source->destination"'),
        ({"routes": {"perp->perp": {}}}, "bridge.routes.perp->perp: a route joins two different chains"),
        ({"routes": {"*": {"partitions": [[3]]}}}, "bridge.routes.*.partitions[0]: a window is [start, end]"),
        ({"routes": {"*": {"spikes": [{"start": 0, "end": 1}]}}}, "bridge.routes.*.spikes[0]: missing extra"),
        ({"latency": {"kind": "uniform", "low": 2}}, "bridge.latency: a uniform latency needs low and high"),
        ({"latency": {"kind": "uniform", "low": 2, "high": 1}}, "bridge.latency.high: must be >= low (2), got 1"),
        ({"latency": {"kind": "lognormal", "mean": 0, "sigma": 1}}, "bridge.latency.mean: must be > 0, got 0"),
        ({"latency": {"kind": "fixed", "sigma": 1}}, "bridge.latency: unknown key(s) sigma"),
        ({"relayers": {"poll_interval": 0}}, "bridge.relayers.poll_interval: must be > 0, got 0"),
        ({"relayers": {"outages": [{"relayer": 1, "start": 1, "end": 2}]}},
         "bridge.relayers.outages[0].relayer: must be a relayer index from 0 to 0, got 1"),
        ({"relayers": {"retry_backoff": 10, "max_backoff": 5}}, "bridge.relayers.max_backoff: must be >= retry_backoff (10), got 5"),
        ({"relayer": {}}, "bridge: unknown key(s) relayer"),
        ({"validators": {"quorum": 2}}, "bridge.validators: unknown key(s) quorum"),
        ({"validators": []}, "bridge.validators: must be a table"),
    ],
)
def test_errors_name_the_key_path(data, message):
    with pytest.raises(ConfigError) as error:
        BridgeConfig.from_dict(data)
    assert str(error.value).startswith(message)


def test_routes_and_modes_must_name_existing_chains():
    config = BridgeConfig.from_dict({"routes": {"perp->moon": {"drop": 0.1}}})
    with pytest.raises(ConfigError, match="bridge.routes.perp->moon: unknown chain 'moon'"):
        config.check_chains(["perp", "vault-l1"])
    config = BridgeConfig.from_dict({"source_modes": {"moon": "checkpoint"}})
    with pytest.raises(ConfigError, match="bridge.source_modes.moon: unknown chain"):
        config.check_chains(["perp"])


def test_the_topology_has_a_route_for_every_ordered_pair():
    config = BridgeConfig.from_dict({"routes": {"a->b": {"drop": 0.3}}})
    graph = build_topology(["a", "b", "c"], config)
    assert sorted(graph.edges) == [("a", "b"), ("a", "c"), ("b", "a"), ("b", "c"), ("c", "a"), ("c", "b")]
    assert graph.edges["a", "b"]["route"].drop == 0.3
    assert graph.edges["b", "a"]["route"].drop == 0.0


def test_a_scenario_toml_table_is_accepted_as_written():
    import tomllib

    scenario = tomllib.loads(
        """
        [bridge]
        mode = "checkpoint"
        source_modes = { perp = "multisig" }
        latency = { kind = "lognormal", mean = 2.0, sigma = 0.6 }

        [bridge.validators]
        count = 7
        threshold = 5
        offline = [{ validator = 2, start = 100, end = 250 }]
        equivocating = [3]
        compromised = [0, 1]

        [bridge.routes."*"]
        drop = 0.01

        [bridge.routes."perp->vault-l1"]
        duplicate = 0.05
        reorder_window = 4.0
        corrupt = 0.001
        partitions = [[300, 420]]
        spikes = [{ start = 50, end = 60, extra = 30 }]

        [bridge.relayers]
        count = 2
        outages = [{ relayer = 1, start = 10, end = inf }]
        """
    )
    config = BridgeConfig.from_dict(scenario["bridge"])
    assert config.validators.threshold == 5 and config.validators.compromised == (0, 1)
    assert config.route("perp", "vault-l1").partitions == (Window(300, 420),)
    assert config.route("vault-l2", "perp").drop == 0.01
    assert config.relayers.outages[0].end == float("inf")
