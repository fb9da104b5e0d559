"""An emergency pause on the destination holds messages back without losing them."""

from __future__ import annotations


def test_messages_wait_out_a_pause_and_are_delivered_after_it(make_run):
    run = make_run({"relayers": {"max_rejections": 2, "max_backoff": 5, "retry_backoff": 1}})
    mailbox = run.deployment.mailbox("beta")
    owner = run.deployment.owners["beta"]
    alpha_id = run.chain_set["alpha"].chain_id
    mailbox.functions.set_paused(alpha_id, True).transact({"from": owner, "gas": 100_000})
    bodies = run.send_at([1, 2], "alpha", "beta")
    run.run(until=60)
    assert run.handled("beta", bodies[0]) == 0
    reasons = {reason for r in run.lifecycle.records() for _, reason, _ in r.rejections}
    assert reasons == {"source chain paused"}
    assert all(r.status == "in_flight" for r in run.lifecycle.records())  # refused many times, never abandoned
    mailbox.functions.set_paused(alpha_id, False).transact({"from": owner, "gas": 100_000})
    assert run.settle()
    run.assert_exactly_once("beta", bodies)
