"""Cross-sections of the Li deposition lattice (:mod:`lilean.lattice.deposition`).

One panel per snapshot (plated capacity), colour-coded voxels: electrolyte, Cu, Ag, AgCuF3, Li, Li-Ag,
with the descriptors roughness and contact area in each title. Compare with the SEM sequence of
Zhang2023.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from lilean.plotting.style import DOUBLE_COLUMN_IN, figure_size, paper_style

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from lilean.lattice.deposition import DepositionLatticeResult

PHASE_COLORS = ("#ffffff", "#b87333", "#a8a9ad", "#5b8c5a", "#3b6fb6", "#8e5bb5")
PHASE_NAMES = ("electrolyte", "Cu", "Ag", "AgCuF$_3$", "Li", "Li-Ag")


def plot_deposition_sequence(result: DepositionLatticeResult, *, y_index: int = 0) -> Figure:
    """Cross-sections (x-z; the ``y_index`` slice in 3D) of every snapshot of ``result``."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.colors import BoundaryNorm, ListedColormap
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    n = len(result.occupancy)
    a = result.voxel_size_um
    height = max(s.shape[0] for s in result.occupancy)
    cmap = ListedColormap(list(PHASE_COLORS))
    norm = BoundaryNorm(np.arange(-0.5, 6.5), cmap.N)
    with paper_style():
        fig = Figure(figsize=figure_size(DOUBLE_COLUMN_IN, 0.36), layout="constrained")
        FigureCanvasAgg(fig)
        axes = np.atleast_1d(fig.subplots(1, n, sharey=True, squeeze=False)[0])
        for ax, occ, (_, row) in zip(
            axes, result.occupancy, result.descriptors.iterrows(), strict=True
        ):
            section = occ if occ.ndim == 2 else occ[:, y_index, :]
            img = np.zeros((height, section.shape[1]), np.uint8)
            img[: section.shape[0]] = section
            ax.imshow(
                img,
                origin="lower",
                cmap=cmap,
                norm=norm,
                interpolation="nearest",
                extent=(0, img.shape[1] * a, 0, height * a),
            )
            ax.set_title(
                f"{row['capacity_mAh_cm2']:g} mAh/cm$^2$\n"
                f"R$_q$ {row['roughness_um']:.1f} µm, A {row['contact_area_ratio']:.1f}",
                fontsize="small",
            )
            ax.set_xlabel("x (µm)")
        axes[0].set_ylabel("z (µm)")
        fig.legend(
            handles=[
                Patch(color=c, label=lbl) for c, lbl in zip(PHASE_COLORS, PHASE_NAMES, strict=True)
            ],
            loc="outside lower center",
            ncols=6,
            fontsize="small",
        )
        fig.suptitle(
            f"Li on {result.substrate} at {result.current_density_mA_cm2:g} mA/cm$^2$",
            fontsize="medium",
        )
    return fig
