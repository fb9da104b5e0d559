"""Markets that answer back: gas of a pool swap, of an auto-deleveraging step and of a backstop take-over;
contract sizes; and the wall time of `cascade` with 100 traders, side by side with `cascade-deep`.

Gas figures use the protocol on the default world with the mock mailbox (as ``protocol_gas.py``);
each is one transaction's ``gasUsed``. The runs write their directories under ``--out``, so
``xmargin compare OUT/cascade OUT/cascade-deep`` shows them side by side afterwards.

    python benchmarks/markets.py [--traders 100] [--seed 7] [--out runs/markets] [--skip-runs]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from protocol_gas import CODE_LIMIT, fund, setup  # noqa: E402 - the shared gas set-up, a sibling script

from chains import confirm  # noqa: E402
from protocol.deleverager import rank_for_deleveraging  # noqa: E402
from protocol.units import to_wad  # noqa: E402

HEADLINE = ("exogenous_drop", "reference_drop", "realised_drop", "amplification", "forced_sales_usd", "slippage_usd",
            "waves")


# no insurance, so a shortfall is left for auto-deleveraging; a backstop with capital
CONFIG = {"assets": {"USDC": {"insurance_liquidity": 0}}, "backstop": {"capital": 100_000}}


def gas_figures() -> list[tuple[str, int, str]]:
    chains, d, relay, users = setup(CONFIG)
    perp, alice, bob, keeper = d.perp, users["alice"], users["bob"], users["keeper"]
    figures = []

    pool = d.pool("vault-l2", "ETH")
    units = fund(chains, d, alice, "vault-l2", "ETH", 2)
    confirm(chains["vault-l2"], d.token("vault-l2", "ETH").approve(alice, pool.address, units))
    receipt = confirm(chains["vault-l2"], pool.swap(alice, "base", units // 2, 0))
    figures.append(("pool swap", receipt["gasUsed"], "1 WETH for USDC, first swap of the account, min-out checked"))
    chains["vault-l2"].mine(timestamp=chains["vault-l2"].head_timestamp + 30)
    receipt = confirm(chains["vault-l2"], pool.swap(alice, "base", units // 2, 0))
    figures.append(("pool swap (steady)", receipt["gasUsed"], "the same again, prices accumulated since the last"))

    # a bankrupt long and a profitable short; without insurance the shortfall is uncovered
    for user, whole in ((alice, 2_000), (bob, 20_000)):
        confirm(chains["vault-l1"], d.vault("vault-l1").deposit(user, "USDC", fund(chains, d, user, "vault-l1", "USDC", whole)))
    relay.flush()
    confirm(perp, d.post_prices({"USDC": 1, "ETH": 2000, "BTC": 50_000}))
    confirm(perp, d.engine.trade(alice, "ETH", to_wad(19)))
    confirm(perp, d.engine.trade(bob, "ETH", to_wad(-19)))
    relay.flush()
    confirm(perp, d.post_prices({"USDC": 1, "ETH": 1500, "BTC": 50_000}))
    confirm(perp, d.engine.liquidate(keeper, alice.address))
    relay.flush()
    uncovered = d.engine.totals().uncovered_bad_debt
    if uncovered:
        [target] = rank_for_deleveraging([d.engine.bucket(bob.address)], "ETH", side=-1)
        receipt = confirm(perp, d.deleverager.deleverage(d.deployers["perp"], "ETH", -1, [(target.account, target.bucket)]))
        figures.append(("ADL step (1 position)", receipt["gasUsed"],
                        f"ranking checked, part of a short closed, ${uncovered / 10**18:,.0f} of bad debt repaid"))

    # a position no keeper would take (nothing left for a bonus), handed to the backstop
    confirm(chains["vault-l1"], d.vault("vault-l1").deposit(keeper, "USDC", fund(chains, d, keeper, "vault-l1", "USDC", 1_000)))
    relay.flush()
    confirm(perp, d.engine.trade(keeper, "ETH", to_wad(9)))
    relay.flush()
    confirm(perp, d.post_prices({"USDC": 1, "ETH": 1390, "BTC": 50_000}))
    receipt = confirm(perp, d.backstop.take_over(d.deployers["perp"], keeper.address))
    figures.append(("backstop take-over", receipt["gasUsed"], "liquidate 9 ETH and open them in the backstop's bucket"))
    return figures


def sizes() -> list[tuple[str, int]]:
    chains, d, _, _ = setup()
    perp, vault_chain = d.perp, chains["vault-l1"]
    contracts = (("MarginEngine", perp, d.engine.address), ("MarginReader", perp, d.engine.reader.address),
                 ("OracleAggregator", perp, d.oracle.address), ("Deleverager", perp, d.deleverager.address),
                 ("Backstop", perp, d.backstop.address), ("CollateralVault", vault_chain, d.vault("vault-l1").address),
                 ("AmmPool", vault_chain, d.pool("vault-l1", "ETH").address))
    return [(name, len(chain.w3.eth.get_code(address))) for name, chain, address in contracts]


def run(name: str, traders: int, seed: int, out: Path) -> dict:
    from sim.run import run_scenario
    from sim.scenario import load_scenario

    started = time.perf_counter()
    result = run_scenario(load_scenario(name, [f"agents.traders.count={traders}"], seed=seed), out / name,
                          progress=lambda done, total: print(f"\r  {name}: {done:,.0f} / {total:,.0f} simulated s",
                                                             end="", flush=True))
    print()
    summary = result.summary
    summary["benchmark_wall_seconds"] = round(time.perf_counter() - started, 1)
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--traders", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path("runs/markets"))
    parser.add_argument("--skip-runs", action="store_true", help="gas and sizes only")
    args = parser.parse_args()

    figures = gas_figures()
    width = max(len(name) for name, _, _ in figures)
    print("gas (mock mailbox; one transaction each)")
    for name, gas, note in figures:
        print(f"  {name:<{width}}  {gas:>9,}  {note}")
    print(f"deployed code size (EIP-170 limit {CODE_LIMIT:,} bytes)")
    for name, size in sizes():
        print(f"  {name:<{width}}  {size:>9,}  {CODE_LIMIT - size:>6,} to spare")
    if args.skip_runs:
        return

    summaries = {name: run(name, args.traders, args.seed, args.out) for name in ("cascade", "cascade-deep")}
    print(f"{args.traders} traders, seed {args.seed}")
    print(f"  {'':<24}{'cascade':>16}{'cascade-deep':>16}")
    rows = [("wall time (s)", lambda s: s["benchmark_wall_seconds"]), ("status", lambda s: s["status"]),
            ("simulated s per wall s", lambda s: s["simulated_per_wall_second"]),
            *((f"market.{key}", lambda s, key=key: s["market"][key]) for key in HEADLINE),
            ("liquidations", lambda s: s["liquidations"]["count"]), ("bad debt (USD)", lambda s: s["bad_debt_usd"]),
            ("keepers.pnl_usd", lambda s: s["keepers"]["pnl_usd"]), ("keepers.declined", lambda s: s["keepers"]["declined"]),
            ("adl.count", lambda s: s["adl"]["count"]), ("adl.volume_usd", lambda s: s["adl"]["volume_usd"]),
            ("backstop.taken_over_usd", lambda s: s["backstop"]["taken_over_usd"])]
    for label, value in rows:
        print(f"  {label:<24}{value(summaries['cascade'])!s:>16}{value(summaries['cascade-deep'])!s:>16}")
    print(f"side by side: xmargin compare {args.out / 'cascade'} {args.out / 'cascade-deep'}")


if __name__ == "__main__":
    main()
