"""Nyquist and Bode plots of impedance spectra (measured points, fitted lines).

Convention: ``Z = Z_re + j Z_im`` (capacitive arcs have ``Z_im < 0``); the Nyquist plot shows
``-Z_im`` upwards with equal axis scales, so a semicircle looks like one. Bode plots show
``|Z| = sqrt(Z_re^2 + Z_im^2)`` (log-log) and the phase ``arg(Z)`` in degrees against log f.

Several spectra (e.g. after N cycles) are coloured along a colour map with a colour bar when there
are more than :data:`COLORBAR_MIN_SPECTRA`; fewer get the default colour cycle and a legend.
matplotlib is imported inside the functions, with the non-interactive Agg backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lilean.errors import ParameterError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from lilean.eis.analysis import EISFit
    from lilean.eis.io import ImpedanceData

COLORBAR_MIN_SPECTRA = 3
"""From this many spectra on, colour by a colour scale with a colour bar."""

Spectrum = tuple[str, "ImpedanceData | tuple[Any, Any]"]


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _expand(spectra: Sequence[Spectrum]) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """``(label, f, Z)`` per spectrum; an ImpedanceData with several spectra gives one entry each
    (label ``"<label> #n"``)."""
    from lilean.eis.io import ImpedanceData

    out: list[tuple[str, np.ndarray, np.ndarray]] = []
    for item in spectra:
        if not isinstance(item, tuple) or len(item) != 2:
            raise ParameterError(
                "spectra: expected a list of (label, ImpedanceData or (f, Z)) tuples"
            )
        label, data = item
        if isinstance(data, ImpedanceData):
            if data.n_spectra == 1:
                f, z = data.to_impedance_arrays()
                out.append((str(label), f, z))
            else:
                for n, part in data.spectra():
                    f, z = part.to_impedance_arrays()
                    out.append((f"{label} #{n}", f, z))
        else:
            f, z = data
            f = np.asarray(f, dtype=float)
            z = np.asarray(z, dtype=complex)
            if f.shape != z.shape:
                raise ParameterError(f"spectrum {label!r}: f and Z differ in length")
            out.append((str(label), f, z))
    if not out:
        raise ParameterError("spectra: nothing to plot")
    return out


def _colours(
    n: int, color_values: Sequence[float] | None, cmap: str
) -> tuple[list[Any], Any | None, np.ndarray | None]:
    """Colours per spectrum and, for colour-scale mode, the ScalarMappable for the colour bar."""
    import matplotlib as mpl

    if color_values is not None and len(color_values) != n:
        raise ParameterError(f"color_values has {len(color_values)} values for {n} spectra")
    if n < COLORBAR_MIN_SPECTRA and color_values is None:
        cycle = mpl.rcParams["axes.prop_cycle"].by_key().get("color", ["C0"])
        return [cycle[k % len(cycle)] for k in range(n)], None, None
    values = np.arange(1, n + 1, dtype=float) if color_values is None else np.asarray(color_values)
    vmin, vmax = float(np.min(values)), float(np.max(values))
    if vmin == vmax:
        vmax = vmin + 1.0
    norm = mpl.colors.Normalize(vmin=vmin, vmax=vmax)
    cmap_obj = mpl.colormaps[cmap]
    mappable = mpl.cm.ScalarMappable(norm=norm, cmap=cmap_obj)
    return [cmap_obj(norm(v)) for v in values], mappable, values


def _fit_list(fits: Any, n: int) -> list[Any]:
    if fits is None:
        return [None] * n
    fits = list(fits)
    if len(fits) != n:
        raise ParameterError(f"fits has {len(fits)} entries for {n} spectra (use None to skip)")
    return fits


def _fit_curve(fit: EISFit, f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    f_dense = np.logspace(np.log10(f.min()), np.log10(f.max()), 200)
    return f_dense, fit.predict(f_dense)


def plot_nyquist(
    spectra: Sequence[Spectrum],
    fits: Sequence[EISFit | None] | None = None,
    *,
    color_values: Sequence[float] | None = None,
    colorbar_label: str = "spectrum",
    cmap: str = "viridis",
    title: str | None = None,
) -> Figure:
    """Nyquist plot: ``-Z_im`` against ``Z_re`` (Ohm), equal axes.

    ``spectra`` is a list of ``(label, ImpedanceData | (f [Hz], Z [Ohm] complex))``; ``fits`` (same
    length, entries may be None) adds the fitted circuit as a line over the measured frequency
    range. ``color_values`` (e.g. cycle numbers) sets the colour scale, labelled
    ``colorbar_label``.
    """
    plt = _pyplot()
    items = _expand(spectra)
    colours, mappable, _ = _colours(len(items), color_values, cmap)
    fit_list = _fit_list(fits, len(items))
    fig, ax = plt.subplots(figsize=(6.0, 5.0), layout="constrained")
    for (label, f, z), colour, fit in zip(items, colours, fit_list, strict=True):
        ax.plot(z.real, -z.imag, "o", ms=3.5, color=colour, label=label, mfc="none")
        if fit is not None:
            _, z_fit = _fit_curve(fit, f)
            ax.plot(z_fit.real, -z_fit.imag, "-", lw=1.3, color=colour)
    ax.set_xlabel(r"$Z_\mathrm{re}$ [$\Omega$]")
    ax.set_ylabel(r"$-Z_\mathrm{im}$ [$\Omega$]")
    ax.set_aspect("equal", adjustable="datalim")
    ax.axhline(0.0, color="0.6", lw=0.6)
    ax.grid(True, alpha=0.3)
    if title:
        ax.set_title(title)
    if any(fit is not None for fit in fit_list):
        ax.plot([], [], "-", color="0.3", lw=1.3, label="fit (lines)")
    if mappable is not None:
        fig.colorbar(mappable, ax=ax, label=colorbar_label)
    else:
        ax.legend(fontsize="small")
    return fig


def plot_bode(
    spectra: Sequence[Spectrum],
    fits: Sequence[EISFit | None] | None = None,
    *,
    color_values: Sequence[float] | None = None,
    colorbar_label: str = "spectrum",
    cmap: str = "viridis",
    title: str | None = None,
) -> Figure:
    """Bode plot: ``|Z|`` (log-log) and phase ``arg(Z)`` in degrees against log f, two panels.

    Arguments as :func:`plot_nyquist`.
    """
    plt = _pyplot()
    items = _expand(spectra)
    colours, mappable, _ = _colours(len(items), color_values, cmap)
    fit_list = _fit_list(fits, len(items))
    fig, (ax_mod, ax_ph) = plt.subplots(2, 1, figsize=(6.0, 6.0), sharex=True, layout="constrained")
    for (label, f, z), colour, fit in zip(items, colours, fit_list, strict=True):
        ax_mod.loglog(f, np.abs(z), "o", ms=3.5, color=colour, label=label, mfc="none")
        ax_ph.semilogx(f, np.degrees(np.angle(z)), "o", ms=3.5, color=colour, mfc="none")
        if fit is not None:
            f_dense, z_fit = _fit_curve(fit, f)
            ax_mod.loglog(f_dense, np.abs(z_fit), "-", lw=1.3, color=colour)
            ax_ph.semilogx(f_dense, np.degrees(np.angle(z_fit)), "-", lw=1.3, color=colour)
    ax_mod.set_ylabel(r"$|Z|$ [$\Omega$]")
    ax_ph.set_ylabel(r"phase $\arg Z$ [deg]")
    ax_ph.set_xlabel("frequency [Hz]")
    for ax in (ax_mod, ax_ph):
        ax.grid(True, which="both", alpha=0.3)
    if title:
        ax_mod.set_title(title)
    if mappable is not None:
        fig.colorbar(mappable, ax=[ax_mod, ax_ph], label=colorbar_label)
    else:
        ax_mod.legend(fontsize="small")
    return fig


def save_eis_figure(fig: Figure, stem: str | Path) -> list[Path]:
    """Save ``fig`` with :func:`lilean.plotting.figures.save_figure` (PNG + SVG, atomically) and
    close it; returns the written paths."""
    from lilean.plotting.figures import save_figure

    plt = _pyplot()
    try:
        return [Path(p) for p in save_figure(fig, stem)]
    finally:
        plt.close(fig)


__all__ = ["COLORBAR_MIN_SPECTRA", "plot_bode", "plot_nyquist", "save_eis_figure"]
