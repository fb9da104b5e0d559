"""Rich renderings of runs for the terminal: the summary table, a message's lifecycle, an account's story."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from rich import box
from rich.table import Table

from sim.report.units import usd
from sim.scenario import builtin_scenarios, read_toml
from sim.world_file import WorldFile


def _delays(stats: Mapping[str, Any]) -> str:
    if not stats or not stats.get("count"):
        return "-"
    return f"mean {stats['mean']:.0f} s, p95 {stats['p95']:.0f} s, max {stats['max']:.0f} s (n={stats['count']})"


def summary_rows(summary: Mapping[str, Any]) -> list[tuple[str, str]]:
    liquidations = summary["liquidations"]
    messages = summary["messages"]["by_status"]
    top_ups = summary["top_ups"]
    traders = summary["traders"]
    rows = [
        ("outcome", summary["status"] if not summary["invariant_violation"]
         else f"INVARIANT VIOLATED: {summary['invariant_violation']['invariant']} - {summary['invariant_violation']['detail']}"),
        ("bad debt", f"{usd(summary['bad_debt_usd'])} (insurance drew {usd(summary['insurance_drawn_usd'])}, "
                     f"uncovered {usd(summary['uncovered_bad_debt_usd'])})"),
        *_insolvent_rows(summary),
        ("liquidations", f"{liquidations['count']} (volume {usd(liquidations['volume_usd'], 0)}, "
                         f"bonus {usd(liquidations['bonus_usd'], 0)}, {liquidations['attempts']} attempts)"),
        ("underwater -> liquidated", _delays(liquidations["underwater_to_liquidation_s"])),
        ("liquidated -> seized", _delays(liquidations["liquidation_to_seizure_s"])),
        ("top-ups", f"{top_ups['requested']} requested, {top_ups['credited']} credited, {top_ups['too_late']} too late"),
        ("positions", f"{traders['positions_opened']} opened, {traders['positions_closed']} closed by their traders"),
        ("withdrawals", ", ".join(f"{v} {k}" for k, v in traders["withdrawals"].items()) or "-"),
        ("messages", ", ".join(f"{v} {k}" for k, v in messages.items()) or "-"),
    ]
    if "market" in summary:
        rows.extend(_market_rows(summary))
    for name, chain in summary["chains"].items():
        rows.append((f"chain {name}", f"{chain['blocks']} blocks, {chain['transactions']} txs, {chain['gas']:,} gas"
                                      + _congestion(chain)))
    if summary.get("attack_successes"):
        rows.append(("attack successes", str(len(summary["attack_successes"]))))
    rows.extend([
        ("time", f"{summary['simulated_seconds']:,.0f} s simulated in {summary['wall_seconds']:,.1f} s wall "
                 f"({summary['simulated_per_wall_second']}x)"),
        ("trace hash", summary["trace_hash"]),
    ])
    return rows


def _congestion(chain: Mapping[str, Any]) -> str:
    """A congested chain's base fee, fullness and losses (nothing for a quiet one)."""
    fees = chain.get("base_fee_gwei") or {}
    if not fees.get("max") or fees["max"] < 1 and not chain.get("dropped"):
        return ""
    return (f"; base fee p50 {fees['p50']:,.1f} gwei (max {fees['max']:,.1f}), blocks {chain['block_fullness']:.0%} full, "
            f"up to {chain['mempool_max']:,} waiting, {chain['dropped']:,} dropped")


def _insolvent_rows(summary: Mapping[str, Any]) -> list[tuple[str, str]]:
    insolvent = summary.get("open_insolvent")
    if not insolvent or not insolvent["buckets"]:
        return []
    return [("left insolvent", f"{insolvent['buckets']} buckets open below zero equity, {usd(insolvent['shortfall_usd'])} "
                               f"short (insolvent debt with bad debt {usd(summary['insolvent_debt_usd'])})")]


def _market_rows(summary: Mapping[str, Any]) -> list[tuple[str, str]]:
    market, keepers, adl, backstop = summary["market"], summary["keepers"], summary["adl"], summary["backstop"]
    amplification = "-" if market["amplification"] is None else f"x{market['amplification']:.2f}"
    sales = market["forced_sales"]
    return [
        ("market fall", f"{market['feed']}: fundamental -{market['exogenous_drop']:.1%}, reference "
                        f"-{market['reference_drop']:.1%}, oracle -{market['realised_drop']:.1%} ({amplification})"),
        ("forced sales", f"{usd(market['forced_sales_usd'], 0)} (liquidations {usd(sales['liquidations_usd'], 0)}, keepers "
                         f"on pools {usd(sales['keeper_pool_sales_usd'], 0)}), slippage {usd(market['slippage_usd'], 0)}, "
                         f"{market['waves']} wave{'' if market['waves'] == 1 else 's'}"),
        ("keepers", f"PnL {usd(keepers['pnl_usd'], 0)}, {keepers['declined']} declined"),
        ("after insurance", f"ADL ({adl['mode']}): {adl['count']} closes, {usd(adl['volume_usd'], 0)}, {usd(adl['recovered_usd'], 0)} "
                            f"recovered; backstop took over {usd(backstop['taken_over_usd'], 0)} ({backstop['count']})"),
    ]


def summary_table(summary: Mapping[str, Any], title: str | None = None) -> Table:
    table = Table(title=title or f"{summary['scenario']} (seed {summary['seed']})", show_header=False)
    table.add_column("metric", style="bold")
    table.add_column("value")
    for key, value in summary_rows(summary):
        table.add_row(key, value)
    return table


def run_label(path: str, summary: Mapping[str, Any]) -> str:
    """A column heading that tells runs apart: the directory, then scenario, seed and overrides."""
    overrides = summary.get("overrides") or []
    settings = "\n".join(overrides) if overrides else "no overrides"
    return f"{path}\n{summary['scenario']} (seed {summary['seed']})\n{settings}"


def comparison_table(runs: Iterable[tuple[str, Mapping[str, Any]]]) -> Table:
    """Runs side by side, one column per run, headed by its directory, scenario, seed and overrides."""
    runs = list(runs)
    table = Table(title="runs side by side")
    table.add_column("metric", style="bold")
    for path, summary in runs:
        table.add_column(run_label(path, summary))
    rows = [dict(summary_rows(summary)) for _, summary in runs]
    labels: list[str] = []  # every run's rows, in order; one only some runs have goes after its predecessor
    for row in rows:
        previous = None
        for label in row:
            if label not in labels:
                labels.insert(labels.index(previous) + 1 if previous is not None else 0, label)
            previous = label
    for label in labels:
        table.add_row(label, *(row.get(label, "-") for row in rows))
    return table


def scenarios_table() -> Table:
    table = Table(title="built-in scenarios")
    table.add_column("name", style="bold")
    table.add_column("description")
    for name, path in builtin_scenarios().items():
        table.add_row(name, str(read_toml(path).get("description", "")))
    return table


def message_table(message_id: str, events: list[Mapping[str, Any]]) -> Table:
    table = Table(title=f"message {message_id}")
    for column in ("t (s)", "stage", "chain", "block", "actor", "detail"):
        table.add_column(column)
    for event in events:
        detail = ", ".join(f"{k}={v}" for k, v in sorted((event.get("detail") or {}).items()))
        table.add_row(f"{event['t']:.1f}", event["stage"], str(event.get("chain") or ""), str(event.get("block") or ""),
                      str(event.get("actor") or ""), detail)
    return table


def account_table(account: str, events: list[Mapping[str, Any]], world: WorldFile) -> Table:
    """An account's story, amounts in their units (tokens, USD, base-asset sizes)."""
    entry = world.account(account)
    title = f"account {account}" + (f" ({entry['name']}, {entry['role']})" if entry else "")
    table = Table(title=title)
    for column in ("t (s)", "what", "where", "detail"):
        table.add_column(column)
    for event in events:
        what = event.get("action") or event.get("event") or event["kind"]
        where = event.get("chain") or event.get("actor") or ""
        owner = world.named(event["actor"]) if event["kind"] == "agent" else None
        table.add_row(f"{event['t']:.1f}", what, where, world.describe(event, owner))
    return table


def accounts_table(accounts: list[Mapping[str, Any]]) -> Table:
    """Every account of a run with its role, and how many trace events name it."""
    table = Table(title="accounts", box=box.SIMPLE_HEAD, show_edge=False)
    for column in ("name", "role", "events", "address"):
        table.add_column(column, justify="right" if column == "events" else "left", no_wrap=True)
    for entry in accounts:
        table.add_row(entry["name"], entry["role"], str(entry["events"]), entry["address"])
    return table
