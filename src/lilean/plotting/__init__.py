"""Paper-style figures (matplotlib, Agg canvas): the public plotting functions of lilean.

>>> from lilean.plotting import plot_cycle_summary, save_figure   # doctest: +SKIP
>>> save_figure(plot_cycle_summary(summary), "cell_summary")         # PNG + SVG   # doctest: +SKIP

Every function returns a :class:`matplotlib.figure.Figure` in the paper style
(:func:`paper_style`); :func:`save_figure` writes PNG (300 dpi) and SVG. The modules are imported
on first use so that ``import lilean`` stays fast and matplotlib-free.
"""

from __future__ import annotations

import importlib
from typing import Any

#: public name -> module that defines it
_EXPORTS: dict[str, str] = {
    # cycler data and the twin's cell simulations
    "plot_voltage": "lilean.plotting.figures",
    "plot_deposition": "lilean.plotting.figures",
    "plot_symmetric": "lilean.plotting.figures",
    "plot_cycle_summary": "lilean.plotting.figures",
    "plot_dqdv": "lilean.plotting.figures",
    "plot_rate": "lilean.plotting.figures",
    "plot_series": "lilean.plotting.figures",
    "save_figure": "lilean.plotting.figures",
    # impedance
    "plot_nyquist": "lilean.plotting.eis",
    "plot_bode": "lilean.plotting.eis",
    # fits and predictions
    "plot_prediction": "lilean.plotting.fitting",
    "plot_corner": "lilean.plotting.fitting",
    # lattice models
    "plot_deposition_sequence": "lilean.plotting.morphology",
    "plot_plume_structure": "lilean.plotting.plumes",
    "plot_process_map": "lilean.plotting.plumes",
    # XRD
    "plot_patterns": "lilean.plotting.xrd",
    "plot_identification": "lilean.plotting.xrd",
    # style
    "paper_style": "lilean.plotting.style",
    "figure_size": "lilean.plotting.style",
    "color_for": "lilean.plotting.style",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'lilean.plotting' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return __all__
