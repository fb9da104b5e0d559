"""A run's ``summary.json`` as tables with units; whatever the tables do not name goes to "other metrics"."""

from __future__ import annotations

from typing import Any, Iterator, Mapping

from sim.report.page import Table
from sim.report.units import formatted, gwei, label, number, percent, seconds, usd

DELAYS = (("underwater_to_liquidation_s", "first seen underwater to liquidated"),
          ("liquidation_to_seizure_s", "liquidated to seizure processed on the vault chain"))
SHOWN = {  # summary keys the named tables cover (the rest is listed generically)
    "scenario", "description", "seed", "status", "invariant_violation", "invariant_checks", "attack_successes",
    "trace_hash", "trace_events", "simulated_seconds", "wall_seconds", "simulated_per_wall_second",
    "evm_transactions_per_wall_second", "engine", "bad_debt_usd", "insurance_drawn_usd", "uncovered_bad_debt_usd",
    "liquidations", "top_ups", "traders", "chains", "messages", "collateral_gap", "open_insolvent", "insolvent_debt_usd",
    "faults", "oracle", "vaults",
    "peak_python_memory_mb", "market", "keepers", "adl", "backstop",
}


def flatten(data: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from flatten(value, name + ".")
        else:
            yield name, value


def status_line(summary: Mapping[str, Any]) -> tuple[str, bool]:
    violation = summary.get("invariant_violation")
    if violation:
        return (f"Stopped at t = {violation['t']:,.0f} s: invariant violated: {violation['invariant']} "
                f"({violation['detail']})"), False
    if summary.get("status") != "ok":
        return f"Outcome: {summary.get('status')}", False
    return f"Every invariant held ({summary.get('invariant_checks', 0)} checks).", True


def run_tables(summary: Mapping[str, Any]) -> list[Table]:
    tables = [_losses(summary), _liquidations(summary), _delays(summary), _traders(summary), _messages(summary),
              _chains(summary), _run(summary)]
    vaults = _vaults(summary)
    if vaults is not None:
        tables.insert(5, vaults)
    if "market" in summary:
        tables.insert(2, _market(summary))
    inclusion = _inclusion(summary)
    if inclusion is not None:
        tables.insert(tables.index(next(t for t in tables if t.title == "Chains")) + 1, inclusion)
    other = _other(summary)
    if other is not None:
        tables.append(other)
    return tables


def _losses(s: Mapping[str, Any]) -> Table:
    faults = s.get("faults", {})
    rows = [
        ("bad debt", usd(s["bad_debt_usd"])),
        ("covered by the insurance fund", usd(s["insurance_drawn_usd"])),
        ("uncovered bad debt", usd(s["uncovered_bad_debt_usd"])),
        ("left insolvent: buckets still open below zero equity", number(s.get("open_insolvent", {}).get("buckets", 0))),
        ("their shortfall (a loss nobody liquidated)", usd(s.get("open_insolvent", {}).get("shortfall_usd", 0.0))),
        ("insolvent debt: bad debt and that shortfall (VaR's measure)", usd(s.get("insolvent_debt_usd", s["bad_debt_usd"]))),
        ("margin credited without collateral (peak)", usd(faults.get("unbacked_margin_usd", 0.0))),
        ("paid to the attacker by forged releases", usd(faults.get("stolen_usd", 0.0))),
        ("forged messages accepted", number(len(s.get("attack_successes") or []))),
        ("oracle's largest gap from the reference price", f"{s.get('oracle', {}).get('max_deviation_pct', 0.0):,.2f} %"),
    ]
    rows += [(f"invariant broken by an injected fault: {name}", f"{count:,} checks")
             for name, count in faults.get("breaches", {}).items()]
    rows += [(f"collateral gap {key}", f"{value:,.6g} tokens") for key, value in (s.get("collateral_gap") or {}).items()]
    return Table("Losses", ("what", "value"), rows, (False, True))


def _liquidations(s: Mapping[str, Any]) -> Table:
    liq = s["liquidations"]
    rows = [
        ("liquidations", number(liq["count"])),
        ("of which full closes", number(liq["full_closes"])),
        ("attempts by keepers", number(liq["attempts"])),
        ("volume closed", usd(liq["volume_usd"])),
        ("bonus paid to keepers", usd(liq["bonus_usd"])),
        ("seizures not yet settled at the end", number(liq["seizures_unsettled"])),
    ]
    rows += [(f"skipped: {reason}", number(count)) for reason, count in liq.get("skipped", {}).items()]
    top_ups = s["top_ups"]
    rows += [("top-ups requested", number(top_ups["requested"])), ("top-ups credited", number(top_ups["credited"])),
             ("top-ups that arrived after the liquidation", number(top_ups["too_late"]))]
    return Table("Liquidations", ("what", "value"), rows, (False, True))


def _market(s: Mapping[str, Any]) -> Table:
    """How the market answered the liquidations: price falls, forced sales, and what came after insurance."""
    market, keepers, adl, backstop = s["market"], s["keepers"], s["adl"], s["backstop"]
    sales = market["forced_sales"]
    amplification = "-" if market.get("amplification") is None else f"x{market['amplification']:.2f}"
    rows = [
        (f"{market['feed']} fall: scenario path", f"{market['exogenous_drop']:.1%}"),
        (f"{market['feed']} fall: reference price (with forced trading)", f"{market['reference_drop']:.1%}"),
        (f"{market['feed']} fall: oracle", f"{market['realised_drop']:.1%} ({amplification})"),
        ("forced sales", usd(market["forced_sales_usd"])),
        ("of which closed by liquidations", usd(sales["liquidations_usd"])),
        ("of which keepers sold on pools", f"{usd(sales['keeper_pool_sales_usd'])} in {number(sales['keeper_pool_sales'])} swaps"),
        ("slippage paid on those swaps", usd(market["slippage_usd"])),
        ("liquidation waves", number(market["waves"])),
        ("keepers' PnL (after gas)", usd(keepers["pnl_usd"])),
        ("liquidations keepers declined as unprofitable", number(keepers["declined"])),
        (f"auto-deleveraging ({adl['mode']})", f"{number(adl['count'])} closes, {usd(adl['volume_usd'])}, "
                                              f"{usd(adl['recovered_usd'])} recovered"),
        ("taken over by the backstop", f"{usd(backstop['taken_over_usd'])} ({number(backstop['count'])})"),
    ]
    rows += [(f"pool {key}: gap from the reference at the end", "-" if pool["deviation"] is None else f"{pool['deviation']:+.2%}")
             for key, pool in market.get("pools", {}).items()]
    return Table("Market response", ("what", "value"), rows, (False, True))


def _delays(s: Mapping[str, Any]) -> Table:
    rows = []
    for key, what in DELAYS:
        stats = s["liquidations"].get(key) or {}
        rows.append((what, number(stats.get("count", 0)), seconds(stats.get("mean")), seconds(stats.get("p50")),
                     seconds(stats.get("p95")), seconds(stats.get("max"))))
    return Table("Delays", ("delay", "n", "mean", "median", "p95", "max"), rows, (False, True, True, True, True, True))


def _traders(s: Mapping[str, Any]) -> Table:
    t = s["traders"]
    rows = [("deposits", number(t["deposits"])), ("positions opened", number(t["positions_opened"])),
            ("positions closed by their traders", number(t["positions_closed"])),
            ("withdrawals requested", number(t["withdrawals_requested"]))]
    rows += [(f"withdrawals: {k}", number(v)) for k, v in t.get("withdrawals", {}).items()]
    rows += [(f"trades refused: {k}", number(v)) for k, v in t.get("trades_refused", {}).items()]
    return Table("Traders", ("what", "value"), rows, (False, True))


def _messages(s: Mapping[str, Any]) -> Table:
    messages = s["messages"]
    rows = [(f"messages {status}", number(count)) for status, count in messages.get("by_status", {}).items()]
    rows += [(f"events: {kind}", number(count)) for kind, count in messages.get("events", {}).items()]
    return Table("Bridge messages", ("what", "count"), rows, (False, True))


def _chains(s: Mapping[str, Any]) -> Table:
    rows = []
    for name, c in s["chains"].items():
        fees = c.get("base_fee_gwei") or {}
        rows.append((name, number(c["blocks"]), number(c["transactions"]), formatted("gas", c["gas"]),
                     " / ".join(gwei(fees.get(k)) for k in ("min", "p50", "max")),
                     percent(c.get("block_fullness")), number(c.get("mempool_max")), number(c.get("dropped"))))
    return Table("Chains", ("chain", "blocks", "transactions", "gas used", "base fee min / p50 / max",
                            "blocks full (mean)", "most waiting", "dropped"), rows,
                 (False, True, True, True, True, True, True, True))


def _inclusion(s: Mapping[str, Any]) -> Table | None:
    """How long each kind of sender waited for a block, from its first submission (re-bids included)."""
    rows = [(name, kind, number(d["count"]), seconds(d["p50"]), seconds(d["p95"]), seconds(d["max"]))
            for name, c in s["chains"].items() for kind, d in c.get("inclusion_delay_s", {}).items()]
    if not rows:
        return None
    return Table("Inclusion delays", ("chain", "sender", "transactions", "median", "p95", "max"), rows,
                 (False, False, True, True, True, True))


def _vaults(s: Mapping[str, Any]) -> Table | None:
    vaults = s.get("vaults")
    if not vaults:
        return None
    rows = [
        (f"{chain} {asset}", *(f"{books[k]:,.4f}" for k in ("locked", "pool", "insurance", "treasury")))
        for chain, assets in vaults.items() for asset, books in assets.items()
    ]
    return Table("Vaults at the end (tokens)", ("vault", "locked", "pool", "insurance", "treasury"), rows,
                 (False, True, True, True, True))


def _run(s: Mapping[str, Any]) -> Table:
    rows = [
        ("scenario", str(s["scenario"])), ("seed", str(s["seed"])),
        ("simulated time", seconds(s["simulated_seconds"])), ("wall time", seconds(s["wall_seconds"])),
        ("simulated seconds per wall second", number(s.get("simulated_per_wall_second"))),
        ("EVM transactions per wall second", number(s.get("evm_transactions_per_wall_second"))),
        ("trace events", number(s["trace_events"])), ("trace hash (sha256)", str(s["trace_hash"])),
    ]
    if s.get("peak_python_memory_mb") is not None:
        rows.append(("peak Python memory", f"{s['peak_python_memory_mb']:,.1f} MB"))
    return Table("Run", ("what", "value"), rows, (False, False))


def _other(s: Mapping[str, Any]) -> Table | None:
    rest = {k: v for k, v in s.items() if k not in SHOWN}
    rows = [(label(name), formatted(name, value)) for name, value in flatten(rest) if not isinstance(value, list)]
    return Table("Other metrics", ("metric", "value"), rows, (False, True)) if rows else None
