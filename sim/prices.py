"""Price paths: geometric Brownian motion, jump diffusion, and crash shapes, all from the seed.

A path is sampled on a fixed grid (``step`` seconds) for the whole run and read with
``price_at(t)`` (the last grid point at or before ``t``). Crash paths are a
piecewise-linear shape in log price (a drop of X% over T, an optional recovery, or a
named historical shape) with GBM noise, and optionally jumps, on top.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from chains.errors import ConfigError
from chains.schema import choice, join, number, reject_unknown, string, table
from chains.seeding import derive_rng

SECONDS_PER_YEAR = 365.25 * 24 * 3600

# Approximate shapes of historical crashes: (hours since start, price relative to start).
HISTORICAL_SHAPES: dict[str, tuple[tuple[float, float], ...]] = {
    # ETH on 12-13 March 2020, $195 -> $96: -30% within 12 hours, a slide through the night and a
    # bottom of -51% about 26 hours in, then a partial rebound.
    "black-thursday-2020": (
        (0, 1.0), (4, 0.97), (8, 0.90), (10, 0.80), (12, 0.70), (15, 0.65), (18, 0.62), (21, 0.60),
        (24, 0.55), (26, 0.49), (28, 0.56), (30, 0.62),
    ),
    # ETH on 19 May 2021: about -40% intraday, half of it regained by the evening.
    "may-19-2021": ((0, 1.0), (4, 0.86), (7, 0.62), (9, 0.70), (14, 0.78), (24, 0.80)),
    # LUNA/UST week, May 2022, on a major collateral asset: a stepwise slide of about -35%.
    "luna-may-2022": ((0, 1.0), (24, 0.90), (48, 0.80), (72, 0.70), (96, 0.66), (120, 0.65)),
}

MODELS = ("gbm", "jump", "crash")
PRICE_KEYS = (
    "model", "initial", "drift", "volatility", "step",
    "jump_rate", "jump_mean", "jump_stdev",
    "crash_start", "crash_drop", "crash_duration", "recovery", "recovery_duration", "shape",
)


@dataclass(frozen=True)
class PriceModel:
    model: str = "gbm"
    initial: float = 1.0
    drift: float = 0.0
    volatility: float = 0.5
    step: float = 10.0
    jump_rate: float = 0.0  # expected jumps per day
    jump_mean: float = 0.0  # mean of log jump size
    jump_stdev: float = 0.0
    crash_start: float = 0.0  # seconds
    crash_drop: float = 0.0  # fraction, 0.4 = -40%
    crash_duration: float = 0.0  # seconds
    recovery: float = 0.0  # fraction of the drop regained
    recovery_duration: float = 0.0  # seconds
    shape: str = ""  # a HISTORICAL_SHAPES name, instead of crash_drop/duration

    @classmethod
    def from_dict(cls, data: Any, path: str) -> "PriceModel":
        data = table(data, path)
        reject_unknown(data, PRICE_KEYS, path)
        model = choice(data, "model", path, MODELS, default="gbm")
        values: dict[str, Any] = {
            "model": model,
            "initial": number(data, "initial", path, above=0),
            "drift": number(data, "drift", path, default=0.0, minimum=-10, maximum=10),
            "volatility": number(data, "volatility", path, default=0.5, minimum=0, maximum=20),
            "step": number(data, "step", path, default=10.0, minimum=1, maximum=86_400),
        }
        jump_keys = ("jump_rate", "jump_mean", "jump_stdev")
        crash_keys = ("crash_start", "crash_drop", "crash_duration", "recovery", "recovery_duration", "shape")
        _only_for(data, path, model, ("jump", "crash"), jump_keys)
        _only_for(data, path, model, ("crash",), crash_keys)
        if model == "jump" or (model == "crash" and any(k in data for k in jump_keys)):
            values["jump_rate"] = number(data, "jump_rate", path, default=4.0, minimum=0)
            values["jump_mean"] = number(data, "jump_mean", path, default=-0.03, minimum=-5, maximum=5)
            values["jump_stdev"] = number(data, "jump_stdev", path, default=0.02, minimum=0, maximum=5)
        if model == "crash":
            values["crash_start"] = number(data, "crash_start", path, default=0.0, minimum=0)
            values["shape"] = string(data, "shape", path, default="")
            if values["shape"]:
                if values["shape"] not in HISTORICAL_SHAPES:
                    raise ConfigError(
                        f"{join(path, 'shape')}: unknown shape {values['shape']!r}; "
                        f"known: {', '.join(HISTORICAL_SHAPES)}"
                    )
                for key in ("crash_drop", "crash_duration", "recovery", "recovery_duration"):
                    if key in data:
                        raise ConfigError(f"{join(path, key)}: not used with a named shape")
            else:
                values["crash_drop"] = number(data, "crash_drop", path, minimum=0, maximum=0.99)
                values["crash_duration"] = number(data, "crash_duration", path, above=0)
                values["recovery"] = number(data, "recovery", path, default=0.0, minimum=0, maximum=1)
                values["recovery_duration"] = number(data, "recovery_duration", path, default=0.0, minimum=0)
                if values["recovery"] > 0 and values["recovery_duration"] <= 0:
                    raise ConfigError(f"{join(path, 'recovery_duration')}: must be > 0 when recovery is set")
        return cls(**values)

    def shape_points(self) -> tuple[tuple[float, float], ...]:
        """The crash's deterministic skeleton: (seconds, price multiplier) points."""
        if self.model != "crash":
            return ((0.0, 1.0),)
        start = self.crash_start
        if self.shape:
            return tuple((start + hours * 3600, level) for hours, level in HISTORICAL_SHAPES[self.shape])
        bottom = 1.0 - self.crash_drop
        points = [(0.0, 1.0), (start, 1.0), (start + self.crash_duration, bottom)]
        if self.recovery > 0:
            points.append((start + self.crash_duration + self.recovery_duration, bottom + self.recovery * self.crash_drop))
        return tuple(points)


def _only_for(data: Mapping[str, Any], path: str, model: str, wanted: tuple[str, ...], keys: tuple[str, ...]) -> None:
    if model not in wanted:
        for key in keys:
            if key in data:
                models = " or ".join(f'"{w}"' for w in wanted)
                raise ConfigError(f"{join(path, key)}: only used with model = {models} (this path is {model!r})")


@dataclass
class PricePath:
    """A sampled path: ``prices[i]`` holds from ``i * step`` seconds on."""

    asset: str
    model: PriceModel
    prices: np.ndarray = field(repr=False)

    @classmethod
    def generate(cls, asset: str, model: PriceModel, duration: float, seed: int) -> "PricePath":
        steps = int(math.ceil(duration / model.step)) + 1
        rng = np.random.default_rng(derive_rng(seed, "price", asset).getrandbits(64))
        dt = model.step / SECONDS_PER_YEAR
        sigma = model.volatility
        shocks = rng.standard_normal(steps - 1)
        log_steps = (model.drift - 0.5 * sigma * sigma) * dt + sigma * math.sqrt(dt) * shocks
        if model.jump_rate > 0:
            jump_probability = model.jump_rate * model.step / 86_400
            counts = rng.poisson(jump_probability, steps - 1)
            sizes = rng.normal(model.jump_mean, model.jump_stdev, steps - 1)
            log_steps = log_steps + counts * sizes
        noise = np.concatenate(([0.0], np.cumsum(log_steps)))
        times = np.arange(steps) * model.step
        points = model.shape_points()
        skeleton = np.interp(times, [p[0] for p in points], [math.log(p[1]) for p in points])
        return cls(asset, model, model.initial * np.exp(noise + skeleton))

    def price_at(self, t: float) -> float:
        index = min(int(t // self.model.step), len(self.prices) - 1)
        return float(self.prices[max(index, 0)])

    def max_drawdown(self) -> float:
        peaks = np.maximum.accumulate(self.prices)
        return float(np.max(1.0 - self.prices / peaks))
