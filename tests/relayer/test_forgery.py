"""The compromise fault: a compromised threshold gets a forged message accepted; an honest set never does."""

from __future__ import annotations

import pytest


def _forge(run, body: bytes):
    # the forged message claims to come from alpha's app, the remote beta's app trusts
    return run.bridge.forger.forge("alpha", "beta", run.apps["beta"].address, body, sender=run.apps["alpha"].address)


@pytest.mark.parametrize("mode", ["multisig", "checkpoint"])
def test_a_compromised_threshold_gets_a_forged_message_accepted(make_run, mode):
    run = make_run({"mode": mode, "validators": {"compromised": [1, 3, 4]}})
    honest = run.send_at([1, 2], "alpha", "beta")
    run.run(until=10)
    forgery = _forge(run, b"mint 1000000 to the attacker")
    assert forgery.accepted and forgery.signatures == 3
    assert run.settle()
    assert run.handled("beta", b"mint 1000000 to the attacker") == 1
    record = run.lifecycle.record(forgery.message.id)
    assert record.never_dispatched and record.forged
    assert run.lifecycle.counts()["processed.never_dispatched"] == 1
    assert [run.handled("beta", b) for b in honest] == [1, 1]


@pytest.mark.parametrize("mode", ["multisig", "checkpoint"])
def test_an_honest_validator_set_never_accepts_a_forgery(make_run, mode):
    run = make_run({"mode": mode})
    run.run(until=5)
    forgery = _forge(run, b"mint 1000000 to the attacker")
    assert not forgery.accepted
    assert forgery.signatures == 0
    assert forgery.reason == "too few signatures"
    run.run(until=20)
    assert run.handled("beta", b"mint 1000000 to the attacker") == 0
    assert run.lifecycle.counts().get("processed.never_dispatched", 0) == 0
    assert run.lifecycle.record(forgery.message.id).status == "forged"


def test_fewer_compromised_validators_than_the_threshold_are_not_enough(make_run):
    run = make_run({"validators": {"compromised": [0, 1]}})
    run.run(until=5)
    forgery = _forge(run, b"almost")
    assert (forgery.accepted, forgery.signatures, forgery.reason) == (False, 2, "too few signatures")


def test_a_forgery_can_be_scheduled_on_the_clock(make_run):
    run = make_run({"validators": {"compromised": [0, 1, 2]}})
    attack = run.bridge.forger.schedule(12.0, "alpha", "beta", run.apps["beta"].address, b"later",
                                        sender=run.apps["alpha"].address)
    run.run(until=20)
    assert attack.value.accepted
    forged = run.lifecycle.record(attack.value.message.id)
    assert forged.events[0].time == 12.0
    assert run.handled("beta", b"later") == 1
    assert run.apps["beta"].functions.last_body().call() == b"later"


@pytest.mark.parametrize("compromised", [0, 1, 2, 3, 4, 5])
def test_a_forgery_is_accepted_exactly_when_the_compromised_reach_the_threshold(make_run, compromised):
    run = make_run({"validators": {"count": 5, "threshold": 3, "compromised": list(range(compromised))}})
    run.run(until=3)
    outcomes = [_forge(run, b"forged %d" % i) for i in range(3)]
    assert [f.accepted for f in outcomes] == [compromised >= 3] * 3
    assert all(f.signatures == compromised for f in outcomes)
    run.run(until=20)
    assert run.lifecycle.counts().get("processed.never_dispatched", 0) == (3 if compromised >= 3 else 0)
