"""Validator faults: offline windows delay quorum, equivocation is noticed and ignored."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("mode", ["multisig", "checkpoint"])
def test_offline_validators_delay_quorum_until_they_return(make_run, mode):
    offline = [{"validator": i, "start": 0, "end": 50} for i in (0, 1, 2)]
    run = make_run({"mode": mode, "validators": {"offline": offline}})
    bodies = run.send_at([1, 2], "alpha", "beta")
    run.run(until=49)
    records = list(run.lifecycle.records())
    assert all(r.attested == 2 and r.quorum is None for r in records)
    assert run.settle()
    run.assert_exactly_once("beta", bodies)
    assert all(r.quorum.time >= 50 and r.attested == 5 for r in run.lifecycle.records())


def test_a_minority_offline_does_not_stop_delivery(make_run):
    run = make_run({"validators": {"offline": [{"validator": 4, "start": 0, "end": 1e9}]}})
    bodies = run.send_at([1, 2], "alpha", "beta")
    assert run.settle()
    run.assert_exactly_once("beta", bodies)
    assert all(r.attested == 4 for r in run.lifecycle.records())


@pytest.mark.parametrize("mode", ["multisig", "checkpoint"])
def test_equivocation_is_recorded_and_the_conflicting_signatures_are_never_used(make_run, mode):
    run = make_run({"mode": mode, "validators": {"equivocating": [0, 1, 2]}})
    bodies = run.send_at([1, 2, 3], "alpha", "beta")
    assert run.settle()
    run.assert_exactly_once("beta", bodies)
    for record in run.lifecycle.records():
        assert len(record.equivocators) == 3
        assert record.rejections == []
    assert run.lifecycle.counts()["equivocation"] == 9
