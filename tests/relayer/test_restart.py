"""Killing relayers at any moment: after a restart nothing is lost and nothing executes twice."""

from __future__ import annotations

from chains.seeding import derive_rng
from relayer.store import RelayerStore

SENDS = [1 + 0.5 * i for i in range(20)]


def test_a_relayer_killed_and_restarted_many_times_delivers_everything_once(make_run):
    run = make_run({"routes": {"*": {"latency": {"kind": "uniform", "low": 0.2, "high": 2}}},
                    "relayers": {"ack_timeout": 5}})
    bodies = run.send_at(SENDS, "alpha", "beta")
    rng = derive_rng(11, "test-kills")
    incarnations = []

    def chaos():
        while run.env.now < 40:
            yield run.env.timeout(rng.uniform(0.1, 3.0))
            run.bridge.kill_relayer(0)
            yield run.env.timeout(rng.uniform(0.0, 4.0))
            run.bridge.restart_relayer(0)
            incarnations.append(run.bridge.relayers[0].incarnation)

    run.env.process(chaos())
    run.run(until=45)
    assert len(incarnations) >= 10
    assert run.settle()
    run.assert_exactly_once("beta", bodies)


def test_a_kill_between_sending_a_transaction_and_recording_it_loses_nothing(make_run):
    run = make_run({"relayers": {"ack_timeout": 5}})
    bodies = run.send_at([1, 1.5, 2], "alpha", "beta")
    killed = []

    def on_event(event):
        if event.kind == "submitted" and not killed:
            killed.append(event.message_id)
            run.env.process(crash_now())

    def crash_now():
        # runs before the submit loop resumes from its yield: the transaction is out, the database does not know
        run.bridge.kill_relayer(0)
        yield run.env.timeout(3)
        run.bridge.restart_relayer(0)

    run.lifecycle.subscribe(on_event)
    assert run.settle()
    run.run(until=run.env.now + 15)
    run.assert_exactly_once("beta", bodies)
    assert killed
    assert run.bridge.relayers[0].status_counts() == {"done": 3}
    store = RelayerStore(run.bridge.relayers[0].db_path)
    try:
        crashed = store.get(bytes.fromhex(killed[0][2:]))
    finally:
        store.close()
    # the restarted relayer found the message still "sent", asked the chain, and saw it delivered
    assert (crashed.status, crashed.outcome, crashed.attempts) == ("done", "delivered", 1)


def test_packets_in_flight_to_a_killed_relayer_are_lost_and_sent_again(make_run):
    run = make_run({"routes": {"*": {"latency": {"kind": "fixed", "mean": 3}}}, "relayers": {"ack_timeout": 5}})
    bodies = run.send_at([1], "alpha", "beta")

    def kill_while_in_flight(event):
        if event.kind == "transport" and event.detail["fate"] == "sent" and event.detail["attempt"] == 1:
            run.bridge.schedule_outage(0, run.env.now + 1, run.env.now + 2)

    run.lifecycle.subscribe(kill_while_in_flight)
    assert run.settle()
    run.assert_exactly_once("beta", bodies)
    (record,) = run.lifecycle.records()
    fates = [fate for _, fate in record.transport]
    assert "lost" in fates and fates[-1] == "delivered"


def test_configured_outages_kill_and_restart_on_schedule(make_run):
    run = make_run({"relayers": {"outages": [{"relayer": 0, "start": 5, "end": 40}]}})
    bodies = run.send_at([6, 7], "alpha", "beta")
    run.run(until=39)
    assert not run.bridge.relayers[0].alive
    assert run.lifecycle.counts().get("processed", 0) == 0
    run.run(until=41)
    assert run.bridge.relayers[0].alive
    assert run.settle()
    run.assert_exactly_once("beta", bodies)


def test_a_restarted_relayer_resumes_from_its_cursor_without_rereading(make_run):
    run = make_run()
    first = run.send_at([1, 2], "alpha", "beta", b"before")
    run.run(until=20)
    relayer = run.bridge.relayers[0]
    assert relayer.status_counts() == {"done": 2}
    run.bridge.kill_relayer(0)
    second = run.send_at([25, 26], "alpha", "beta", b"after")
    run.run(until=30)
    run.bridge.restart_relayer(0)
    assert run.settle()
    run.assert_exactly_once("beta", first + second)
    assert sum(1 for e in run.lifecycle.events() if e.kind == "submitted") == 4


def test_a_second_relayer_takes_over_when_the_first_is_down(make_run):
    run = make_run({"relayers": {"count": 2, "outages": [{"relayer": 0, "start": 0.5, "end": float("inf")}]}})
    bodies = run.send_at([1, 2, 3], "alpha", "beta")
    assert run.settle()
    run.assert_exactly_once("beta", bodies)
    assert {s.actor for r in run.lifecycle.records() for s in r.submissions} == {"relayer-1"}


def test_a_relayer_can_be_killed_from_a_listener_of_its_own_events(make_run):
    run = make_run({"relayers": {"ack_timeout": 5}})
    bodies = run.send_at([1, 2, 3], "alpha", "beta")
    kills = []

    def on_event(event):
        if event.kind == "submitted" and len(kills) < 2:
            kills.append(event.time)
            run.bridge.kill_relayer(0)  # synchronously, from inside the relayer's own step
            run.bridge.schedule_outage(0, run.env.now, run.env.now + 2)

    run.lifecycle.subscribe(on_event)
    assert run.settle()
    run.assert_exactly_once("beta", bodies)
    assert len(kills) == 2 and run.bridge.relayers[0].incarnation == 3


def test_a_relayer_killed_before_its_first_step_does_not_touch_its_closed_database(tmp_path):
    import simpy

    from bridge import BridgeConfig, deploy_bridge
    from chains import ChainSet
    from relayer import Bridge

    chains = ChainSet.from_configs(seed=4)
    config = BridgeConfig.from_dict({})
    env = simpy.Environment()
    bridge = Bridge(env, chains, deploy_bridge(chains, config, 4), config, 4, data_dir=tmp_path)
    bridge.kill_relayer(0)  # before the clock ever ran: its processes have not taken a step yet
    env.run(until=5)  # must not raise sqlite3.ProgrammingError from a closed database
    bridge.restart_relayer(0)
    env.run(until=10)
    assert bridge.relayers[0].alive
