"""Statistics over seeds: the mean with its 95% confidence interval (Student's t), and percentiles."""

from __future__ import annotations

import math
import statistics
from typing import Sequence

import numpy

# two-sided 95% quantiles of Student's t for 1..30 degrees of freedom
T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
        2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042)
Z975 = 1.959964


def t_quantile(degrees: int) -> float:
    if degrees <= len(T975):
        return T975[degrees - 1]
    return Z975 + (Z975**3 + Z975) / (4 * degrees)  # Cornish-Fisher: within 0.001 of the exact value past 30


def mean_ci(values: Sequence[float]) -> tuple[float | None, float | None, float | None]:
    """(mean, low, high) of the 95% interval of the mean; no interval from a single value."""
    if not values:
        return None, None, None
    mean = statistics.fmean(values)
    if len(values) < 2:
        return mean, None, None
    half = t_quantile(len(values) - 1) * statistics.stdev(values) / math.sqrt(len(values))
    return mean, mean - half, mean + half


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile, linearly interpolated (numpy's default), e.g. VaR95 at q=95."""
    return float(numpy.percentile(values, q)) if values else None
