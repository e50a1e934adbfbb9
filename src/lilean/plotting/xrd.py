"""XRD figures: stick + profile patterns of the reference phases, measured vs identified phases.

x axis: 2-theta in degrees (Cu K-alpha unless stated); y axis: intensity in arbitrary units
(simulated patterns scaled to 100 at their strongest reflection). matplotlib on an Agg canvas, no
pyplot, in the paper style of :mod:`lilean.plotting.style`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from lilean.errors import ParameterError
from lilean.plotting.style import DOUBLE_COLUMN_IN, SINGLE_COLUMN_IN, figure_size, paper_style

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from lilean.xrd import PhaseIDResult, XRDPattern

#: fixed colour per phase (Okabe-Ito), so a phase looks the same in every figure
PHASE_COLORS = {"Cu": "#D55E00", "Ag": "#0072B2", "AgCuF3": "#009E73"}
TWO_THETA_LABEL = r"2$\theta$ [deg]"


def _figure(nrows: int, width_in: float, aspect: float) -> tuple[Figure, Any]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figure_size(width_in, aspect), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, 1, sharex=True, squeeze=False)[:, 0]
    return fig, axes


def _color(phase: str, index: int) -> str:
    from lilean.plotting.style import PALETTE

    return PHASE_COLORS.get(phase, PALETTE[(index + 1) % len(PALETTE)])


def plot_patterns(patterns: XRDPattern | Sequence[XRDPattern]) -> Figure:
    """One panel per pattern: the broadened profile (line) and the reflections (sticks, coloured
    by phase, (hkl) labels on reflections above 10 % of the strongest)."""
    items = [patterns] if not isinstance(patterns, Sequence) else list(patterns)
    if not items:
        raise ParameterError("patterns: nothing to plot")
    with paper_style():
        fig, axes = _figure(len(items), SINGLE_COLUMN_IN, 0.45 * len(items) + 0.25)
        for ax, pat in zip(axes, items, strict=True):
            ax.plot(pat.two_theta_deg, pat.intensity, color="0.35", lw=0.7)
            seen: list[str] = []
            for row in pat.peaks.itertuples(index=False):
                phase = str(row.phase)
                color = _color(
                    phase, list(PHASE_COLORS).index(phase) if phase in PHASE_COLORS else 0
                )
                ax.vlines(
                    row.two_theta_deg,
                    0.0,
                    row.intensity,
                    color=color,
                    lw=1.2,
                    label=phase if phase not in seen else None,
                )
                seen.append(phase)
                if row.intensity >= 10.0:
                    ax.annotate(
                        str(row.hkl),
                        (row.two_theta_deg, row.intensity),
                        xytext=(0, 2),
                        textcoords="offset points",
                        ha="center",
                        fontsize=5,
                        color=color,
                    )
            ax.set_ylim(0, 118)
            ax.set_ylabel("Intensity [a.u.]")
            ax.legend(loc="upper right")
        axes[-1].set_xlabel(TWO_THETA_LABEL)
        axes[-1].set_xlim(items[0].two_theta_deg[0], items[0].two_theta_deg[-1])
    return fig


def plot_identification(
    two_theta_deg: Sequence[float] | np.ndarray,
    intensity: Sequence[float] | np.ndarray,
    result: PhaseIDResult,
    *,
    label: str = "measured",
) -> Figure:
    """Measured pattern (line) with its detected peaks (markers) and, below, the reference sticks
    of every tested phase (present: solid, absent: faded), matched reflections marked."""
    x = np.asarray(two_theta_deg, dtype=float)
    y = np.asarray(intensity, dtype=float)
    if x.shape != y.shape or x.size == 0:
        raise ParameterError("two_theta_deg and intensity: expected equal, non-empty arrays")
    with paper_style():
        fig, axes = _figure(2, DOUBLE_COLUMN_IN / 1.4, 0.7)
        top, bottom = axes
        top.plot(x, y, color="black", lw=0.6, label=label)
        if len(result.peaks):
            px = result.peaks["two_theta_deg"].to_numpy()
            py = np.interp(px, x, y)
            top.plot(px, py, "v", color="0.4", ms=3, label="detected peaks")
        top.set_ylabel("Intensity [counts]")
        verdict = ", ".join(result.present) or "none"
        top.set_title(f"identified: {verdict}")
        top.legend(loc="upper right")
        n = len(result.matches)
        for i, match in enumerate(result.matches):
            color = _color(match.phase, i)
            alpha = 1.0 if match.present else 0.3
            base = n - 1 - i
            refs = match.matched + match.missing
            for ref in refs:
                h = 0.85 * ref["intensity_ref"] / 100.0
                bottom.vlines(ref["two_theta_ref_deg"], base, base + h, color=color, alpha=alpha)
            for ref in match.matched:
                bottom.plot(
                    ref["two_theta_ref_deg"],
                    base + 0.9,
                    "o",
                    color=color,
                    ms=2.5,
                    alpha=alpha,
                )
            bottom.text(
                x[0],
                base + 0.45,
                f" {match.phase} (score {match.score:.2f})",
                color=color,
                alpha=max(alpha, 0.6),
                fontsize=6,
                va="center",
            )
        bottom.set_ylim(0, n)
        bottom.set_yticks([])
        bottom.set_ylabel("Reference")
        bottom.set_xlabel(TWO_THETA_LABEL)
        bottom.set_xlim(x[0], x[-1])
    return fig


__all__ = ["PHASE_COLORS", "plot_identification", "plot_patterns"]
