"""The reference market off chain: the scenario's price paths are the exogenous fundamental, and forced
trading moves the price away from it through an impact model that decays.

Every forced trade of ``notional`` USD (liquidations closing positions, the backstop taking them
over, auto-deleveraging) shifts the log price by ``coefficient * f(|notional| / depth)``, down for
a sale and up for a purchase, with ``f(x) = x`` (linear) or ``sqrt(x)`` (square root, the
empirical law of market impact). The shift decays with a half-life, so the price returns to the
fundamental once forced trading stops:

    reference(t) = fundamental(t) * exp(sum of shifts, each times 2 ** (-(t - t_trade) / half_life))

``[market.impact]`` in a scenario: ``model`` ("linear" or "sqrt"), ``coefficient`` (0 turns
impact off), ``half_life`` (seconds) and ``depth`` (USD; one number for every feed or a table
per feed).
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from typing import Any, Mapping

from chains.schema import choice, join, number, reject_unknown, table
from sim.prices import PricePath

IMPACT_MODELS = ("linear", "sqrt")
IMPACT_KEYS = ("model", "coefficient", "half_life", "depth")
DEFAULT_DEPTH_USD = 100_000_000.0


@dataclass(frozen=True)
class ImpactConfig:
    model: str = "sqrt"
    coefficient: float = 0.0  # off unless a scenario sets it
    half_life: float = 1_800.0
    depth: dict[str, float] = field(default_factory=dict)  # feed -> USD; feeds not named use DEFAULT_DEPTH_USD

    @classmethod
    def from_dict(cls, data: Any, path: str, feeds: tuple[str, ...]) -> "ImpactConfig":
        data = table(data, path)
        reject_unknown(data, IMPACT_KEYS, path)
        d = cls()
        raw_depth = data.get("depth", DEFAULT_DEPTH_USD)
        where = join(path, "depth")
        if isinstance(raw_depth, Mapping):
            reject_unknown(raw_depth, feeds, where)
            depth = {feed: number(raw_depth, feed, where, DEFAULT_DEPTH_USD, above=0) for feed in feeds}
        else:
            value = number(data, "depth", path, DEFAULT_DEPTH_USD, above=0)
            depth = {feed: value for feed in feeds}
        return cls(
            model=choice(data, "model", path, IMPACT_MODELS, d.model),
            coefficient=number(data, "coefficient", path, d.coefficient, minimum=0),
            half_life=number(data, "half_life", path, d.half_life, above=0),
            depth=depth,
        )

    def shift(self, feed: str, notional: float) -> float:
        """The log-price shift of a trade of ``notional`` USD (negative: a sale)."""
        if notional == 0 or self.coefficient == 0:
            return 0.0
        x = abs(notional) / self.depth.get(feed, DEFAULT_DEPTH_USD)
        size = x if self.model == "linear" else math.sqrt(x)
        return math.copysign(self.coefficient * size, notional)


@dataclass(frozen=True)
class MarketSettings:
    """The ``[market]`` table of a scenario."""

    impact: ImpactConfig = field(default_factory=ImpactConfig)

    @classmethod
    def from_dict(cls, data: Any, path: str, feeds: tuple[str, ...]) -> "MarketSettings":
        data = table(data, path)
        reject_unknown(data, ("impact",), path)
        return cls(impact=ImpactConfig.from_dict(data.get("impact", {}), join(path, "impact"), feeds))


@dataclass
class _Impact:
    log_shift: float = 0.0
    at: float = 0.0


class ReferenceMarket:
    """The fundamental paths, moved by forced trading; read at the simulated time."""

    def __init__(self, paths: Mapping[str, PricePath], impact: ImpactConfig) -> None:
        self.paths = dict(paths)
        self.impact = impact
        self._state = {feed: _Impact() for feed in self.paths}
        self._history: dict[str, list[_Impact]] = {feed: [] for feed in self.paths}  # the state after each trade
        self.traded: dict[str, float] = {feed: 0.0 for feed in self.paths}  # signed USD, all forced trades

    def fundamental(self, feed: str, t: float) -> float:
        return self.paths[feed].price_at(t)

    def log_shift(self, feed: str, t: float) -> float:
        """The impact on the log price at ``t`` (``t`` may be in the past: the history is kept)."""
        state = self._state[feed]
        if t < state.at:
            history = self._history[feed]
            index = bisect.bisect_right([h.at for h in history], t) - 1
            state = history[index] if index >= 0 else _Impact()
        return state.log_shift * 2.0 ** (-max(0.0, t - state.at) / self.impact.half_life)

    def price(self, feed: str, t: float) -> float:
        return self.fundamental(feed, t) * math.exp(self.log_shift(feed, t))

    def trade(self, feed: str, notional: float, t: float) -> None:
        """A forced trade of ``notional`` USD in ``feed`` at ``t`` (negative: a sale)."""
        if feed not in self._state or notional == 0:
            return
        self._state[feed] = _Impact(self.log_shift(feed, t) + self.impact.shift(feed, notional), max(t, self._state[feed].at))
        self._history[feed].append(self._state[feed])
        self.traded[feed] += notional
