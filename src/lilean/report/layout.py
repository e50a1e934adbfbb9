"""Journal layout for the report's matplotlib figures, applied just before saving.

* Legends outside the data: every axes legend is replaced by one figure legend in a margin to the
  right of the axes (the figure is widened so the axes keep their size; duplicate labels merged).
* Series that would hide each other get distinct line styles and open markers.
* Axes set by the bulk of the data, not by spikes or flagged points (:func:`robust_ylim`): rare
  outlying points no longer stretch the y axis (they are clipped at the axis edge).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

#: share of the widened figure kept for the axes (the rest holds the legend)
AXES_SHARE = 0.7
#: a label longer than this is shortened in the middle
MAX_LABEL = 48
#: the axis range may exceed the bulk range by this factor before the axis is limited
SPIKE_FACTOR = 1.5
#: distance from the median, in median absolute deviations, beyond which a point is an outlier
OUTLIER_MADS = 8.0
#: outliers are clipped only when they are at most this share of the points
MAX_OUTLIER_SHARE = 0.02


def _short(label: str) -> str:
    if len(label) <= MAX_LABEL:
        return label
    half = (MAX_LABEL - 1) // 2
    return f"{label[:half]}…{label[-half:]}"


def robust_ylim(ax: Any) -> tuple[float, float] | None:
    """New y limits for ``ax`` when a few outlying points (spikes, flagged cycles) set its y
    range, else None.

    Outliers: points farther than ``OUTLIER_MADS`` robust standard deviations (from the median
    absolute deviation, or from the 5-95 % range for two-level data) from the median,
    and only when they are rare (at most ``MAX_OUTLIER_SHARE`` of the points: a real trend such
    as a capacity collapse is never clipped). Explicit limits inside the bulk range are kept.
    """
    if ax.get_yscale() != "linear" or ax.images:
        return None
    ys = [
        np.asarray(line.get_ydata(), dtype=float)
        for line in ax.get_lines()
        if np.size(line.get_ydata()) >= 5
    ]
    if not ys:
        return None
    y = np.concatenate(ys)
    y = y[np.isfinite(y)]
    if y.size < 10:
        return None
    median = float(np.median(y))
    p5, p95 = np.percentile(y, [5, 95])
    # robust scale: the MAD, or the 5-95 % width for two-level data (plating/stripping)
    scale = max(float(np.median(np.abs(y - median))) * 1.4826, float(p95 - p5) / 3.29)
    if scale <= 0:
        return None
    inlier = np.abs(y - median) <= OUTLIER_MADS * scale
    n_out = int((~inlier).sum())
    if n_out == 0 or n_out > MAX_OUTLIER_SHARE * y.size:
        return None
    lo, hi = float(y[inlier].min()), float(y[inlier].max())
    span = hi - lo if hi > lo else abs(hi) or 1.0
    a, b = ax.get_ylim()
    if (b - a) <= SPIKE_FACTOR * span:
        return None
    pad = 0.08 * span
    return max(a, lo - pad), min(b, hi + pad)


#: line styles and open markers given to series that lie on top of each other
_STYLES = (("-", "o"), ("--", "s"), (":", "^"), ("-.", "D"))


def separate_overlaps(ax: Any) -> bool:
    """Give distinct line styles and open markers to series of ``ax`` that would hide each other
    (same x, y within 2 % of the axis span); True when it changed something."""
    lines = [ln for ln in ax.get_lines() if np.size(ln.get_ydata()) >= 2]
    if len(lines) < 2 or len(lines) > len(_STYLES):
        return False
    y0, y1 = ax.get_ylim()
    span = abs(y1 - y0) or 1.0
    overlap = False
    for a in range(len(lines)):
        for b in range(a + 1, len(lines)):
            xa, xb = (
                np.asarray(lines[a].get_xdata(), float),
                np.asarray(lines[b].get_xdata(), float),
            )
            ya, yb = (
                np.asarray(lines[a].get_ydata(), float),
                np.asarray(lines[b].get_ydata(), float),
            )
            if (
                xa.shape == xb.shape
                and np.allclose(xa, xb)
                and np.nanmax(np.abs(ya - yb)) < 0.02 * span
            ):
                overlap = True
    if not overlap:
        return False
    for k, line in enumerate(lines):
        style, marker = _STYLES[k]
        line.set_linestyle(style)
        line.set_marker(marker)
        line.set_markersize(4 - k * 0.5)
        line.set_markerfacecolor("none" if k else line.get_color())
    return True


def journal_layout(fig: Any) -> Any:
    """Apply the journal layout to ``fig`` in place (module docstring) and return it."""
    handles: list[Any] = []
    labels: list[str] = []
    for ax in fig.get_axes():
        separate_overlaps(ax)
        limits = robust_ylim(ax)
        if limits is not None:
            ax.set_ylim(*limits)
        legend = ax.get_legend()
        if legend is None:
            continue
        for handle, text in zip(legend.legend_handles, legend.get_texts(), strict=False):
            label = text.get_text()
            if label and label not in labels and handle is not None:
                handles.append(handle)
                labels.append(label)
        legend.remove()
    if not handles:
        return fig
    width, height = fig.get_size_inches()
    fig.set_size_inches(width / AXES_SHARE, height)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tight_layout on colour bars / image grids
        fig.tight_layout(rect=(0.0, 0.0, AXES_SHARE, 1.0))
    fig.legend(
        handles,
        [_short(label) for label in labels],
        loc="upper left",
        bbox_to_anchor=(AXES_SHARE + 0.01, 0.98),
        frameon=False,
        fontsize=7,
    )
    return fig
