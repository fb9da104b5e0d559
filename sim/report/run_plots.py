"""A run's plots (PNG): prices and oracle, pools, fees and mempools, equity vs maintenance, liquidations and bad debt, delays, message fates."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any, Iterable, Mapping

import matplotlib

matplotlib.use("Agg")  # no screen; must precede pyplot
import matplotlib.pyplot as plt  # noqa: E402

from sim.report.page import Figure  # noqa: E402

WIDTH = 10.0  # inches at DPI: 900 px, inside the page's 1100 px
DPI = 90
FATES = ("dispatched", "processed", "duplicate", "rejected", "reorged", "abandoned", "forged")
TRANSPORT_LOSSES = ("dropped", "partitioned", "corrupted", "lost")


def _save(figure: Any, path: Path) -> None:
    figure.tight_layout()
    temporary = path.with_name(path.stem + ".tmp.png")
    figure.savefig(temporary, dpi=DPI)
    plt.close(figure)
    temporary.replace(path)


def _hours(values: Iterable[float]) -> list[float]:
    return [v / 3600 for v in values]


def _label(axis: Any, ylabel: str, bottom: bool = False, fontsize: str = "small", ncol: int = 1) -> None:
    """An axis's unit and legend; the ``bottom`` one of a figure also says the time axis's."""
    axis.set_ylabel(ylabel)
    if bottom:
        axis.set_xlabel("simulated hours")
    axis.legend(loc="best", fontsize=fontsize, ncol=ncol)


def prices_plot(series: Mapping[str, Any], path: Path) -> None:
    """Per feed: the scenario's path, the reference price forced trading moved (when it did), the oracle's."""
    hours = _hours(series["t"])
    feeds = sorted(series["prices"])
    figure, axes = plt.subplots(len(feeds), 1, figsize=(WIDTH, 2.4 * len(feeds)), sharex=True, squeeze=False)
    for axis, feed in zip(axes[:, 0], feeds):
        fundamental = series["prices"][feed]
        line, = axis.plot(hours, fundamental, label=f"{feed} scenario price")
        reference = series.get("reference", {}).get(feed, [])
        if any(abs(r - f) > 1e-9 for r, f in zip(reference, fundamental)):
            axis.plot(hours[: len(reference)], reference, color=line.get_color(), linestyle="-.",
                      label=f"{feed} reference (moved by forced trading)")
        oracle = series["oracle"].get(feed, [])
        if oracle:
            axis.plot(hours[: len(oracle)], [v if v else float("nan") for v in oracle], linestyle="--",
                      label=f"{feed} oracle (median of fresh reports)")
        _label(axis, "USD")
    axes[-1, 0].set_xlabel("simulated hours")
    _save(figure, path)


def pools_plot(series: Mapping[str, Any], path: Path) -> None:
    """Each pool's price as an index of its asset's first scenario price (100 = no gap), and its quote reserve."""
    hours = _hours(series["t"])
    pools = series["pools"]
    figure, (price_axis, reserve_axis) = plt.subplots(2, 1, figsize=(WIDTH, 5.4), sharex=True)
    for key, values in sorted(pools.items()):
        asset = key.split(":", 1)[1]
        first = next((v for v in series["prices"].get(asset, []) if v), None) or next((v for v in values["price"] if v), 1.0)
        price_axis.plot(hours[: len(values["price"])], [v / first * 100 for v in values["price"]], label=f"pool {key}")
        reserve_axis.plot(hours[: len(values["quote_reserve"])], values["quote_reserve"], label=f"pool {key}")
    _label(price_axis, "price index (scenario start = 100)", fontsize="x-small", ncol=2)
    _label(reserve_axis, "quote tokens in pool", bottom=True, fontsize="x-small", ncol=2)
    _save(figure, path)


def fees_plot(series: Mapping[str, Any], path: Path) -> None:
    """Each chain's base fee (gwei, log scale) and the transactions waiting in its pool."""
    hours = _hours(series["t"])
    figure, (fee_axis, pool_axis) = plt.subplots(2, 1, figsize=(WIDTH, 5.0), sharex=True)
    for name, values in sorted(series["chains"].items()):
        fees = values["base_fee_gwei"]
        fee_axis.plot(hours[: len(fees)], [max(v, 1e-9) for v in fees], label=name)
        pool_axis.plot(hours[: len(values["mempool"])], values["mempool"], label=name)
    fee_axis.set_yscale("log")
    _label(fee_axis, "base fee (gwei)")
    _label(pool_axis, "transactions waiting", bottom=True)
    _save(figure, path)


def margin_plot(series: Mapping[str, Any], path: Path) -> None:
    hours = _hours(series["t"])
    figure, axis = plt.subplots(figsize=(WIDTH, 3.2))
    axis.plot(hours, series["equity"], label="equity of accounts with positions")
    axis.plot(hours, series["maintenance"], linestyle="--", label="their maintenance requirement")
    _label(axis, "USD", bottom=True)
    _save(figure, path)


def liquidations_plot(series: Mapping[str, Any], path: Path) -> None:
    hours = _hours(series["t"])
    end = hours[-1] if hours else 0.0
    figure, (count_axis, debt_axis) = plt.subplots(2, 1, figsize=(WIDTH, 5.0), sharex=True)
    times = sorted(_hours(series.get("liquidation_times", [])))
    count_axis.step([0.0, *times, max(end, times[-1] if times else 0.0)], [0, *range(1, len(times) + 1), len(times)],
                    where="post", label="liquidations (cumulative)")
    _label(count_axis, "count")
    debt_axis.plot(hours, series["bad_debt"], color="tab:red", label="bad debt (cumulative)")
    debt_axis.plot(hours, series["insurance_drawn"], color="tab:green", linestyle="--",
                   label="covered by the insurance fund")
    _label(debt_axis, "USD", bottom=True)
    _save(figure, path)


def delays_plot(delays: Mapping[str, list[float]], path: Path) -> None:
    figure, axes = plt.subplots(1, 2, figsize=(WIDTH, 3.2))
    for axis, (key, title) in zip(axes, (("underwater_to_liquidation_s", "underwater to liquidated"),
                                         ("liquidation_to_seizure_s", "liquidated to seizure settled"))):
        values = delays.get(key, [])
        if values:
            axis.hist(values, bins=min(30, max(5, len(values))), color="tab:blue")
        else:
            axis.text(0.5, 0.5, "no liquidations", ha="center", va="center", transform=axis.transAxes)
        axis.set_title(f"{title} (n={len(values)})", fontsize="medium")
        axis.set_xlabel("seconds")
        axis.set_ylabel("liquidations")
    _save(figure, path)


def messages_plot(records: Iterable[Mapping[str, Any]], end: float, path: Path) -> None:
    """Cumulative count of messages reaching each fate (and packets lost in transport), over time."""
    times: dict[str, list[float]] = defaultdict(list)
    for record in records:
        seen: set[str] = set()
        for event in record.get("events", []):
            kind = event["kind"]
            if kind == "transport":
                fate = event.get("detail", {}).get("fate")
                if fate in TRANSPORT_LOSSES:
                    times[f"packet {fate}"].append(event["time"])
            elif kind in FATES and (kind not in seen or kind in ("duplicate", "rejected")):
                seen.add(kind)
                times[kind].append(event["time"])
    figure, axis = plt.subplots(figsize=(WIDTH, 3.4))
    for name in sorted(times, key=lambda n: (n.startswith("packet"), FATES.index(n) if n in FATES else 0, n)):
        hours = sorted(_hours(times[name]))
        axis.step([0.0, *hours, max(end / 3600, hours[-1])], [0, *range(1, len(hours) + 1), len(hours)],
                  where="post", label=name)
    if not times:
        axis.text(0.5, 0.5, "no messages", ha="center", va="center", transform=axis.transAxes)
    axis.set_ylabel("messages (cumulative)")
    axis.set_xlabel("simulated hours")
    axis.legend(loc="upper left", fontsize="small", ncol=2)
    _save(figure, path)


def run_figures(run_dir: Path, series: Mapping[str, Any], records: list[Mapping[str, Any]], end: float) -> list[Figure]:
    figures = []
    if series.get("t"):
        prices_plot(series, run_dir / "prices.png")
        margin_plot(series, run_dir / "margin.png")
        liquidations_plot(series, run_dir / "liquidations.png")
        figures.append(Figure("prices.png", "Scenario prices (solid), the reference moved by forced trading (dash-dot) "
                                            "and the oracle's (dashed), USD"))
        if series.get("pools"):
            pools_plot(series, run_dir / "pools.png")
            figures.append(Figure("pools.png", "On-chain pool prices against the scenario's, and their quote reserves"))
        figures += [
            Figure("margin.png", "Equity of accounts with positions against their maintenance requirement, USD"),
            Figure("liquidations.png", "Liquidations, and bad debt with what the insurance fund covered"),
        ]
        if series.get("chains"):
            fees_plot(series, run_dir / "fees.png")
            figures.append(Figure("fees.png", "Each chain's base fee and the transactions waiting in its mempool"))
    delays_plot(series.get("delays", {}), run_dir / "delays.png")
    messages_plot(records, end, run_dir / "messages.png")
    figures += [
        Figure("delays.png", "Histograms of liquidation delays (seconds)"),
        Figure("messages.png", "Bridge messages by fate over time (cumulative)"),
    ]
    return figures
