"""Transport faults on a live bridge: messages still execute exactly once, and every fate is recorded."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings, strategies as st

SENDS = [1 + 0.4 * i for i in range(15)]


def test_duplicated_and_reordered_deliveries_execute_exactly_once(make_run):
    run = make_run({"routes": {"*": {"duplicate": 1.0, "reorder_window": 6.0,
                                     "latency": {"kind": "uniform", "low": 0.5, "high": 3}}}})
    bodies = run.send_at(SENDS, "alpha", "beta")
    assert run.settle()
    run.run(until=run.env.now + 10)  # let the last duplicates land
    run.assert_exactly_once("beta", bodies)
    counts = run.lifecycle.counts()
    assert counts["transport.duplicated"] >= 15
    assert counts["transport.reordered"] > 0
    assert counts["duplicate"] >= 10  # the second copies, refused on chain as already delivered


def test_dropped_and_corrupted_packets_are_retried_until_delivered(make_run):
    run = make_run({"routes": {"*": {"drop": 0.4, "corrupt": 0.4}},
                    "relayers": {"ack_timeout": 4, "retry_backoff": 1, "max_backoff": 8}}, seed=3)
    bodies = run.send_at(SENDS, "alpha", "beta")
    assert run.settle(timeout=600)
    run.assert_exactly_once("beta", bodies)
    counts = run.lifecycle.counts()
    assert counts["transport.dropped"] > 0 and counts["transport.corrupted"] > 0
    reasons = {reason for r in run.lifecycle.records() for _, reason, _ in r.rejections}
    assert reasons and reasons <= {
        "message id does not match proof",
        "signature does not match signer",
        "invalid signature",
    }


def test_a_partition_delays_delivery_until_it_heals_and_loses_nothing(make_run):
    run = make_run({"routes": {"alpha->beta": {"partitions": [[0, 60]]}}})
    bodies = run.send_at(SENDS, "alpha", "beta")
    run.run(until=59)
    assert run.lifecycle.counts().get("processed", 0) == 0
    assert run.lifecycle.counts()["transport.partitioned"] > 0
    assert run.settle(timeout=300)
    run.assert_exactly_once("beta", bodies)
    assert all(r.processed.time >= 60 for r in run.lifecycle.records())


def test_a_partition_of_one_route_leaves_the_other_direction_flowing(make_run):
    run = make_run({"routes": {"alpha->beta": {"partitions": [[0, 80]]}}})
    run.send_at([1, 2], "alpha", "beta", b"blocked")
    back = run.send_at([1, 2], "beta", "alpha", b"open")
    run.run(until=40)
    assert [run.handled("alpha", b) for b in back] == [1, 1]
    assert run.handled("beta", b"blocked-0") == 0


def test_a_latency_spike_delays_only_packets_sent_inside_it(make_run):
    run = make_run({"routes": {"alpha->beta": {"spikes": [{"start": 0, "end": 10, "extra": 40}]}},
                    "relayers": {"ack_timeout": 60}})
    run.send_at([1.0], "alpha", "beta", b"slow")
    run.send_at([30.0], "alpha", "beta", b"fast")
    assert run.settle()
    slow, fast = sorted(run.lifecycle.records(), key=lambda r: r.nonce)
    assert slow.latency > 40
    assert fast.latency < 10
    assert run.lifecycle.counts()["transport.delayed"] == 1


def test_a_spike_longer_than_the_ack_timeout_is_beaten_by_a_resend(make_run):
    run = make_run({"routes": {"alpha->beta": {"spikes": [{"start": 0, "end": 10, "extra": 40}]}},
                    "relayers": {"ack_timeout": 5}})
    bodies = run.send_at([1.0], "alpha", "beta", b"slow")
    assert run.settle()
    (record,) = run.lifecycle.records()
    assert record.latency < 20
    run.run(until=60)  # the slow first packet lands and is refused as a duplicate
    run.assert_exactly_once("beta", bodies)
    assert record.duplicates == 1


def test_several_relayers_race_and_each_message_still_executes_once(make_run):
    run = make_run({"relayers": {"count": 3}, "routes": {"*": {"latency": {"kind": "uniform", "low": 0.5, "high": 2}}}})
    bodies = run.send_at(SENDS, "alpha", "beta")
    assert run.settle()
    run.run(until=run.env.now + 10)
    run.assert_exactly_once("beta", bodies)
    assert run.lifecycle.counts()["duplicate"] > 0
    submitters = {s.actor for r in run.lifecycle.records() for s in r.submissions}
    assert len(submitters) > 1


def test_a_failing_recipient_is_retried_with_backoff_until_it_recovers(make_run):
    run = make_run({"relayers": {"retry_backoff": 1, "max_backoff": 4}})
    run.apps["beta"].functions.set_failing(True).transact({"from": run.deployment.owners["beta"], "gas": 100_000})
    bodies = run.send_at([1, 2], "alpha", "beta")
    run.run(until=30)
    assert run.handled("beta", bodies[0]) == 0
    record = min(run.lifecycle.records(), key=lambda r: r.nonce)
    assert {reason for _, reason, _ in record.rejections} == {"TestRecipient: told to revert"}
    assert len(record.rejections) >= 3
    run.apps["beta"].functions.set_failing(False).transact({"from": run.deployment.owners["beta"], "gas": 100_000})
    assert run.settle()
    run.assert_exactly_once("beta", bodies)


def test_a_relayer_abandons_a_message_after_too_many_rejections(make_run):
    run = make_run({"relayers": {"retry_backoff": 1, "max_backoff": 2, "max_rejections": 3}})
    run.apps["beta"].functions.set_failing(True).transact({"from": run.deployment.owners["beta"], "gas": 100_000})
    run.send_at([1], "alpha", "beta")
    assert run.settle(timeout=120)
    (record,) = run.lifecycle.records()
    assert record.status == "abandoned" and record.abandoned_by == ["relayer-0"]
    assert len(record.rejections) == 3
    assert run.bridge.relayers[0].status_counts() == {"abandoned": 1}


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    drop=st.sampled_from([0.0, 0.3]),
    duplicate=st.sampled_from([0.0, 0.5]),
    corrupt=st.sampled_from([0.0, 0.3]),
    reorder=st.sampled_from([0.0, 4.0]),
    relayers=st.integers(1, 2),
    seed=st.integers(0, 1_000),
)
def test_any_mix_of_faults_delivers_every_message_exactly_once(make_run, drop, duplicate, corrupt, reorder, relayers, seed):
    run = make_run(
        {
            "routes": {"*": {"drop": drop, "duplicate": duplicate, "corrupt": corrupt, "reorder_window": reorder}},
            "relayers": {"count": relayers, "ack_timeout": 4, "retry_backoff": 1, "max_backoff": 8},
        },
        seed=seed,
    )
    bodies = run.send_at([1 + 0.5 * i for i in range(6)], "alpha", "beta")
    back = run.send_at([1.2 + 0.5 * i for i in range(4)], "beta", "alpha", b"back")
    assert run.settle(timeout=600)
    run.run(until=run.env.now + 10)
    assert [run.handled("beta", b) for b in bodies] == [1] * 6
    assert [run.handled("alpha", b) for b in back] == [1] * 4
    assert all(r.status == "processed" for r in run.lifecycle.records())
