"""The plugin's fixtures and controls, used the way a user's suite uses them (the plugin is installed)."""

from __future__ import annotations

import pytest

from chains import DEFAULT_WORLD
from protocol import MarginEngine, Oracle, Vault
from protocol.units import to_units, to_wad
from sim.plugin import FaultError, Template, TestbedError, XmarginTestbed

USDC = 6


def credited(testbed: XmarginTestbed, user: str) -> int:
    return sum(testbed.protocol.engine.credited(testbed.user(user).address).values())


def record_of(testbed: XmarginTestbed, chain: str, tx_hash) -> object:
    """The lifecycle record of the message a deposit transaction on ``chain`` dispatched."""
    block = testbed.chains[chain].w3.eth.get_transaction_receipt(tx_hash)["blockNumber"]
    for record in testbed.lifecycle.records():
        if record.src_chain == chain and record.dispatched and record.dispatched.block == block:
            return record
    raise AssertionError("no message from that deposit")


def test_the_session_template_is_deployed_settled_and_frozen(xmargin_testbed):
    assert isinstance(xmargin_testbed, Template)
    assert xmargin_testbed.spec.name == "default" and xmargin_testbed.spec.seed == 0
    assert [c.name for c in xmargin_testbed.chains] == [c.name for c in DEFAULT_WORLD]
    assert xmargin_testbed.relayer_files and all(p.exists() for p in xmargin_testbed.relayer_files)


def test_handles_to_every_chain_and_the_protocol_bindings(testbed):
    assert {name: testbed.w3(name).eth.chain_id for name in testbed.chains.names} == {
        c.name: c.chain_id for c in DEFAULT_WORLD
    }
    assert isinstance(testbed.protocol.engine, MarginEngine) and testbed.protocol.engine.chain is testbed.perp
    assert isinstance(testbed.protocol.vault("vault-l1"), Vault) and isinstance(testbed.protocol.oracle, Oracle)
    assert testbed.protocol.oracle.price("ETH") == to_wad(3000)  # fresh prices at the start
    assert len(testbed.lifecycle) == 8 and all(r.status == "processed" for r in testbed.lifecycle.records())
    assert testbed.bridge.settled()


def test_users_are_funded_on_every_chain_and_can_sign(testbed):
    assert set(testbed.users) == {"alice", "bob", "carol", "dave", "erin"}
    for user in testbed.users.values():
        for chain in testbed.chains:
            assert chain.w3.eth.get_balance(user.address) == 1_000 * 10**18
            assert user.address in chain.w3.eth.accounts
    with pytest.raises(TestbedError, match="no user 'mallory'"):
        testbed.user("mallory")


def test_a_deposit_becomes_margin_once_relayed(testbed):
    testbed.deposit("alice", "vault-l1", "USDC", 1_500)
    assert credited(testbed, "alice") == 0

    assert testbed.relay()

    assert credited(testbed, "alice") == to_units(1_500, USDC)
    assert testbed.protocol.engine.bucket(testbed.user("alice").address).collateral_value == to_wad(1_500)
    assert testbed.bridge.settled()


def test_bad_deposits_are_refused_before_any_transaction(testbed):
    pending = {name: testbed.chains[name].pending_transactions() for name in testbed.chains.names}
    with pytest.raises(TestbedError, match="must be positive"):
        testbed.deposit("alice", "vault-l1", "USDC", 0)
    with pytest.raises(TestbedError, match="more than 6 decimal places"):
        testbed.deposit("alice", "vault-l1", "USDC", "0.0000001")
    assert {name: testbed.chains[name].pending_transactions() for name in testbed.chains.names} == pending


def test_a_partition_holds_messages_back_until_healed(testbed):
    testbed.partition("vault-l2", "perp")
    deposit = testbed.deposit("bob", "vault-l2", "USDC", 100)
    testbed.advance(60)
    assert credited(testbed, "bob") == 0
    fates = [fate for _, fate in record_of(testbed, "vault-l2", deposit).transport]
    assert "partitioned" in fates and "delivered" not in fates

    testbed.heal()
    assert testbed.relay()
    assert credited(testbed, "bob") == to_units(100, USDC)


def test_a_partition_cuts_only_its_own_route(testbed):
    testbed.partition("vault-l2", "perp")
    testbed.deposit("bob", "vault-l1", "USDC", 100)
    assert testbed.relay()
    assert credited(testbed, "bob") == to_units(100, USDC)
    assert testbed.faults.route("vault-l2", "perp").partitioned(testbed.now)
    assert testbed.faults.route("perp", "vault-l2").partitioned(testbed.now)
    assert not testbed.faults.route("vault-l1", "perp").partitioned(testbed.now)


def test_a_delay_adds_its_seconds_to_every_packet_on_the_route(testbed):
    testbed.delay("vault-l2->perp", 40)
    deposit = testbed.deposit("carol", "vault-l2", "USDC", 10)
    assert testbed.relay()
    record = record_of(testbed, "vault-l2", deposit)
    delayed = [e for e in record.events if e.kind == "transport" and e.detail["fate"] == "delayed"]
    assert delayed and {e.detail["extra"] for e in delayed} == {40.0}  # resends (10 s ack timeout) are delayed too
    assert record.latency >= 40

    testbed.delay("vault-l2->perp", 0)
    again = testbed.deposit("carol", "vault-l2", "USDC", 10)
    assert testbed.relay()
    assert record_of(testbed, "vault-l2", again).latency < 40


def test_a_burst_duplicates_and_reorders_packets_for_a_while(testbed):
    testbed.burst("vault-l2->perp", 120, duplicate=1.0, reorder_window=20)
    deposit = testbed.deposit("carol", "vault-l2", "USDC", 10)
    assert testbed.relay()
    record = record_of(testbed, "vault-l2", deposit)
    fates = [fate for _, fate in record.transport]
    assert "duplicated" in fates
    assert credited(testbed, "carol") == to_units(10, USDC)  # the duplicate was refused on chain, not credited twice
    testbed.advance(120)
    route = testbed.faults.route("vault-l2", "perp")
    assert (route.duplicate, route.reorder_window) == (0.0, 0.0)  # the route's own values are back
    with pytest.raises(FaultError, match="lasts a finite number of seconds"):
        testbed.burst("vault-l2->perp", 0)


def test_a_reorg_drops_blocks_and_returns_their_transactions_to_the_pending_block(testbed):
    chain = testbed.chains["vault-l1"]
    deposit = testbed.deposit("alice", "vault-l1", "USDC", 10)
    testbed.mine("vault-l1")
    head = chain.head_number
    report, resubmitted = testbed.reorg("vault-l1", 1)
    assert (report.old_head, report.new_head) == (head, head - 1) and resubmitted == len(report.dropped) == 3
    assert deposit in chain.pending_transactions()
    assert testbed.relay()
    assert credited(testbed, "alice") == to_units(10, USDC)


def test_fault_controls_refuse_unknown_routes_and_bad_values(testbed):
    with pytest.raises(FaultError, match="unknown chain 'mars'"):
        testbed.partition("mars", "perp")
    with pytest.raises(FaultError, match="two different chains"):
        testbed.delay(("perp", "perp"), 5)
    with pytest.raises(FaultError, match="finite number of seconds"):
        testbed.delay("vault-l1->perp", -1)
    with pytest.raises(FaultError, match="both chains"):
        testbed.heal("perp")


def test_a_killed_relayer_delivers_nothing_until_restarted(testbed):
    testbed.kill_relayer()
    testbed.deposit("dave", "vault-l2", "USDC", 42)
    testbed.advance(60)
    assert credited(testbed, "dave") == 0
    assert not testbed.bridge.relayers[0].alive

    testbed.restart_relayer()
    assert testbed.relay()
    assert credited(testbed, "dave") == to_units(42, USDC)


def test_advance_runs_the_clock_and_mine_seals_a_block_now(testbed):
    perp = testbed.perp
    start, head = testbed.now, perp.head_number
    testbed.advance(10)
    assert testbed.now == start + 10 and perp.head_number == head + 10

    tx_hash = testbed.post_prices(ETH=3100)
    (block,) = testbed.mine("perp")
    assert tx_hash in block.transactions
    assert testbed.protocol.oracle.price("ETH") == to_wad(3100)
    with pytest.raises(TestbedError, match="finite number of seconds"):
        testbed.advance(-1)


def test_prices_go_stale_unless_kept_fresh(testbed):
    staleness = testbed.protocol.config.oracle.staleness
    testbed.keep_prices_fresh()
    testbed.advance(3 * staleness)
    assert testbed.protocol.oracle.price("BTC") == to_wad(60_000)


def test_block_listeners_hear_every_block(testbed):
    heard = []
    testbed.listeners.append(lambda chain, block: heard.append((chain.name, block.number)))
    testbed.advance(2)
    testbed.mine("vault-l1")
    assert ("perp", testbed.perp.head_number) in heard
    assert ("vault-l1", testbed.chains["vault-l1"].head_number) in heard


@pytest.mark.xmargin(set=["protocol.oracle.delay=120"])
def test_with_an_oracle_delay_the_heartbeat_pokes_and_the_engine_follows_one_delay_behind(testbed):
    delayed = testbed.protocol.delayed_oracle
    assert testbed.protocol.engine.contract.functions.ORACLE().call() == delayed.address
    testbed.post_prices(USDC=1, ETH=2500, BTC=60_000)
    testbed.keep_prices_fresh()
    first = delayed.last_poke()
    testbed.advance(100)
    assert testbed.protocol.oracle.prices()["ETH"] == to_wad(2500) and delayed.prices()["ETH"] == to_wad(3000)
    testbed.advance(300)
    assert delayed.last_poke() >= first + 240  # poked at least twice
    assert delayed.prices()["ETH"] == to_wad(2500)
