"""The token bucket on RELEASE and SEIZE: the bound on what a compromised bridge can move."""

from dataclasses import replace

from chains import confirm
from protocol.messages import Dest, Seize, SeizeItem, Source, encode_body

USDC = 10**6
# 1000 USDC of capacity, refilled at 1 USDC a second, on each vault.
PROTOCOL_CONFIG = {
    "assets": {"USDC": {"rate_limit": {"capacity": 1_000, "refill_per_second": 1}}},
    "markets": {"ETH": {"trading_fee": 0, "max_funding_velocity": 0}},
}


def forged_seize(w, amount, to, seize_id=10_000, dest=Dest.RECIPIENT):
    """What a bridge whose validators are compromised could deliver: a SEIZE the engine never sent."""
    vault = w.d.vault("vault-l1")
    body = encode_body(Seize(seize_id, w.user("alice").address,
                             (SeizeItem(vault.token("USDC"), amount, Source.ACCOUNT, dest, to),)))
    chain = w.chains["vault-l1"]
    tx = w.mailboxes["vault-l1"].functions.deliver(w.perp.chain_id, w.engine.address, vault.address, body)
    return chain, tx.transact({"from": chain.accounts[9].address, "gas": 2_000_000})


def later(w, chain_name, seconds):
    chain = w.chains[chain_name]
    chain.set_next_timestamp(chain.head_timestamp + seconds)


def test_a_forged_seize_beyond_the_rate_limit_is_refused(world, revert):
    w = world
    w.deposit("alice", "vault-l1", "USDC", 5_000)
    thief = w.user("dave").address
    before = w.state_fingerprint()
    chain, tx = forged_seize(w, 1_500 * USDC, thief)
    revert(chain, tx, "rate limit exceeded")
    assert w.state_fingerprint() == before
    # what it can take is bounded by the bucket: 1000 now, then 1 USDC a second
    chain, tx = forged_seize(w, 1_000 * USDC, thief, seize_id=10_001)
    confirm(chain, tx)
    chain, tx = forged_seize(w, 30 * USDC, thief, seize_id=10_002)
    revert(chain, tx, "rate limit exceeded")
    later(w, "vault-l1", 30)
    chain, tx = forged_seize(w, 30 * USDC, thief, seize_id=10_003)
    confirm(chain, tx)
    assert w.d.token("vault-l1", "USDC").balance_of(thief) == 1_030 * USDC
    assert w.ledger("vault-l1", "USDC").conserved


def test_a_seizure_that_stays_in_the_vault_spends_none_of_the_rate_limit(world):
    w = world
    w.deposit("alice", "vault-l1", "USDC", 5_000)
    zero = "0x" + "00" * 20
    for seize_id, dest in ((10_000, Dest.POOL), (10_001, Dest.INSURANCE), (10_002, Dest.TREASURY)):
        chain, tx = forged_seize(w, 1_500 * USDC, zero, seize_id=seize_id, dest=dest)  # each over the capacity
        confirm(chain, tx)
    ledger = w.ledger("vault-l1", "USDC")
    assert ledger.rate_limit_available == 1_000 * USDC
    assert w.d.vault("vault-l1").locked(w.user("alice").address, "USDC") == 500 * USDC
    assert ledger.conserved


def test_a_release_beyond_the_rate_limit_waits_for_the_bucket_to_refill(world, revert):
    w = world
    w.prices(USDC=1, ETH=3000, BTC=60_000)
    w.deposit("alice", "vault-l1", "USDC", 5_000)
    vault, chain = w.d.vault("vault-l1"), w.chains["vault-l1"]
    alice = w.user("alice")
    confirm(chain, vault.request_withdraw(alice, "USDC", 800 * USDC))
    confirm(chain, vault.request_withdraw(alice, "USDC", 800 * USDC))
    w.bridge.collect()
    for envelope in list(w.bridge.queue):
        w.bridge.deliver(envelope)  # the engine honours both: 1600 of margin reserved
    releases = w.bridge.collect()
    w.bridge.queue.clear()
    assert len(releases) == 2
    w.bridge.deliver(releases[0])
    before = replace(w.ledger("vault-l1", "USDC"), rate_limit_available=0)
    _, tx = w.bridge.submit(releases[1])
    revert(chain, tx, "rate limit exceeded")  # about 200 left in the bucket
    assert replace(w.ledger("vault-l1", "USDC"), rate_limit_available=0) == before  # nothing moved
    later(w, "vault-l1", 600)
    w.bridge.deliver(releases[1])
    assert w.d.token("vault-l1", "USDC").balance_of(alice.address) == 1_600 * USDC


def test_a_withdrawal_larger_than_the_capacity_is_refused_at_once(world, revert):
    w = world
    w.deposit("alice", "vault-l1", "USDC", 5_000)
    vault, chain = w.d.vault("vault-l1"), w.chains["vault-l1"]
    revert(chain, vault.request_withdraw(w.user("alice"), "USDC", 1_001 * USDC), "amount exceeds the rate limit capacity")
    revert(chain, vault.request_withdraw(w.user("alice"), "USDC", 0), "zero amount")


def test_a_liquidation_seize_over_the_limit_lands_once_the_bucket_refills(world, revert):
    w = world
    w.prices(USDC=1, ETH=2000, BTC=60_000)
    w.deposit("alice", "vault-l1", "USDC", 3_000)
    w.trade("alice", "ETH", 30)
    w.prices(USDC=1, ETH=1950, BTC=60_000)
    # full close: the loss of 1500 moves to the pool (inside the vault, not rate limited); the keeper's bonus,
    # 30 * 1950 * 2.5 % = 1462.5 USDC, leaves the vault and is over the 1000 capacity
    confirm(w.perp, w.engine.liquidate(w.user("keeper"), w.user("alice").address))
    [seize] = w.bridge.collect()
    w.bridge.queue.clear()
    chain = w.chains["vault-l1"]
    _, tx = w.bridge.submit(seize)
    revert(chain, tx, "rate limit exceeded")
    confirm(chain, w.d.vault("vault-l1").contract.functions.set_rate_limit(w.d.vault("vault-l1").token("USDC"), 5_000 * USDC, USDC)
            .transact({"from": w.d.deployers["vault-l1"], "gas": 200_000}))
    later(w, "vault-l1", 2_000)
    w.bridge.deliver(seize)
    assert w.d.vault("vault-l1").locked(w.user("alice").address, "USDC") == 37_500_000  # 3000 - 1500 - 1462.5
