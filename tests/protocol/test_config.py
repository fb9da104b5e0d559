"""ProtocolConfig: the issue's defaults from ``{}``, merging, and errors that name the key path."""

from decimal import Decimal

import pytest

from chains.errors import ConfigError
from protocol.config import ProtocolConfig


def test_empty_dict_gives_the_issue_defaults():
    config = ProtocolConfig.from_dict({})
    assert config.feeds == ("USDC", "ETH", "BTC")
    usdc, eth, btc = config.assets
    assert (usdc.decimals, eth.decimals, btc.decimals) == (6, 18, 8)
    assert (usdc.haircut, eth.haircut, btc.haircut) == (Decimal("0"), Decimal("0.1"), Decimal("0.15"))
    assert [m.name for m in config.markets] == ["ETH", "BTC"]
    for market in config.markets:
        assert market.initial_margin == Decimal("0.05")
        assert market.maintenance_margin == Decimal("0.03")
        assert market.max_leverage == 20
        assert market.max_funding_velocity == 9
    assert config.liquidation.close_factor == Decimal("0.5")
    assert config.liquidation.full_close_health == Decimal("0.95")
    assert config.liquidation.bonus == Decimal("0.025")
    oracle = config.oracle
    assert (oracle.reporters, oracle.quorum, oracle.staleness, oracle.max_deviation) == (5, 3, 60, Decimal("0.05"))
    assert oracle.liquidation_staleness > oracle.staleness
    assert oracle.delay == 0  # the engine reads the aggregator directly


def test_the_close_bound_defaults_to_the_staleness_bound():
    assert ProtocolConfig.from_dict({}).oracle.close_staleness == 60
    assert ProtocolConfig.from_dict({"oracle": {"staleness": 90}}).oracle.close_staleness == 90
    assert ProtocolConfig.from_dict({"oracle": {"close_staleness": 300}}).oracle.close_staleness == 300


def test_a_table_changes_only_the_fields_it_names():
    config = ProtocolConfig.from_dict({"markets": {"ETH": {"maintenance_margin": 0.04}}})
    assert config.market("ETH").maintenance_margin == Decimal("0.04")
    assert config.market("ETH").initial_margin == Decimal("0.05")
    assert config.market("BTC").maintenance_margin == Decimal("0.03")


def test_a_new_asset_and_market_can_be_added_and_a_default_removed():
    config = ProtocolConfig.from_dict({
        "assets": {
            "BTC": {"enabled": False},
            "SOL": {"decimals": 9, "initial_price": 150, "deposit_cap": 100_000,
                    "rate_limit": {"capacity": 10_000, "refill_per_second": 1}},
        },
        "markets": {"BTC": {"enabled": False}, "SOL": {"oi_cap": 50_000, "skew_scale": 5_000_000}},
    })
    assert config.feeds == ("USDC", "ETH", "SOL")
    assert [m.name for m in config.markets] == ["ETH", "SOL"]
    assert config.asset("SOL").haircut == 0
    assert config.market("SOL").asset == "SOL"


def test_round_trip_through_to_dict():
    config = ProtocolConfig.from_dict({"fees": {"treasury_share": 0.5}})
    assert ProtocolConfig.from_dict(config.to_dict()) == config


@pytest.mark.parametrize(
    "data, message",
    [
        ({"markets": {"ETH": {"maintenance_margin": 0.06}}},
         "protocol.markets.ETH.maintenance_margin: must be below initial_margin (0.05), got 0.06"),
        ({"markets": {"ETH": {"initial_margin": 1.5}}}, "protocol.markets.ETH.initial_margin: must be a fraction at most 1"),
        ({"marktes": {}}, "protocol: unknown key(s) marktes"),
        ({"markets": {"ETH": {"leverage": 5}}}, "protocol.markets.ETH: unknown key(s) leverage"),
        ({"assets": {"ETH": {"haircut": 1}}}, "protocol.assets.ETH.haircut: must be a fraction below 1"),
        ({"assets": {"ETH": {"haircut": "ten"}}}, "protocol.assets.ETH.haircut: must be a number, got 'ten'"),
        ({"assets": {"USDC": {"decimals": 6.5}}}, "protocol.assets.USDC.decimals: must be an integer"),
        ({"assets": {"USDC": {"deposit_cap": 0.0000001}}}, "protocol.assets.USDC.deposit_cap: more than 6 decimal places"),
        ({"assets": {"USDC": {"initial_price": 0}}}, "protocol.assets.USDC.initial_price: must be positive"),
        ({"assets": {"USDC": {"pool_liquidity": -1}}}, "protocol.assets.USDC.pool_liquidity: cannot be negative"),
        ({"assets": {"USDC": {"rate_limit": {"capacity": 0, "refill_per_second": 1}}}},
         "protocol.assets.USDC.rate_limit.capacity: must be positive"),
        ({"assets": {"USDC": {"rate_limit": {"burst": 1}}}}, "protocol.assets.USDC.rate_limit: unknown key(s) burst"),
        ({"assets": {"SOL": {"decimals": 9, "initial_price": 1, "rate_limit": {"capacity": 1, "refill_per_second": 0}}}},
         "protocol.assets.SOL.deposit_cap: missing"),
        ({"assets": {"SOL": {"decimals": 9, "deposit_cap": 1}}}, "protocol.assets.SOL.rate_limit: missing"),
        ({"assets": {"ETH": {"enabled": "no"}}}, "protocol.assets.ETH.enabled: must be true or false"),
        ({"markets": {"DOGE": {"oi_cap": 1, "skew_scale": 1}}},
         "protocol.markets.DOGE.asset: must name a configured asset (BTC, ETH, USDC), got 'DOGE'"),
        ({"assets": {"ETH": {"enabled": False}}}, "protocol.markets.ETH.asset: must name a configured asset"),
        ({"oracle": {"quorum": 6}}, "protocol.oracle.quorum: must be <= 5, got 6"),
        ({"oracle": {"reporters": 0}}, "protocol.oracle.reporters: must be >= 1, got 0"),
        ({"oracle": {"staleness": 120, "liquidation_staleness": 60}},
         "protocol.oracle.liquidation_staleness: must be at least staleness (120), got 60"),
        ({"oracle": {"staleness": True}}, "protocol.oracle.staleness: must be an integer, got true"),
        ({"oracle": {"close_staleness": 30}},
         "protocol.oracle.close_staleness: must be between staleness (60) and liquidation_staleness (600), got 30"),
        ({"oracle": {"close_staleness": 900}},
         "protocol.oracle.close_staleness: must be between staleness (60) and liquidation_staleness (600), got 900"),
        ({"oracle": {"delay": -1}}, "protocol.oracle.delay: must be >= 0, got -1"),
        ({"oracle": {"delay": 1.5}}, "protocol.oracle.delay: must be an integer, got 1.5"),
        ({"oracle": {"delay": 2**32}}, "protocol.oracle.delay: must be <= 4294967295"),
        ({"liquidation": {"close_factor": 0}}, "protocol.liquidation.close_factor: must be positive"),
        ({"liquidation": {"bonus": 1.2}}, "protocol.liquidation.bonus: must be a fraction below 1"),
        ({"fees": {"treasury_share": 2}}, "protocol.fees.treasury_share: must be a fraction at most 1"),
        ({"markets": []}, "protocol.markets: must be a table"),
        ({"markets": {"ETH": {"enabled": False}, "BTC": {"enabled": False}}},
         "protocol.markets: at least one market must be configured"),
    ],
)
def test_bad_values_are_refused_naming_the_key(data, message):
    with pytest.raises(ConfigError) as caught:
        ProtocolConfig.from_dict(data)
    assert message in str(caught.value)


def test_too_many_assets_is_refused():
    assets = {f"T{i}": {"decimals": 6, "initial_price": 1, "deposit_cap": 1, "rate_limit": {"capacity": 1, "refill_per_second": 0}}
              for i in range(6)}
    with pytest.raises(ConfigError, match="protocol.assets: at most 8 assets"):
        ProtocolConfig.from_dict({"assets": assets})
