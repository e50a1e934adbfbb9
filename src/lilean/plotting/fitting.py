"""Figures of a twin fit: the prediction band with the knee, and the MCMC corner plot."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from lilean.plotting.style import figure_size, paper_style


def plot_prediction(pred: Any, measured: Any = None) -> Figure:
    """Predicted discharge capacity (mAh/g) vs cycle with its 95 % band, ``knee80_cycle`` and its interval
    (``pred``: :class:`lilean.fitting.Prediction`); ``measured``: optional ``(cycle, mAh/g)``."""
    with paper_style():
        fig = Figure(figsize=figure_size())
        ax = fig.add_subplot()
        ax.fill_between(pred.cycle, pred.low, pred.high, alpha=0.3, label="95 % band")
        ax.plot(pred.cycle, pred.discharge_capacity_mAh_g, label="twin (best fit)")
        if measured is not None:
            ax.plot(*measured, "o", ms=2, label="measured")
        k80 = pred.knee80
        if k80["value"] is not None:
            ax.axvline(k80["value"], ls="--", lw=0.8, color="k", label="knee80 (80 % capacity)")
            lo = k80["low"] if k80["low"] is not None else k80["value"]
            hi = k80["high"] if k80["high"] is not None else pred.cycle[-1]
            ax.axvspan(lo, hi, color="k", alpha=0.08)
        elif k80["low"] is not None:  # open interval: not predictable yet, show where it starts
            ax.axvspan(k80["low"], pred.cycle[-1], color="k", alpha=0.05, label="knee80: open")
        ax.set_xlabel("Cycle")
        ax.set_ylabel("Discharge capacity (mAh g$^{-1}$)")
        ax.legend(frameon=False)
        fig.tight_layout()
    return fig


def plot_corner(chain_log: np.ndarray, names: list[str]) -> Figure:
    """Corner plot (corner package; Foreman-Mackey, JOSS 1, 24 (2016)) of an MCMC chain, shown in
    the parameters' own units (the chain is in log space)."""
    from lilean._optional import require

    corner = require("corner", "fit")
    labels = [n.rsplit(".", 1)[-1] for n in names]
    with paper_style():
        fig: Figure = corner.corner(
            np.exp(np.asarray(chain_log)), labels=labels, quantiles=[0.025, 0.5, 0.975]
        )
    return fig
