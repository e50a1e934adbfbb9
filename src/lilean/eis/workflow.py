"""Workflows over measured spectra: read a file, analyse it, optionally plot (``lilean eis fit``).

The analysis (:mod:`lilean.eis.analysis`) and the plots (:mod:`lilean.eis.plotting`) do not import
each other; this module is where they meet.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lilean.eis.analysis import (
    CIRCUITS,
    DEFAULT_CIRCUIT,
    EISFit,
    fit_circuit,
    linkk,
    spectrum_report,
)
from lilean.eis.io import ImpedanceData, read_eis
from lilean.errors import FitError
from lilean.schema import to_json_records


def analyze_eis_file(
    path: str | Path,
    circuit: str | None = None,
    *,
    spectrum: int | None = None,
    plot_dir: str | Path | None = None,
    format: str | None = None,
    maxfev: int | None = None,
) -> dict[str, Any]:
    """Read an impedance file, fit ``circuit`` (default :data:`DEFAULT_CIRCUIT`) and run lin-KK.

    Returns a JSON-ready dict: ``source_file``, ``file_format``, ``n_spectra``, and for the first
    (or the selected) spectrum ``frequency_Hz``, ``z_real_ohm``, ``z_imag_ohm`` (Z = Z_re + j Z_im,
    capacitive Z_im < 0), ``circuit``, ``parameters`` {name: {value, unit, low, high, fixed}} (95 %
    CI), ``interfacial_resistance_ohm``, ``chi_square``, ``linkk`` {M, mu, residual_rms_pct, passed,
    ...}; ``spectra`` lists the same for every analysed spectrum when the file holds several;
    ``figures`` lists written files (Nyquist and Bode) when ``plot_dir`` is given. A failed fit
    leaves ``parameters`` empty and sets ``fit_error``; ``maxfev`` caps the fit's evaluations
    (see :func:`fit_circuit`).
    """
    circuit = CIRCUITS.get(circuit or DEFAULT_CIRCUIT, circuit or DEFAULT_CIRCUIT)
    data = read_eis(path, format=format)
    ids = data.spectrum_ids if spectrum is None else [data.spectrum(spectrum).spectrum_ids[0]]
    reports: list[dict[str, Any]] = []
    fits: list[EISFit | None] = []
    parts: list[tuple[str, ImpedanceData]] = []
    for n in ids:
        part = data.spectrum(n)
        kk = linkk(part)
        fit: EISFit | None
        err = None
        try:
            fit = fit_circuit(part, circuit, maxfev=maxfev)
        except FitError as exc:
            fit, err = None, str(exc)
        fits.append(fit)
        parts.append((f"spectrum {n}", part))
        reports.append(spectrum_report(part, n, circuit, fit, kk, err))
    result: dict[str, Any] = {
        "source_file": str(path),
        "source_sha256": data.meta.source_sha256,
        "file_format": data.meta.file_format,
        "sign_convention": data.meta.sign_convention,
        "n_spectra": data.n_spectra,
        **reports[0],
        "figures": [],
    }
    if len(reports) > 1:
        result["spectra"] = reports
    if plot_dir is not None:
        from lilean.eis.plotting import plot_bode, plot_nyquist, save_eis_figure

        stem = Path(plot_dir) / Path(path).name.replace(".", "_")
        fig = plot_nyquist(parts, fits=fits)
        result["figures"] += [str(p) for p in save_eis_figure(fig, f"{stem}_nyquist")]
        fig = plot_bode(parts, fits=fits)
        result["figures"] += [str(p) for p in save_eis_figure(fig, f"{stem}_bode")]
    return to_json_records(result)


__all__ = ["analyze_eis_file"]
