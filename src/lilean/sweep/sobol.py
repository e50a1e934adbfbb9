"""Sobol sensitivity indices of a complete saltelli sweep (SALib) and their bar chart."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from lilean.sweep.cases import SweepError, require_sweep_extra
from lilean.sweep.spec import SweepSpec


def sobol_indices(
    spec: SweepSpec, results: pd.DataFrame, output: str, *, seed: int | None = None
) -> pd.DataFrame:
    """First-order (``S1``) and total (``ST``) Sobol indices of ``output`` with 95 % bootstrap
    confidence half-widths (``S1_conf``, ``ST_conf``), one row per continuous parameter, from a
    complete ``saltelli`` sweep (SALib ``sobol.analyze``, ``calc_second_order=False``)."""
    if spec.design != "saltelli":
        raise SweepError(
            f"{spec.source}: Sobol indices need design = 'saltelli', not {spec.design!r}"
        )
    if output not in results:
        raise SweepError(
            f"{spec.source}: output {output!r} was not kept; kept {list(spec.outputs)}"
        )
    total = spec.n_cases()
    df = results.sort_values("case_index")
    if len(df) != total or not np.array_equal(df["case_index"].to_numpy(), np.arange(total)):
        raise SweepError(
            f"{spec.source}: Sobol indices need all {total} cases; found {len(df)} (resume the sweep)"
        )
    y = df[output].to_numpy(dtype=float)
    bad = np.flatnonzero(~np.isfinite(y))
    if bad.size:
        raise SweepError(
            f"{spec.source}: {output} is NaN/failed in {bad.size} cases (first: case {int(df['case_index'].iloc[bad[0]])}); "
            "Sobol indices need a finite output everywhere"
        )
    analyze = require_sweep_extra("SALib.analyze.sobol")
    res = analyze.analyze(
        spec.problem(), y, calc_second_order=False, print_to_console=False,
        seed=spec.seed if seed is None else seed,
    )  # fmt: skip
    return pd.DataFrame(
        {
            "parameter": spec.problem()["names"],
            "S1": res["S1"],
            "S1_conf": res["S1_conf"],
            "ST": res["ST"],
            "ST_conf": res["ST_conf"],
        }
    )


def plot_sobol(indices: pd.DataFrame, output: str, stem: str | Path) -> list[Path]:
    """Bar chart of S1 and ST (with confidence bars) per parameter -> ``stem``.png/.svg."""
    import matplotlib.pyplot as plt

    from lilean.plotting.figures import save_figure
    from lilean.plotting.style import paper_style

    with paper_style():
        n = len(indices)
        fig, ax = plt.subplots(figsize=(max(3.5, 0.9 * n + 1.5), 3.0))
        x = np.arange(n)
        ax.bar(
            x - 0.2,
            indices["S1"],
            0.4,
            yerr=indices["S1_conf"],
            label="first order $S_1$",
            capsize=2,
        )
        ax.bar(x + 0.2, indices["ST"], 0.4, yerr=indices["ST_conf"], label="total $S_T$", capsize=2)
        ax.set_xticks(
            x, [str(p).rsplit(".", 1)[-1] for p in indices["parameter"]], rotation=30, ha="right"
        )
        ax.set_ylabel(f"Sobol index of {output}")
        ax.set_ylim(bottom=min(0.0, float(np.nanmin(indices[["S1", "ST"]].to_numpy())) - 0.05))
        ax.legend(frameon=False)
        fig.tight_layout()
        paths: list[Path] = save_figure(fig, stem)
        plt.close(fig)
    return paths
