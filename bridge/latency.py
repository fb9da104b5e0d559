"""Latency models for a route: how long a packet takes, drawn from the route's seeded stream."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from statistics import NormalDist
from typing import Union


@dataclass(frozen=True)
class FixedLatency:
    mean: float = 1.0

    def sample(self, rng: random.Random) -> float:
        rng.random()  # one draw per packet whatever the model, so models can be swapped without shifting the stream
        return self.mean

    def to_dict(self) -> dict:
        return {"kind": "fixed", "mean": self.mean}


@dataclass(frozen=True)
class UniformLatency:
    low: float
    high: float

    def sample(self, rng: random.Random) -> float:
        return self.low + (self.high - self.low) * rng.random()

    def to_dict(self) -> dict:
        return {"kind": "uniform", "low": self.low, "high": self.high}


@dataclass(frozen=True)
class LognormalLatency:
    """Heavy-tailed latency with the given mean; ``sigma`` is the spread of the underlying normal."""

    mean: float
    sigma: float

    def sample(self, rng: random.Random) -> float:
        mu = math.log(self.mean) - self.sigma**2 / 2
        # inverse-CDF from one uniform draw (random.gauss keeps hidden state between calls)
        u = min(max(rng.random(), 1e-12), 1 - 1e-12)
        return math.exp(mu + self.sigma * _STANDARD_NORMAL.inv_cdf(u))

    def to_dict(self) -> dict:
        return {"kind": "lognormal", "mean": self.mean, "sigma": self.sigma}


_STANDARD_NORMAL = NormalDist()

LatencyModel = Union[FixedLatency, UniformLatency, LognormalLatency]
