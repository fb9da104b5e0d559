"""The run's invariants as the lifecycle feeds them: a delivery undone by a reorg does not count twice."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from bridge import LifecycleEvent
from sim.invariants import Invariants, InvariantViolation

MESSAGE = "0x" + "ab" * 32


def invariants() -> Invariants:
    world = SimpleNamespace(scenario=SimpleNamespace(bridge=SimpleNamespace(validators=SimpleNamespace(compromised=()))))
    return Invariants(world)


def event(seq: int, kind: str, **detail) -> LifecycleEvent:
    return LifecycleEvent(seq, float(seq), MESSAGE, kind, chain="perp", block=seq, detail=detail)


def test_a_delivery_reorganised_away_and_made_again_is_executed_once():
    checks = invariants()
    checks.on_lifecycle(event(1, "processed", never_dispatched=False))
    checks.on_lifecycle(event(2, "reorged", what="process"))
    checks.on_lifecycle(event(3, "processed", never_dispatched=False))
    assert checks.processed[MESSAGE] == 1


def test_a_second_delivery_that_nothing_undid_breaks_the_invariant():
    checks = invariants()
    checks.on_lifecycle(event(1, "processed", never_dispatched=False))
    checks.on_lifecycle(event(2, "reorged", what="dispatch"))  # a dispatch reorged away undoes no delivery
    with pytest.raises(InvariantViolation, match="processed 2 times"):
        checks.on_lifecycle(event(3, "processed", never_dispatched=False))
