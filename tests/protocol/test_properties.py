"""Properties over random trades: value is conserved across an open and a close at random prices."""

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol.units import WAD

USDC = 10**6
MICRO_USDC_IN_WAD = 10**12  # one token unit of a 6-decimal token, in WAD
PROTOCOL_CONFIG = {"markets": {"ETH": {"max_funding_velocity": 0}}}  # default fees, no funding drift


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    size_milli=st.integers(min_value=1, max_value=3_000).flatmap(lambda n: st.sampled_from([n, -n])),
    open_cents=st.integers(min_value=150_000, max_value=250_000),
    close_cents=st.integers(min_value=150_000, max_value=250_000),
)
def test_value_is_conserved_across_an_open_and_a_close(world, size_milli, open_cents, close_cents):
    w = world
    size, p1, p2 = size_milli * WAD // 1000, open_cents * WAD // 100, close_cents * WAD // 100
    alice = w.user("alice").address
    w.deposit("alice", "vault-l1", "USDC", 10_000)
    w.all_prices(ETH=Decimal(open_cents) / 100)
    locked_before = w.d.vault("vault-l1").locked(alice, "USDC")
    balance_before = w.engine.balance(alice)
    ledger_before = w.ledger("vault-l1", "USDC")

    w.trade("alice", "ETH", Decimal(size_milli) / 1000)
    w.all_prices(ETH=Decimal(close_cents) / 100)
    w.trade("alice", "ETH", -Decimal(size_milli) / 1000)

    # what the trader should have gained: PnL less both fees (as the engine rounds them)
    notional_in, notional_out = abs(size) * p1 // WAD, abs(size) * p2 // WAD
    fees = notional_in * 5 // 10_000 + notional_out * 5 // 10_000
    expected = size * (p2 - p1) // WAD if size > 0 else -((-size) * (p2 - p1) // WAD)
    locked_after = w.d.vault("vault-l1").locked(alice, "USDC")
    value_change = (locked_after - locked_before) * MICRO_USDC_IN_WAD + w.engine.balance(alice) - balance_before
    # seizures round up to whole micro-USDC (in the pool's favour): at most one unit per seizure, four seizures
    assert 0 <= (expected - fees) - value_change < 4 * MICRO_USDC_IN_WAD
    # every token the trader lost went to the pool or the treasury, and the vault's ledger balances
    ledger = w.ledger("vault-l1", "USDC")
    moved = (ledger.pool - ledger_before.pool) + (ledger.treasury - ledger_before.treasury)
    assert moved == locked_before - locked_after
    assert ledger.conserved
    # no margin is credited beyond what the vault holds locked
    assert w.engine.credited(alice)[w.cid("vault-l1", "USDC")] == locked_after
