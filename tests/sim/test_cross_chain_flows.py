"""The margin flows across real chains and the real bridge (validators, transport, relayer)."""

from __future__ import annotations

from chains import confirm
from protocol.vault import RequestStatus

USDC = 10**6


def test_a_deposit_becomes_margin_only_after_delivery(make_flows):
    f = make_flows(bridge={"latency": {"kind": "fixed", "mean": 40.0}})
    f.deposit(5_000 * USDC)
    f.tb.run_for(30)  # mined on vault-l1 (12 s blocks), still crossing the bridge
    assert f.locked() == 5_000 * USDC
    assert f.credited() == 0
    assert f.d.engine.bucket(f.trader.address).equity == 0
    assert f.tb.relay()
    assert f.credited() == 5_000 * USDC
    record = next(r for r in f.tb.lifecycle.records() if r.src_chain == "vault-l1" and r.processed)
    assert record.processed.time - record.dispatched.time >= 40.0


def test_a_withdrawal_pays_only_after_release(flows):
    f = flows
    f.deposit(5_000 * USDC)
    assert f.tb.relay()
    before = f.usdc.balance_of(f.trader.address)
    f.vault.request_withdraw(f.trader.address, "USDC", 2_000 * USDC)
    f.tb.run_for(13)
    request_id = f.vault.request_count()
    assert f.vault.request(request_id).status == RequestStatus.PENDING
    assert f.usdc.balance_of(f.trader.address) == before  # nothing paid on the request alone
    assert f.locked() == 5_000 * USDC
    assert f.tb.relay()  # WithdrawRequest to the engine, Release back to the vault
    assert f.vault.request(request_id).status == RequestStatus.RELEASED
    assert f.usdc.balance_of(f.trader.address) == before + 2_000 * USDC
    assert f.locked() == 3_000 * USDC
    assert f.credited() == 3_000 * USDC


def test_a_liquidation_on_the_perp_chain_seizes_collateral_on_the_vault_chain(flows):
    f = flows
    f.deposit(1_000 * USDC)
    assert f.tb.relay()
    f.open_long(5)  # $15,000 of ETH on $1,000: 15x
    assert f.tb.relay()  # the opening fee's Seize settles first
    locked_before = f.locked()
    f.prices(2_860)  # -4.7%: equity 292.5 is below the 429 of maintenance; the bonus is what is left of it
    assert f.d.engine.bucket(f.trader.address).liquidatable
    receipt = confirm(f.d.perp, f.d.engine.liquidate(f.keeper.address, f.trader.address, 0))
    [liquidated] = [e for e in f.d.engine.events_in_blocks(receipt["blockNumber"]) if type(e).__name__ == "Liquidated"]
    assert f.locked() == locked_before  # the vault has not heard of it yet
    assert f.usdc.balance_of(f.keeper.address) == 0
    assert f.tb.relay()
    assert f.locked() < locked_before
    bonus_paid = f.usdc.balance_of(f.keeper.address)
    assert bonus_paid > 0
    assert abs(bonus_paid * 10**12 - liquidated.bonus) <= 10**12  # the bonus, in USDC units (rounded up)
    assert f.vault.ledger("USDC").conserved


def test_a_top_up_stuck_behind_a_partition_does_not_save_the_account(make_flows):
    # vault-l1 -> perp is down from t=400 to t=1000 (simulated seconds since genesis)
    f = make_flows(bridge={"routes": {"vault-l1->perp": {"partitions": [[400, 1000]]}}})
    f.deposit(1_000 * USDC)
    assert f.tb.relay()
    f.open_long(5)
    f.tb.run_for(max(0.0, 410 - f.tb.env.now))
    f.deposit(10_000 * USDC)  # would make the account safe at any price below
    f.tb.run_for(120)
    assert f.locked() > 10_000 * USDC and f.credited() < 2_000 * USDC  # locked there, not credited here
    f.prices(2_800)
    assert f.d.engine.bucket(f.trader.address).liquidatable
    confirm(f.d.perp, f.d.engine.liquidate(f.keeper.address, f.trader.address, 0))
    liquidated_at = f.tb.env.now
    assert f.tb.relay(timeout=2_000)  # the partition heals; the top-up arrives after the liquidation
    top_up = next(r for r in f.tb.lifecycle.records() if r.src_chain == "vault-l1" and r.dispatched and r.dispatched.time > 400)
    assert top_up.processed.time > max(1_000, liquidated_at)
    assert any(fate == "partitioned" for _, fate in top_up.transport)
    assert f.credited() >= 10_000 * USDC
