"""Life map of the Li-lean anode: cycles to 80 % retention over Li excess x C-rate, Cu vs Ag@Cu.

Runs ``examples/sweeps/life_map.toml`` (168 cases of up to 503 cycles) on a local dask cluster,
streaming to ``life_map.parquet`` (resumable), and draws ``docs/figures/life_map.png`` (+ .svg)::

    python examples/life_map.py [--workers 2] [--out life_map.parquet]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from lilean.plotting.figures import save_figure
from lilean.plotting.style import paper_style
from lilean.sweep import load_results, load_spec, run_sweep

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "examples" / "sweeps" / "life_map.toml"
LABELS = {"cu": "Li-Cu", "ag-cu": "Li-Ag@Cu"}


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--out", type=Path, default=Path("life_map.parquet"))
    ap.add_argument("--figure", type=Path, default=ROOT / "docs" / "figures" / "life_map")
    args = ap.parse_args()

    spec = load_spec(SPEC)
    summary = run_sweep(spec, args.out, workers=args.workers, resume=args.out.exists())
    print(summary.to_dict())
    df = load_results(args.out)
    cycles = int(spec.fixed["cycles"])
    loading = float(spec.fixed["cathode_loading_mAh_cm2"])

    with paper_style():
        fig, axes = plt.subplots(1, 2, figsize=(7.0, 3.0), sharey=True, constrained_layout=True)
        for ax, substrate in zip(axes, ("cu", "ag-cu"), strict=True):
            part = df[df["substrate"] == substrate]
            grid = part.pivot(
                index="c_rate", columns="li_inventory_mAh_cm2", values="cycles_to_80_percent"
            )
            z = grid.to_numpy(dtype=float)
            censored = ~np.isfinite(z)  # 80 % not reached within the simulated cycles
            shown = np.where(censored, cycles, z)
            x = grid.columns.to_numpy(dtype=float) / loading  # N/P ratio
            y = np.arange(len(grid.index))
            mesh = ax.pcolormesh(
                x, y, shown, shading="nearest", vmin=0, vmax=cycles, cmap="viridis"
            )
            for i, j in zip(*np.nonzero(censored), strict=True):
                ax.text(x[j], y[i], ">", ha="center", va="center", color="white", fontsize=6)
            ax.set_yticks(y, [f"{c:g}" for c in grid.index])
            ax.set_xlabel("N/P ratio (Li mAh/cm$^2$ / 0.4)")
            ax.set_title(LABELS[substrate])
        axes[0].set_ylabel("C-rate")
        fig.colorbar(mesh, ax=axes, label=f"cycles to 80 % (> : beyond {cycles})")
        paths = save_figure(fig, args.figure)
        plt.close(fig)
    print("wrote", ", ".join(str(p) for p in paths))


if __name__ == "__main__":
    main()
