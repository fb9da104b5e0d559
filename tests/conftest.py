"""Shared fixtures: the built-in world of chains and the probe contract."""

from __future__ import annotations

import pytest

from chains import COUNTER_SOURCE, Artifact, ChainSet, compile_contract


@pytest.fixture(scope="session")
def counter_artifact() -> Artifact:
    return compile_contract(COUNTER_SOURCE)


@pytest.fixture
def world() -> ChainSet:
    """The default world (vault-l1, vault-l2, perp), batched mining, seed 0."""
    return ChainSet.from_configs(seed=0)
