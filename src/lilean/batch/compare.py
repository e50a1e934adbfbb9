"""Groups of cells from a batch dataset: mean and spread vs cycle, and their figure.

Statistics per group and cycle over the cells of the group (replicates): ``mean``, ``std``
(sample standard deviation, ``ddof=1``; NaN for one cell), ``min``, ``max`` and ``n``. Only cycles
whose ``Quality`` is ``ok`` enter (a flagged cycle of one replicate would drag the mean). Metrics
(columns of the dataset's ``cycles`` table):

* ``retention``: ``Retention [%]``;
* ``ce``: ``100 x Coulombic efficiency`` [%];
* ``capacity``: ``Discharge capacity [mAh/g]`` when every cell of the comparison has it, else
  ``Discharge capacity [mAh]``;
* ``polarization``: ``Polarization [mV]`` (see :mod:`lilean.batch.dataset`).

The figure draws the mean as a line and mean +- std as a band (min..max for groups of two cells,
where a standard deviation says little), one colour per group, one panel per metric.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lilean.errors import LileanError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

METRICS = {
    "retention": ("Retention [%]", "Retention [%]"),
    "ce": ("Coulombic efficiency", "Coulombic efficiency [%]"),
    "capacity": ("Discharge capacity [mAh]", "Discharge capacity [mAh]"),
    "polarization": ("Polarization [mV]", "Polarization [mV]"),
}


def grouped_cycles(
    dataset: str | Path, by: str, *, meta_csv: str | Path | None = None
) -> pd.DataFrame:
    """The ``cycles`` table of every cell with a ``Group`` column: the cells' column ``by`` (from
    the dataset's ``cells`` table, or from ``meta_csv`` joined on the file path or name)."""
    from lilean.batch.dataset import load, read_meta

    cells = load(dataset, "cells")
    if meta_csv is not None:
        meta = read_meta(meta_csv)
        if by not in meta.columns:
            raise LileanError(f"{meta_csv}: no column {by!r} (columns {list(meta.columns)})")
        names = cells["file"].map(lambda f: Path(str(f)).name)
        lookup = dict(zip(meta["file"], meta[by], strict=True))
        cells["Group"] = [
            lookup.get(str(f), lookup.get(n)) for f, n in zip(cells["file"], names, strict=True)
        ]
    else:
        if by not in cells.columns:
            raise LileanError(
                f"{dataset}: the cells table has no column {by!r}; columns: {list(cells.columns)}"
            )
        cells["Group"] = cells[by]
    cells = cells[cells["Group"].notna() & (cells["Group"].astype(str) != "")]
    if cells.empty:
        raise LileanError(f"no cell of {dataset} has a value of {by!r}")
    cycles = load(dataset, "cycles", cells["cell"].tolist())
    return cycles.merge(cells[["cell", "Group"]], on="cell")


def group_statistics(cycles: pd.DataFrame, metrics: Sequence[str]) -> pd.DataFrame:
    """Long table: ``Group, Metric, Cycle, mean, std, min, max, n`` (module docstring)."""
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise LileanError(f"unknown metric(s) {unknown}; expected some of {list(METRICS)}")
    ok = cycles[cycles["Quality"].astype(str) == "ok"] if "Quality" in cycles else cycles
    parts = []
    for metric in metrics:
        column = METRICS[metric][0]
        if metric == "capacity" and ok["Discharge capacity [mAh/g]"].notna().all():
            column = "Discharge capacity [mAh/g]"
        values = ok[["Group", "cell", "Cycle", column]].dropna()
        scale = 100.0 if metric == "ce" else 1.0
        values = values.assign(value=scale * values[column].astype(float))
        stats = (
            values.groupby(["Group", "Cycle"])["value"]
            .agg(["mean", "std", "min", "max", "count"])
            .rename(columns={"count": "n"})
            .reset_index()
        )
        stats.insert(1, "Metric", metric)
        stats["Column"] = column
        parts.append(stats)
    return pd.concat(parts, ignore_index=True)


def plot_groups(stats: pd.DataFrame, metrics: Sequence[str]) -> Figure:
    """One panel per metric: mean line and spread band per group (module docstring)."""
    from lilean.plotting.figures import new_figure
    from lilean.plotting.style import color_for, paper_style

    if stats.empty:
        raise LileanError("nothing to compare: no ok cycle in any group")
    with paper_style():
        fig, axes = new_figure(len(metrics), aspect=0.55 * len(metrics), sharex=True)
        axes = np.atleast_1d(axes)
        groups = sorted(stats["Group"].astype(str).unique())
        for ax, metric in zip(axes, metrics, strict=True):
            sub = stats[stats["Metric"] == metric]
            for k, group in enumerate(groups):
                g = sub[sub["Group"].astype(str) == group].sort_values("Cycle")
                if g.empty:
                    continue
                color = color_for(group, k)
                n_cells = int(g["n"].max())
                x = g["Cycle"].to_numpy(dtype=float)
                mean = g["mean"].to_numpy(dtype=float)
                if n_cells >= 3:
                    std = g["std"].fillna(0.0).to_numpy(dtype=float)
                    lo, hi = mean - std, mean + std
                else:
                    lo, hi = g["min"].to_numpy(dtype=float), g["max"].to_numpy(dtype=float)
                ax.fill_between(x, lo, hi, color=color, alpha=0.25, lw=0)
                ax.plot(x, mean, color=color, lw=1.0, label=f"{group} (n = {n_cells})")
            column = sub["Column"].iloc[0] if len(sub) else METRICS[metric][1]
            label = "Coulombic efficiency [%]" if metric == "ce" else str(column)
            ax.set_ylabel(label.replace("mAh/g", "mAh g$^{-1}$"))
        axes[-1].set_xlabel("Cycle number")
        axes[0].legend(loc="best")
    return fig


def compare(
    dataset: str | Path,
    by: str,
    output: str | Path,
    *,
    metrics: Sequence[str] = ("retention", "ce", "capacity", "polarization"),
    meta_csv: str | Path | None = None,
) -> dict[str, Any]:
    """Group statistics of ``dataset`` by ``by`` and the figure ``output`` (+ SVG beside a PNG);
    the statistics also go to ``<output stem>_stats.csv``. Returns what was written."""
    from lilean.batch.export import write_frame
    from lilean.plotting.figures import save_figure

    output = Path(output)
    fmt = output.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg", "pdf"):
        raise LileanError(f"{output}: the figure must end in .png, .svg or .pdf")
    cycles = grouped_cycles(dataset, by, meta_csv=meta_csv)
    stats = group_statistics(cycles, metrics)
    fig = plot_groups(stats, metrics)
    formats = [fmt] + (["svg"] if fmt == "png" else [])
    written = save_figure(fig, output.with_suffix(""), formats)
    stats_path = write_frame(stats, output.with_name(output.stem + "_stats.csv"))
    groups = {str(g): int(n) for g, n in cycles.groupby("Group")["cell"].nunique().items()}
    return {
        "figures": [str(p) for p in written],
        "statistics": str(stats_path),
        "groups": groups,
        "metrics": list(metrics),
    }
