"""Price paths come from the seed and have the shapes their parameters promise."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings, strategies as st

from sim.prices import HISTORICAL_SHAPES, PriceModel, PricePath


def model(**fields):
    return PriceModel.from_dict({"initial": 3000, **fields}, "prices.ETH")


def test_same_seed_same_path_other_seed_other_path():
    gbm = model(volatility=0.8)
    first = PricePath.generate("ETH", gbm, 3600, seed=5).prices
    assert np.array_equal(first, PricePath.generate("ETH", gbm, 3600, seed=5).prices)
    assert not np.array_equal(first, PricePath.generate("ETH", gbm, 3600, seed=6).prices)
    assert not np.array_equal(first, PricePath.generate("BTC", gbm, 3600, seed=5).prices)


def test_a_crash_without_noise_falls_exactly_as_configured():
    crash = model(model="crash", volatility=0.0, crash_start=600, crash_drop=0.4, crash_duration=3600,
                  recovery=0.5, recovery_duration=1800)
    path = PricePath.generate("ETH", crash, 7200, seed=1)
    assert path.price_at(0) == 3000 and path.price_at(600) == 3000
    assert abs(path.price_at(4200) - 1800) < 1e-6  # -40%
    assert abs(path.price_at(6000) - 2400) < 1e-6  # half of the drop regained
    assert abs(path.max_drawdown() - 0.4) < 1e-9


def test_named_historical_shapes_reach_their_low():
    for name, points in HISTORICAL_SHAPES.items():
        path = PricePath.generate("ETH", model(model="crash", volatility=0.0, shape=name), points[-1][0] * 3600, 1)
        assert abs(path.max_drawdown() - (1 - min(level for _, level in points))) < 1e-9


def test_black_thursday_follows_the_record():
    """ETH, 12-13 March 2020: $195 -> $96; about -30% within 12 hours, a bottom of about -51% about 26 hours in."""
    hour = 3600
    shape = model(model="crash", volatility=0.0, shape="black-thursday-2020", crash_start=600)
    path = PricePath.generate("ETH", shape, 600 + 30 * hour, seed=1)
    assert HISTORICAL_SHAPES["black-thursday-2020"][-1][0] >= 26
    assert abs(path.price_at(600 + 12 * hour) / 3000 - 0.70) < 0.01
    bottom = int(np.argmin(path.prices))
    assert abs(path.prices[bottom] / 3000 - 96 / 195) < 0.01
    assert abs(bottom * shape.step - (600 + 26 * hour)) <= 0.5 * hour
    assert path.price_at(600 + 12 * hour) > path.price_at(600 + 20 * hour) > path.prices[bottom]


def test_jumps_make_a_path_fall_faster_than_its_noise_alone():
    calm = model(model="jump", volatility=0.3, jump_rate=0.0)
    jumpy = model(model="jump", volatility=0.3, jump_rate=200.0, jump_mean=-0.01, jump_stdev=0.0)
    day = 86_400
    assert PricePath.generate("ETH", jumpy, day, 3).price_at(day) < 0.5 * PricePath.generate("ETH", calm, day, 3).price_at(day)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32), volatility=st.floats(0.0, 3.0), t=st.floats(0, 10_000))
def test_prices_stay_positive_and_are_read_on_the_grid(seed, volatility, t):
    path = PricePath.generate("ETH", model(volatility=volatility, step=10), 10_000, seed)
    assert (path.prices > 0).all()
    assert path.price_at(t) == path.prices[min(int(t // 10), len(path.prices) - 1)]
