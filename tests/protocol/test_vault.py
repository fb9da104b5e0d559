"""Vaults and withdrawals: deposits credit margin when delivered, withdrawals pay only on RELEASE,
refusals unlock nothing, only the mailbox and the trusted remote are heard, the ledger is conserved."""

from chains import confirm
from protocol.messages import MarginLocked, RefusalReason, Release, encode_body
from protocol.units import WAD
from protocol.vault import RequestStatus

USDC = 10**6
# No ETH funding drift (exact amounts) and a pool small enough to run dry: 1000 USDC per vault.
PROTOCOL_CONFIG = {"assets": {"USDC": {"pool_liquidity": 1_000}}, "markets": {"ETH": {"max_funding_velocity": 0}}}


def request(w, user, amount, chain="vault-l1", asset="USDC", recipient=None):
    vault = w.d.vault(chain)
    confirm(w.chains[chain], vault.request_withdraw(w.user(user), asset, amount, recipient))
    return vault.request_count()


def refusal(w, start):
    return [e for e in w.d.vault("vault-l1").events_in_blocks(start) if type(e).__name__ == "WithdrawRefused"]


def test_a_deposit_is_margin_only_once_delivered_and_never_more_than_locked(world):
    w = world
    w.deposit("alice", "vault-l1", "USDC", 1_000, relay=False)
    alice = w.user("alice").address
    cid = w.cid("vault-l1", "USDC")
    assert w.d.vault("vault-l1").locked(alice, "USDC") == 1_000 * USDC
    assert w.engine.credited(alice)[cid] == 0  # in flight: credited <= locked
    [envelope] = w.bridge.collect()
    assert envelope.message == MarginLocked(alice, w.d.vault("vault-l1").token("USDC"), 1_000 * USDC)
    w.bridge.deliver(envelope)
    assert w.engine.credited(alice)[cid] == 1_000 * USDC
    [credited] = [e for e in w.engine.events_in_blocks(w.perp.head_number) if type(e).__name__ == "CollateralCredited"]
    assert (credited.account, credited.cid, credited.amount) == (alice, cid, 1_000 * USDC)


def test_deposits_on_two_vault_chains_are_separate_collateral(world):
    w = world
    w.prices(USDC=1, ETH=3000, BTC=60_000)
    w.deposit("alice", "vault-l1", "USDC", 1_000)
    w.deposit("alice", "vault-l2", "USDC", 500)
    credited = w.engine.credited(w.user("alice").address)
    assert credited[w.cid("vault-l1", "USDC")] == 1_000 * USDC
    assert credited[w.cid("vault-l2", "USDC")] == 500 * USDC
    assert w.bucket("alice").equity == 1_500 * WAD


def test_bad_deposits_are_refused_and_change_nothing(world, revert):
    w = world
    chain, vault = w.chains["vault-l1"], w.d.vault("vault-l1")
    alice = w.user("alice")
    confirm(chain, w.d.mint("vault-l1", "USDC", alice.address, 60_000_000 * USDC))
    confirm(chain, w.d.token("vault-l1", "USDC").approve(alice, vault.address, 2**256 - 1))
    before = w.state_fingerprint()
    revert(chain, vault.deposit(alice, "USDC", 0), "zero amount")
    revert(chain, vault.deposit(alice, "USDC", 50_000_001 * USDC), "deposit cap exceeded")  # cap: 50M USDC
    not_listed = w.d.token("vault-l2", "USDC").address  # a token of another chain
    revert(chain, vault.contract.functions.deposit(not_listed, 1, alice.address).transact({"from": alice.address, "gas": 300_000}),
           "asset not listed")
    assert w.state_fingerprint() == before
    assert w.bridge.collect() == []  # nothing was dispatched


def test_a_withdrawal_is_paid_on_release(world):
    w = world
    w.prices(USDC=1, ETH=3000, BTC=60_000)
    w.deposit("alice", "vault-l1", "USDC", 5_000)
    dave = w.user("dave").address
    request_id = request(w, "alice", 1_000 * USDC, recipient=dave)
    vault = w.d.vault("vault-l1")
    assert vault.request(request_id).status == RequestStatus.PENDING
    assert vault.locked(w.user("alice").address, "USDC") == 5_000 * USDC  # nothing moves before the engine answers
    w.bridge.flush()
    assert vault.request(request_id).status == RequestStatus.RELEASED
    assert w.d.token("vault-l1", "USDC").balance_of(dave) == 1_000 * USDC
    assert vault.locked(w.user("alice").address, "USDC") == 4_000 * USDC
    assert w.engine.credited(w.user("alice").address)[w.cid("vault-l1", "USDC")] == 4_000 * USDC
    assert w.ledger("vault-l1", "USDC").conserved


def test_withdrawing_more_than_free_margin_is_refused_and_unlocks_nothing(world):
    w = world
    w.prices(USDC=1, ETH=3000, BTC=60_000)
    w.deposit("alice", "vault-l1", "USDC", 1_000)
    w.trade("alice", "ETH", 5)  # initial margin 5 * 3000 * 5 % = 750; equity 1000 - 7.5 fee = 992.5
    start = w.chains["vault-l1"].head_number + 1
    request_id = request(w, "alice", 300 * USDC)  # would leave 692.5 < 750
    before = (w.engine.credited(w.user("alice").address), w.d.vault("vault-l1").locked(w.user("alice").address, "USDC"))
    w.bridge.flush()
    [refused] = refusal(w, start)
    assert (refused.request_id, RefusalReason(refused.reason)) == (request_id, RefusalReason.INSUFFICIENT_FREE_MARGIN)
    assert w.d.vault("vault-l1").request(request_id).status == RequestStatus.REFUSED
    after = (w.engine.credited(w.user("alice").address), w.d.vault("vault-l1").locked(w.user("alice").address, "USDC"))
    assert after == before
    request(w, "alice", 240 * USDC)  # leaves 752.5: honoured
    w.bridge.flush()
    assert w.d.vault("vault-l1").locked(w.user("alice").address, "USDC") == 1_000 * USDC - 7_500_000 - 240 * USDC


def test_withdrawing_with_a_stale_price_is_refused(world):
    w = world
    w.prices(USDC=1, ETH=3000, BTC=60_000)
    w.deposit("alice", "vault-l1", "USDC", 1_000)
    w.advance(61)
    start = w.chains["vault-l1"].head_number + 1
    request(w, "alice", 10 * USDC)
    w.bridge.flush()
    [refused] = refusal(w, start)
    assert RefusalReason(refused.reason) == RefusalReason.STALE_PRICE
    assert w.d.vault("vault-l1").locked(w.user("alice").address, "USDC") == 1_000 * USDC


def test_gains_are_paid_out_of_the_pool(world):
    w = world
    w.prices(USDC=1, ETH=3000, BTC=60_000)
    w.deposit("alice", "vault-l1", "USDC", 1_000)
    w.trade("alice", "ETH", 5)
    w.prices(USDC=1, ETH=3100, BTC=60_000)
    w.trade("alice", "ETH", -5)
    # gain 500; fees 7.5 + 7.75: the pool's 80 % of the closing fee (6.2) nets against the gain: balance 493.8
    alice = w.user("alice").address
    assert w.engine.balance(alice) == 4_938 * WAD // 10
    locked = w.d.vault("vault-l1").locked(alice, "USDC")
    pool_before = w.ledger("vault-l1", "USDC").pool
    request(w, "alice", locked + 400 * USDC)  # all the collateral and 400 of the gains
    w.bridge.flush()
    assert w.d.vault("vault-l1").locked(alice, "USDC") == 0
    assert pool_before - w.ledger("vault-l1", "USDC").pool == 400 * USDC
    assert w.engine.balance(alice) == 938 * WAD // 10
    assert w.d.token("vault-l1", "USDC").balance_of(alice) == locked + 400 * USDC
    assert w.ledger("vault-l1", "USDC").conserved


def test_withdrawals_beyond_collateral_and_gains_or_the_pool_are_refused(world):
    w = world
    w.prices(USDC=1, ETH=3000, BTC=60_000)
    w.deposit("alice", "vault-l1", "USDC", 10_000)
    w.trade("alice", "ETH", 10)
    w.prices(USDC=1, ETH=3200, BTC=60_000)
    w.trade("alice", "ETH", -10)  # a 2000 gain, more than the 1000-USDC pool (plus fees) can pay
    start = w.chains["vault-l1"].head_number + 1
    locked = w.d.vault("vault-l1").locked(w.user("alice").address, "USDC")
    request(w, "alice", locked + 1_500 * USDC)
    request(w, "alice", locked + 3_000 * USDC)
    w.bridge.flush()
    reasons = [RefusalReason(e.reason) for e in refusal(w, start)]
    assert reasons == [RefusalReason.POOL_ILLIQUID, RefusalReason.EXCEEDS_COLLATERAL_AND_GAINS]


def test_only_the_mailbox_and_the_trusted_remote_are_heard(world, revert):
    w = world
    w.prices(USDC=1, ETH=3000, BTC=60_000)
    w.deposit("alice", "vault-l1", "USDC", 1_000, relay=False)
    [envelope] = w.bridge.collect()
    before = w.state_fingerprint()
    bob = w.user("bob").address
    # the engine, called directly rather than by its mailbox
    direct = w.engine.contract.functions.handle(envelope.src_chain_id, envelope.sender, envelope.body)
    revert(w.perp, direct.transact({"from": bob, "gas": 1_000_000}), "caller is not the mailbox")
    # through the mailbox, but from an app the engine does not trust, or claiming another chain
    _, forged = w.bridge.submit(envelope, as_sender=bob)
    revert(w.perp, forged, "untrusted remote")
    _, wrong_chain = w.bridge.submit(envelope, src_chain_id=w.chains["vault-l2"].chain_id)
    revert(w.perp, wrong_chain, "untrusted remote")
    # the vault refuses the same
    vault = w.d.vault("vault-l1")
    body = encode_body(MarginLocked(bob, vault.token("USDC"), 1))
    revert(w.chains["vault-l1"], vault.contract.functions.handle(w.perp.chain_id, w.engine.address, body)
           .transact({"from": bob, "gas": 1_000_000}), "caller is not the mailbox")
    assert w.state_fingerprint() == before
    w.bridge.deliver(envelope)  # the genuine message is still accepted
    assert w.bucket("alice").equity == 1_000 * WAD


def test_the_vault_hears_only_its_engine_and_only_about_real_requests(world, revert):
    w = world
    w.deposit("alice", "vault-l1", "USDC", 1_000)
    vault, chain, mailbox = w.d.vault("vault-l1"), w.chains["vault-l1"], w.mailboxes["vault-l1"]
    alice, bob = w.user("alice").address, w.user("bob").address
    release = encode_body(Release(1, alice, vault.token("USDC"), 1_000 * USDC, 0))
    relayer = {"from": chain.accounts[9].address, "gas": 2_000_000}
    before = w.state_fingerprint()
    # from an app on the perp chain that is not the engine, or from the engine's address on another chain
    revert(chain, mailbox.functions.deliver(w.perp.chain_id, bob, vault.address, release).transact(relayer), "untrusted remote")
    revert(chain, mailbox.functions.deliver(w.chains["vault-l2"].chain_id, w.engine.address, vault.address, release)
           .transact(relayer), "untrusted remote")
    # even as the engine (a compromised bridge), a RELEASE must match a pending request of the same account and token
    revert(chain, mailbox.functions.deliver(w.perp.chain_id, w.engine.address, vault.address, release).transact(relayer),
           "no pending withdrawal request")
    assert w.state_fingerprint() == before


def test_treasury_is_the_owners_to_withdraw(world, revert):
    w = world
    w.prices(USDC=1, ETH=3000, BTC=60_000)
    w.deposit("alice", "vault-l1", "USDC", 1_000)
    w.trade("alice", "ETH", 1)  # fee 1.5; 0.3 to the treasury
    vault, chain = w.d.vault("vault-l1"), w.chains["vault-l1"]
    assert w.ledger("vault-l1", "USDC").treasury == 300_000
    revert(chain, vault.withdraw_treasury(w.user("bob"), "USDC", 1, w.user("bob").address), "only the owner")
    confirm(chain, vault.withdraw_treasury(w.d.deployers["vault-l1"], "USDC", 300_000, w.user("dave").address))
    assert w.d.token("vault-l1", "USDC").balance_of(w.user("dave").address) == 300_000
    assert w.ledger("vault-l1", "USDC").treasury == 0 and w.ledger("vault-l1", "USDC").conserved


def test_the_vault_ledger_is_conserved_on_both_chains_after_a_session(world):
    w = world
    w.prices(USDC=1, ETH=3000, BTC=60_000)
    w.deposit("alice", "vault-l1", "USDC", 3_000)
    w.deposit("bob", "vault-l2", "ETH", 2)
    w.trade("alice", "ETH", 10)
    w.trade("bob", "ETH", -2)
    w.prices(USDC=1, ETH=2800, BTC=60_000)
    w.trade("alice", "ETH", -10)
    request(w, "alice", 100 * USDC)
    w.bridge.flush()
    for chain in w.d.vault_chains:
        for asset in ("USDC", "ETH", "BTC"):
            assert w.ledger(chain, asset).conserved, (chain, asset)
    assert w.engine.totals().bad_debt == 0


def test_the_engine_keeps_the_total_credited_per_collateral_in_step_with_every_account(world):
    w = world
    w.deposit("alice", "vault-l1", "USDC", 1_000)
    w.deposit("bob", "vault-l1", "USDC", 250)
    w.deposit("bob", "vault-l2", "USDC", 40)
    l1, l2 = w.cid("vault-l1", "USDC"), w.cid("vault-l2", "USDC")
    totals = w.engine.credited_totals()
    assert totals[l1] == (1_000 + 250) * USDC
    assert totals[l2] == 40 * USDC
    accounts = [w.user(name).address for name in ("alice", "bob")]
    for cid, total in totals.items():
        assert total == sum(w.engine.credited(account)[cid] for account in accounts)
