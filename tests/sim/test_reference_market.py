"""The reference market: the fundamental path moved by forced trading, linear or square-root impact, decaying."""

from __future__ import annotations

import math

import pytest

from sim.prices import PriceModel, PricePath
from sim.reference import ImpactConfig, ReferenceMarket


def flat(price: float = 2_000.0) -> dict[str, PricePath]:
    model = PriceModel(initial=price, volatility=0.0)
    return {"ETH": PricePath.generate("ETH", model, 7_200, seed=1)}


def test_without_impact_the_reference_is_the_fundamental():
    market = ReferenceMarket(flat(), ImpactConfig(coefficient=0.0))
    market.trade("ETH", -5_000_000, 100)
    assert market.price("ETH", 200) == market.fundamental("ETH", 200) == 2_000.0


@pytest.mark.parametrize(("model", "shift"), [("linear", 0.5 * 0.01), ("sqrt", 0.5 * 0.1)])
def test_a_forced_sale_moves_the_price_by_the_model_over_the_depth(model, shift):
    impact = ImpactConfig(model=model, coefficient=0.5, half_life=600, depth={"ETH": 100_000_000})
    market = ReferenceMarket(flat(), impact)
    market.trade("ETH", -1_000_000, 100)  # 1 % of the depth
    assert market.price("ETH", 100) == pytest.approx(2_000 * math.exp(-shift))
    market.trade("ETH", 1_000_000, 100)  # a purchase of the same size undoes it
    assert market.price("ETH", 100) == pytest.approx(2_000)


def test_impact_decays_with_its_half_life_and_the_past_is_kept():
    impact = ImpactConfig(model="linear", coefficient=1.0, half_life=600, depth={"ETH": 1_000_000})
    market = ReferenceMarket(flat(), impact)
    market.trade("ETH", -100_000, 1_000)  # a 10 % shift of the log price
    market.trade("ETH", -100_000, 1_600)  # half of the first is left, plus a new one
    assert market.log_shift("ETH", 1_600) == pytest.approx(-0.15)
    assert market.log_shift("ETH", 2_200) == pytest.approx(-0.075)
    assert market.log_shift("ETH", 1_300) == pytest.approx(-0.1 * 2**-0.5)  # between the two, as it was then
    assert market.log_shift("ETH", 900) == 0.0
    assert market.traded["ETH"] == -200_000
