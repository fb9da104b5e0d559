"""What a run leaves behind for people: the plot (PNG) and an HTML report."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any, Mapping

import matplotlib

matplotlib.use("Agg")  # no screen; must precede pyplot
import matplotlib.pyplot as plt  # noqa: E402


def plot_run(series: Mapping[str, Any], liquidation_times: list[float], path: Path, title: str) -> None:
    """Prices (fundamental, reference, oracle); pool prices and reserves; total equity vs maintenance;
    liquidations; bad debt and insurance, over simulated hours."""
    hours = [t / 3600 for t in series["t"]]
    pools = series.get("pools", {})
    figure, axes = plt.subplots(6 if pools else 4, 1, figsize=(10, 16 if pools else 11), sharex=True)
    prices_axis, *rest = axes
    if pools:
        pool_axis, reserve_axis, margin_axis, liquidation_axis, debt_axis = rest
    else:
        margin_axis, liquidation_axis, debt_axis = rest

    colours = {}
    for asset, values in sorted(series["prices"].items()):
        first = next((v for v in values if v), 1.0)
        line, = prices_axis.plot(hours, [v / first * 100 for v in values], label=f"{asset} fundamental ({first:,.0f} = 100)")
        colours[asset] = line.get_color()
        reference = series.get("reference", {}).get(asset)
        if reference and any(abs(r - v) > 1e-9 for r, v in zip(reference, values)):
            prices_axis.plot(hours, [v / first * 100 for v in reference], color=colours[asset], linestyle="--",
                             label=f"{asset} reference (forced trading)")
        oracle = series.get("oracle", {}).get(asset)
        if oracle:
            prices_axis.plot(hours, [v / first * 100 if v else float("nan") for v in oracle], color=colours[asset],
                             linestyle=":", label=f"{asset} oracle")
    prices_axis.set_ylabel("price index")
    prices_axis.legend(loc="best", fontsize="x-small", ncol=2)

    if pools:
        for key, values in sorted(pools.items()):
            asset = key.split(":", 1)[1]
            first = next((v for v in series["prices"].get(asset, []) if v), None) or next((v for v in values["price"] if v), 1.0)
            pool_axis.plot(hours, [v / first * 100 for v in values["price"]], label=f"pool {key}")
            reserve_axis.plot(hours, values["quote_reserve"], label=f"{key} quote reserve")
        pool_axis.set_ylabel("pool price index")
        pool_axis.legend(loc="best", fontsize="x-small", ncol=2)
        reserve_axis.set_ylabel("USDC in pool")
        reserve_axis.legend(loc="best", fontsize="x-small", ncol=2)

    margin_axis.plot(hours, series["equity"], label="equity of buckets with positions")
    margin_axis.plot(hours, series["maintenance"], label="their maintenance requirement", linestyle="--")
    margin_axis.set_ylabel("USD")
    margin_axis.legend(loc="best", fontsize="small")

    liquidation_hours = sorted(t / 3600 for t in liquidation_times)
    liquidation_axis.step(
        [0.0, *liquidation_hours, hours[-1] if hours else 0.0],
        [0, *range(1, len(liquidation_hours) + 1), len(liquidation_hours)],
        where="post",
        label="liquidations (cumulative)",
    )
    liquidation_axis.set_ylabel("count")
    liquidation_axis.legend(loc="best", fontsize="small")

    debt_axis.plot(hours, series["bad_debt"], label="bad debt (cumulative)", color="tab:red")
    debt_axis.plot(hours, series["insurance_drawn"], label="drawn from the insurance fund", color="tab:green",
                   linestyle="--")
    debt_axis.set_ylabel("USD")
    debt_axis.set_xlabel("simulated hours")
    debt_axis.legend(loc="best", fontsize="small")

    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)


def write_html_report(run_dir: Path, summary: Mapping[str, Any], plot_name: str) -> Path:
    rows = "\n".join(
        f"<tr><th>{html.escape(str(key))}</th><td><pre>{html.escape(_format(value))}</pre></td></tr>"
        for key, value in summary.items()
    )
    title = html.escape(f"xmargin run: {summary.get('scenario', '?')} (seed {summary.get('seed', '?')})")
    document = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;max-width:1000px;margin:2em auto}}
th{{text-align:left;vertical-align:top;padding-right:1em}}pre{{margin:0}}</style></head>
<body><h1>{title}</h1>
<img src="{html.escape(plot_name)}" alt="prices, equity, liquidations and bad debt over time" width="900">
<table>{rows}</table></body></html>
"""
    path = run_dir / "report.html"
    path.write_text(document, encoding="utf-8")
    return path


def _format(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, indent=2, sort_keys=True)
    return str(value)
