"""One paper style for every lilean figure.

* single-column width 3.5 in (double column 7.0 in), the usual journal sizes (ACS, Elsevier);
* sans-serif fonts (DejaVu Sans, which ships with matplotlib, so output is the same everywhere) at
  8 pt for labels and 7 pt for ticks and legends;
* the colour-blind-safe Okabe-Ito palette (Okabe & Ito, "Color Universal Design", 2008);
* no chart junk: no top/right spines (except on twin axes), no grid, thin lines, inward ticks;
* PNG at 300 dpi, SVG with text kept as text and no time stamp (reproducible files).

Use :func:`paper_style` as a context manager around figure creation *and* saving; the figure
functions in :mod:`lilean.plotting.figures` and :func:`~lilean.plotting.figures.save_figure` already
do.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

#: single journal column, inches
SINGLE_COLUMN_IN = 3.5
#: full page width, inches
DOUBLE_COLUMN_IN = 7.0
#: default aspect (height / width)
ASPECT = 0.75
#: raster resolution for PNG
DPI = 300

#: Okabe-Ito colour-blind-safe palette (black first, then the colours)
PALETTE: tuple[str, ...] = (
    "#000000",
    "#E69F00",
    "#56B4E9",
    "#009E73",
    "#D55E00",
    "#0072B2",
    "#CC79A7",
    "#F0E442",
)
#: colours of the study's two anodes, used whenever a label names them
SUBSTRATE_COLORS = {"cu": "#D55E00", "ag@cu": "#0072B2", "li": "#000000"}

PAPER_RC: dict[str, Any] = {
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 8,
    "axes.labelsize": 8,
    "axes.titlesize": 8,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 7,
    "legend.frameon": False,
    "axes.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
    "axes.prop_cycle": None,  # set in paper_style (needs matplotlib's cycler)
    "lines.linewidth": 1.0,
    "lines.markersize": 3.0,
    "xtick.direction": "in",
    "ytick.direction": "in",
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "xtick.major.size": 3.0,
    "ytick.major.size": 3.0,
    "figure.dpi": 100,
    "savefig.dpi": DPI,
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.02,
    "svg.fonttype": "none",
    "svg.hashsalt": "lilean",
    "mathtext.default": "regular",
    "axes.formatter.useoffset": False,
}


def figure_size(width_in: float = SINGLE_COLUMN_IN, aspect: float = ASPECT) -> tuple[float, float]:
    """(width, height) in inches for a figure ``width_in`` wide with height = aspect x width."""
    return (width_in, width_in * aspect)


def color_for(label: str, index: int) -> str:
    """The study's colour when ``label`` names a substrate (``cu``, ``ag@cu``), else the palette."""
    key = label.strip().lower().replace("li-", "").replace("li||", "").replace(" ", "")
    key = key.replace("ag-cu", "ag@cu").replace("agcu", "ag@cu")
    return SUBSTRATE_COLORS.get(key, PALETTE[index % len(PALETTE)])


@contextmanager
def paper_style() -> Iterator[None]:
    """Temporarily apply :data:`PAPER_RC` (matplotlib ``rc_context``)."""
    import matplotlib as mpl
    from cycler import cycler

    rc = {k: v for k, v in PAPER_RC.items() if v is not None}
    rc["axes.prop_cycle"] = cycler(color=list(PALETTE))
    with mpl.rc_context(rc):  # type: ignore[arg-type]
        yield
