"""Nyquist and Bode plots (lilean.plotting.eis): the plotted data are read back from the
matplotlib artists and compared with the input spectrum and with the fitted circuit evaluated
directly by impedance.py."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from lilean.analysis.eis import fit_circuit
from lilean.errors import ParameterError
from lilean.io.eis import ImpedanceData, read_eis
from lilean.plotting.eis import plot_bode, plot_nyquist, save_eis_figure
from lilean.testing.data import data_dir

DATA = data_dir()
CIRCUIT = "R0-p(R1,C1)"
VALUES = [2.0, 10.0, 1e-4]


def spectrum(scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    f = np.logspace(4, -1, 26)
    w = 2 * np.pi * f
    z = VALUES[0] + 1 / (1 / (scale * VALUES[1]) + 1j * w * VALUES[2])
    return f, z


def measured(ax):
    """The measured-point artists (circles), not the zero line or the fit lines."""
    return [line for line in ax.lines if line.get_marker() == "o"]


def test_nyquist_axes_points_and_fit_line() -> None:
    f, z = spectrum()
    fit = fit_circuit((f, z), CIRCUIT)
    fig = plot_nyquist([("cell", (f, z))], fits=[fit])
    ax = fig.axes[0]
    points, line = ax.lines[0], ax.lines[1]
    np.testing.assert_allclose(np.asarray(points.get_xdata(), dtype=float), z.real)
    np.testing.assert_allclose(
        np.asarray(points.get_ydata(), dtype=float), -z.imag
    )  # -Z_im upwards
    assert (np.asarray(points.get_ydata()) > 0).all()
    # the fitted line is the circuit's impedance over the measured range
    from impedance.models.circuits import CustomCircuit

    f_dense = np.logspace(np.log10(f.min()), np.log10(f.max()), 200)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        z_ref = CustomCircuit(CIRCUIT, initial_guess=list(fit.values.values())).predict(
            f_dense, use_initial=True
        )
    np.testing.assert_allclose(np.asarray(line.get_xdata(), dtype=float), z_ref.real, rtol=1e-9)
    np.testing.assert_allclose(np.asarray(line.get_ydata(), dtype=float), -z_ref.imag, rtol=1e-9)
    assert ax.get_aspect() == 1.0  # equal axes
    assert "-" in ax.get_ylabel() and "im" in ax.get_ylabel()
    assert ax.get_legend() is not None


def test_bode_modulus_and_phase() -> None:
    f, z = spectrum()
    data = ImpedanceData.from_arrays(f, z)
    fig = plot_bode([("cell", data)])
    ax_mod, ax_ph = fig.axes[:2]
    np.testing.assert_allclose(
        np.asarray(ax_mod.lines[0].get_ydata(), dtype=float), np.hypot(z.real, z.imag)
    )
    np.testing.assert_allclose(
        np.asarray(ax_ph.lines[0].get_ydata(), dtype=float), np.degrees(np.arctan2(z.imag, z.real))
    )
    assert ax_mod.get_xscale() == "log" and ax_mod.get_yscale() == "log"
    assert ax_ph.get_xscale() == "log"


def test_many_spectra_get_a_colour_scale_with_colourbar() -> None:
    cycles = [1, 50, 100, 200]
    items = []
    for c in cycles:
        f, z = spectrum(scale=1 + c / 100)
        items.append((f"cycle {c}", (f, z)))
    fig = plot_nyquist(items, color_values=cycles, colorbar_label="cycle")
    # main axes + colour-bar axes
    assert len(fig.axes) == 2
    assert fig.axes[1].get_ylabel() == "cycle"
    colours = [tuple(line.get_color()) for line in measured(fig.axes[0])]
    assert len(set(colours)) == len(cycles)
    import matplotlib as mpl

    norm = mpl.colors.Normalize(1, 200)
    expected = mpl.colormaps["viridis"](norm(200))
    np.testing.assert_allclose(colours[-1], expected)
    fig_b = plot_bode(items, color_values=cycles)
    assert len(fig_b.axes) == 3


def test_multi_spectrum_file_and_save(tmp_path: Path) -> None:
    pytest.importorskip("galvani")
    data = read_eis(DATA / "biologic" / "biol.mpr")
    fig = plot_nyquist([("biol", data)])
    assert len(measured(fig.axes[0])) == data.n_spectra == 5
    paths = save_eis_figure(fig, tmp_path / "biol_nyquist")
    assert paths and all(p.is_file() and p.stat().st_size > 1000 for p in paths)
    assert any(p.suffix == ".png" for p in paths)


def test_bad_arguments() -> None:
    f, z = spectrum()
    with pytest.raises(ParameterError):
        plot_nyquist([])
    with pytest.raises(ParameterError, match="fits"):
        plot_nyquist([("a", (f, z))], fits=[None, None])
    with pytest.raises(ParameterError, match="color_values"):
        plot_nyquist([("a", (f, z))], color_values=[1, 2])
    with pytest.raises(ParameterError, match="differ"):
        plot_bode([("a", (f, z[:-1]))])
