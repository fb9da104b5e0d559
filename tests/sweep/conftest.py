"""Tiny sweeps: a compressed demo (a few minutes simulated, two traders), a few runs each."""

from __future__ import annotations

import pytest

TINY_SETS = (
    "duration=420", "agents.traders.count=2", "agents.traders.arrival_window=30", "agents.keepers.count=1",
    "metrics.sample_interval=60",
)


def tiny_args(*extra: str) -> list[str]:
    args = []
    for assignment in TINY_SETS:
        args += ["--set", assignment]
    return [*args, *extra]


@pytest.fixture
def tiny() -> tuple[str, ...]:
    return TINY_SETS
