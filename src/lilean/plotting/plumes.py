"""Figures of the Ag plume lattice model (:mod:`lilean.lattice.plumes`): structure and process map."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from lilean.errors import LileanError
from lilean.plotting.style import SINGLE_COLUMN_IN, paper_style

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from lilean.lattice.plumes import PlumeResult

# 0 solution, 1 Cu, 2 Ag, 3 AgCuF3
_PHASE_COLORS = ["#ffffff", "#b87333", "#8c8c8c", "#2a9d8f"]
_PHASE_NAMES = ["solution", "Cu", "Ag", "AgCuF$_3$"]


def new_figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))


def plot_plume_structure(result: PlumeResult) -> Figure:
    """Top view (height of the topmost solid per column) and cross-section (phases) of one substrate.

    In 2D the "top view" is the column height profile along x.
    """
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    occ = result.occupancy
    occ3 = occ if occ.ndim == 3 else occ[:, None, :]
    a = result.voxel_size_um
    nz, ny, nx = occ3.shape
    z0 = result.cu_surface_index
    solid = occ3 != 0
    zidx = np.arange(nz)[:, None, None]
    top = (np.where(solid, zidx, 0).max(axis=0) - z0) * a  # (ny, nx), um above the Cu surface
    section = occ3[:, ny // 2, :]
    zcut = int(min(nz, z0 + 1 + max(np.max(top) / a, 4) * 1.1 + 2))
    zlo = max(z0 - 10, 0)
    cmap = ListedColormap(_PHASE_COLORS)
    with paper_style():
        fig = new_figure(2 * SINGLE_COLUMN_IN, 0.55 * SINGLE_COLUMN_IN * 2)
        ax1, ax2 = fig.subplots(1, 2, width_ratios=[1, 1.4])
        if ny > 1:
            im = ax1.imshow(top, origin="lower", cmap="viridis", extent=(0, nx * a, 0, ny * a))
            fig.colorbar(im, ax=ax1, label="height [µm]")
            ax1.set_xlabel("x [µm]")
            ax1.set_ylabel("y [µm]")
        else:
            ax1.plot(np.arange(nx) * a, top[0], lw=0.8)
            ax1.set_xlabel("x [µm]")
            ax1.set_ylabel("deposit height [µm]")
        ax1.set_title("top view")
        ax2.imshow(
            section[zlo:zcut],
            origin="lower",
            cmap=cmap,
            vmin=-0.5,
            vmax=3.5,
            interpolation="nearest",
            extent=(0, nx * a, (zlo - z0) * a, (zcut - z0) * a),
            aspect="auto",
        )
        ax2.set_xlabel("x [µm]")
        ax2.set_ylabel("z above Cu [µm]")
        ax2.set_title(
            f"{result.agf_wt_percent:g} wt% AgF, {result.minutes:g} min: "
            f"area x{result.surface_area_factor:.1f}"
        )
        handles = [
            Patch(color=c, label=n)
            for c, n in zip(_PHASE_COLORS[1:], _PHASE_NAMES[1:], strict=True)
        ]
        ax2.legend(handles=handles, loc="upper right", fontsize="small", frameon=True)
        fig.tight_layout()
    return fig


def plot_process_map(frame: pd.DataFrame, value: str = "surface_area_factor") -> Figure:
    """Heat map of ``value`` over AgF concentration (wt%) x immersion time (min); optimum marked."""
    needed = {"agf_wt_percent", "minutes", value}
    if not needed <= set(frame.columns):
        raise LileanError(
            f"process map frame lacks column(s) {sorted(needed - set(frame.columns))}"
        )
    grid = frame.pivot_table(index="agf_wt_percent", columns="minutes", values=value)
    conc = grid.index.to_numpy(dtype=float)
    mins = grid.columns.to_numpy(dtype=float)
    z = grid.to_numpy(dtype=float)
    with paper_style():
        fig = new_figure(SINGLE_COLUMN_IN * 1.3, SINGLE_COLUMN_IN * 1.05)
        ax = fig.subplots()
        im = ax.imshow(z, origin="lower", cmap="magma", aspect="auto")
        ax.set_xticks(range(len(mins)), [f"{m:g}" for m in mins])
        ax.set_yticks(range(len(conc)), [f"{c:g}" for c in conc])
        ax.set_xlabel("immersion time [min]")
        ax.set_ylabel("AgF [wt%]")
        mid = 0.5 * (np.nanmin(z) + np.nanmax(z))
        for i in range(z.shape[0]):
            for j in range(z.shape[1]):
                color = "k" if z[i, j] > mid else "w"
                ax.text(j, i, f"{z[i, j]:.1f}", ha="center", va="center", fontsize=6, color=color)
        imax, jmax = np.unravel_index(np.nanargmax(z), z.shape)
        ax.scatter([jmax], [imax], s=160, facecolors="none", edgecolors="c", linewidths=1.2)
        label = "surface area factor [-]" if value == "surface_area_factor" else value
        fig.colorbar(im, ax=ax, label=label)
        fig.tight_layout()
    return fig
