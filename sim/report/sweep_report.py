"""``report.html`` of a sweep directory: each headline metric against each parameter, and the VaR/LaR table."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from typing import TYPE_CHECKING, Any, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from sim.report.page import Figure, Page, Table  # noqa: E402
from sim.report.run_report import DamagedDirectory  # noqa: E402
from sim.report.units import formatted, label, number, usd  # noqa: E402

if TYPE_CHECKING:
    from sim.sweep.layout import SweepDirectory
    from sim.sweep.results import SweepTables

MAX_LINES = 6  # lines per chart (one per combination of the other parameters); more are pooled
DPI = 90


def check_sweep_dir(directory: "SweepDirectory") -> None:
    from sim.sweep.layout import MANIFEST

    problems = []
    try:
        manifest = directory.manifest()
    except Exception as exc:  # noqa: BLE001 - any reason the manifest cannot be read is reported the same way
        raise DamagedDirectory(f"{directory.path}: cannot build the report: {exc}") from None
    for key in ("identity", "params", "points", "runs"):
        if key not in manifest:
            problems.append(f"{MANIFEST} has no {key!r}")
    if not directory.results.is_dir():
        problems.append("results/ is missing (no run has finished)")
    else:
        for path in sorted(directory.results.glob("*.json")):
            try:
                json.loads(path.read_text(encoding="utf-8"))
            except ValueError:
                problems.append(f"results/{path.name} is not valid JSON")
    if problems:
        raise DamagedDirectory(f"{directory.path}: cannot build the report: {'; '.join(problems)}")


def _numeric(values: Sequence[Any]) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def _shown(value: Any) -> str:
    return number(value) if isinstance(value, (int, float)) else str(value)


def metric_charts(directory: "SweepDirectory", tables: "SweepTables", metrics: Sequence[str]) -> list[Figure]:
    """One PNG per parameter: a panel per metric, mean over seeds with its 95% band, a line per other-parameter combination."""
    figures = []
    for index, param in enumerate(tables.params):
        others = [p for p in tables.params if p != param]
        groups: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
        for row in tables.grid:
            groups[tuple(row[p] for p in others)].append(row)
        pooled = len(groups) > MAX_LINES
        columns = 2 if len(metrics) > 1 else 1
        rows = math.ceil(len(metrics) / columns)
        figure, axes = plt.subplots(rows, columns, figsize=(10, 3.0 * rows), squeeze=False)
        xs_all = [row[param] for row in tables.grid]
        categorical = not _numeric(xs_all)
        categories = list(dict.fromkeys(xs_all))
        for axis, metric in zip(axes.flat, metrics):
            series = {(): tables.grid} if pooled else groups
            for key, rows_of in series.items():
                by_x: dict[Any, list[dict[str, Any]]] = defaultdict(list)
                for row in rows_of:
                    by_x[row[param]].append(row)
                xs = sorted(by_x, key=lambda v: categories.index(v)) if categorical else sorted(by_x)
                means, lows, highs = [], [], []
                for x in xs:
                    cell = [r for r in by_x[x] if r.get(f"{metric}.mean") is not None]
                    means.append(_avg([r[f"{metric}.mean"] for r in cell]))
                    lows.append(_avg([r[f"{metric}.ci95_low"] for r in cell if r.get(f"{metric}.ci95_low") is not None]))
                    highs.append(_avg([r[f"{metric}.ci95_high"] for r in cell if r.get(f"{metric}.ci95_high") is not None]))
                positions = [categories.index(x) for x in xs] if categorical else xs
                name = ", ".join(f"{p}={_shown(v)}" for p, v in zip(others, key)) or "mean over seeds"
                line = axis.plot(positions, [_nan(m) for m in means], marker="o", label=name)[0]
                axis.fill_between(positions, [_nan(v) for v in lows], [_nan(v) for v in highs], alpha=0.2,
                                  color=line.get_color(), linewidth=0)
            axis.set_title(label(metric), fontsize="medium")
            axis.set_xlabel(param)
            if categorical:
                axis.set_xticks(range(len(categories)), [str(c)[:24] for c in categories], fontsize="small")
            if len(series) > 1 or others:
                axis.legend(fontsize="x-small", loc="best")
        for axis in list(axes.flat)[len(metrics):]:
            axis.set_visible(False)
        figure.suptitle(f"headline metrics against {param} (mean over seeds, 95% confidence band"
                        f"{'; other parameters pooled' if pooled else ''})", fontsize="medium")
        figure.tight_layout()
        name = f"sweep-{index}.png"
        temporary = directory.path / f".{name}.tmp.png"
        figure.savefig(temporary, dpi=DPI)
        plt.close(figure)
        temporary.replace(directory.path / name)
        figures.append(Figure(name, f"Headline metrics against {param}: mean over seeds with its 95% confidence band"))
    return figures


def _avg(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _nan(value: float | None) -> float:
    return float("nan") if value is None else value


def _ci(row: dict[str, Any], metric: str) -> str:
    mean, low, high = row.get(f"{metric}.mean"), row.get(f"{metric}.ci95_low"), row.get(f"{metric}.ci95_high")
    if mean is None:
        return "-"
    if low is None:
        return formatted(metric, mean)
    return f"{formatted(metric, mean)} [{formatted(metric, low)}, {formatted(metric, high)}]"


def write_sweep_report(directory: "SweepDirectory", tables: "SweepTables") -> Any:
    from sim.sweep.results import HEADLINE

    manifest = directory.manifest()
    params = tables.params
    varying = [m for m in HEADLINE if len({r.get(m) for r in tables.runs if r.get(m) is not None}) > 1]
    metrics = varying or ["bad_debt_usd", "liquidations.count"]
    risk = Table(
        "Value at Risk and Liquidations at Risk (95th percentiles over seeds)",
        (*params, "runs ok / all", "bad debt: mean [95% CI]", "VaR95 bad debt",
         "insolvent debt (bad debt + left insolvent): mean [95% CI]", "VaR95 insolvent debt", "liquidated: mean [95% CI]", "LaR95 liquidated"),
        [(*(_shown(row[p]) for p in params), f"{row['ok']} / {row['runs']}", _ci(row, "bad_debt_usd"),
          usd(row["var95_bad_debt_usd"]), _ci(row, "insolvent_debt_usd"), usd(row["var95_insolvent_debt_usd"]),
          _ci(row, "liquidations.volume_usd"), usd(row["lar95_liquidated_usd"]))
         for row in tables.grid],
        (*([False] * len(params)), True, True, True, True, True, True, True),
    )
    headline = Table(
        "Headline metrics by grid point: mean [95% confidence interval] over the runs that ended ok",
        (*params, *(label(m) for m in metrics)),
        [(*(_shown(row[p]) for p in params), *(_ci(row, m) for m in metrics)) for row in tables.grid],
        (*([False] * len(params)), *([True] * len(metrics))),
    )
    failed = [r for r in tables.runs if r["exit_code"] != 0]
    closing = []
    if failed:
        closing.append(Table(
            f"Runs that failed ({len(failed)})", ("run", *params, "seed", "outcome", "exit code", "error"),
            [(r["run_id"], *(_shown(r[p]) for p in params), str(r["seed"]), r["outcome"], str(r["exit_code"]),
              str(r.get("error") or "")) for r in failed],
        ))
    expected = len(manifest["runs"])
    finished = len(tables.runs)
    overview = Table("Sweep", ("what", "value"), [
        ("scenario", str(manifest["scenario"])),
        ("parameters", "; ".join(f"{k} = {', '.join(v)}" for k, v in manifest["identity"]["params"].items())),
        ("--set", ", ".join(manifest["identity"]["overrides"]) or "-"),
        ("seeds", f"{len(manifest['seeds'])} ({manifest['seeds'][0]}..{manifest['seeds'][-1]})"),
        ("grid points", number(len(manifest["points"]))),
        ("runs finished", f"{finished:,} of {expected:,}" + ("" if finished == expected else " (resume with --resume)")),
        ("runs failed", number(len(failed))),
    ], (False, False))
    page = Page(
        title=f"xmargin sweep: {manifest['scenario']}",
        lead="Each grid point ran once per seed; tables: runs.parquet / runs.csv (a row per run) and grid.csv (a row per point).",
        status=(f"{finished - len(failed)} of {expected} runs ended ok", not failed and finished == expected),
        tables=[overview, risk],
        figures=metric_charts(directory, tables, metrics),
        closing_tables=[headline, *closing],
    )
    return page.write(directory.path / "report.html")

