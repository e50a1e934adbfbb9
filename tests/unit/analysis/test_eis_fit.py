"""Equivalent-circuit fitting and lin-KK (lilean.analysis.eis).

Independent references: impedance.py's CustomCircuit fitted directly with the same circuit and
start point, spectra simulated with impedance.py's ``predict`` from known element values (plus
seeded 0.5 % noise), closed-form circuit impedances written with NumPy, and lin-KK on spectra
with a known, injected non-stationarity.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from lilean.analysis.eis import (
    CIRCUITS,
    DEFAULT_CIRCUIT,
    EISFit,
    FitError,
    analyze_eis_file,
    circuit_elements,
    fit_circuit,
    initial_guess_from_spectrum,
    linkk,
)
from lilean.errors import ParameterError
from lilean.io.eis import ImpedanceData, read_eis
from lilean.testing.data import data_dir, names

DATA = data_dir()
EIS = DATA / "eis"

# R_s, R_SEI, Q_SEI, a_SEI, R_ct, A_W, Q_dl, a_dl: SEI arc near 35 Hz, charge transfer near 0.4 Hz
TRUE_DEFAULT = [3.0, 8.0, 1e-3, 0.9, 25.0, 5.0, 2e-2, 0.85]


def predict(circuit: str, values: list[float], f: np.ndarray) -> np.ndarray:
    from impedance.models.circuits import CustomCircuit

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "Simulating circuit based on initial ..."
        return np.asarray(CustomCircuit(circuit, initial_guess=values).predict(f, use_initial=True))


def noisy(z: np.ndarray, seed: int, rel: float = 0.005) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return z + rel * np.abs(z) * (rng.standard_normal(z.size) + 1j * rng.standard_normal(z.size))


def direct_fit(circuit: str, guess: list[float], f: np.ndarray, z: np.ndarray, **kw):
    from impedance.models.circuits import CustomCircuit

    return CustomCircuit(circuit, initial_guess=list(guess), **kw).fit(f, z)


# ---- circuit helpers ---------------------------------------------------------------------------


def test_circuit_elements_depth() -> None:
    assert circuit_elements(DEFAULT_CIRCUIT) == [
        ("R0", 0),
        ("R1", 1),
        ("CPE1", 1),
        ("R2", 1),
        ("W2", 1),
        ("CPE2", 1),
    ]
    assert circuit_elements("R0-p(R1,p(R2,C2))-L0") == [
        ("R0", 0),
        ("R1", 1),
        ("R2", 2),
        ("C2", 2),
        ("L0", 0),
    ]


def test_closed_form_randles_matches_impedance_py() -> None:
    """Sanity check of the reference itself: Z = R0 + 1/(1/(R1 + A_W(1-j)/sqrt(w)) + j w C1)."""
    f = np.logspace(4, -2, 31)
    w = 2 * np.pi * f
    r0, r1, aw, c1 = 2.0, 15.0, 4.0, 2e-4
    z_closed = r0 + 1 / (1 / (r1 + aw * (1 - 1j) / np.sqrt(w)) + 1j * w * c1)
    np.testing.assert_allclose(predict("R0-p(R1-W1,C1)", [r0, r1, aw, c1], f), z_closed)


# ---- recovery of known values ------------------------------------------------------------------


def test_default_circuit_recovers_known_values_within_2_percent() -> None:
    f = np.logspace(5, -2, 141)  # 20 points per decade, the study's 1e5 .. 1e-2 Hz
    z = noisy(predict(DEFAULT_CIRCUIT, TRUE_DEFAULT, f), seed=0)
    fit = fit_circuit((f, z))  # automatic initial guess
    values = np.array([fit.parameters[n].value for n in fit.parameters])
    np.testing.assert_allclose(values, TRUE_DEFAULT, rtol=0.02)
    # the 95 % intervals cover the truth
    for name, true in zip(fit.parameters, TRUE_DEFAULT, strict=True):
        p = fit.parameters[name]
        assert p.low <= true <= p.high, name
    assert fit.interfacial_resistance_ohm == pytest.approx(8.0 + 25.0, rel=0.02)
    assert fit.interfacial_resistance_elements == ["R1", "R2"]
    assert fit.notes == []
    assert fit.parameters["R0"].unit == "Ohm"
    assert fit.parameters["W2"].unit == "Ohm sec^-1/2"


def test_randles_recovers_known_values_and_fixed_parameter() -> None:
    f = np.logspace(5, -2, 71)
    true = [2.0, 15.0, 4.0, 2e-4]
    z = noisy(predict("R0-p(R1-W1,C1)", true, f), seed=3)
    fit = fit_circuit((f, z), "R0-p(R1-W1,C1)")
    np.testing.assert_allclose(list(fit.values.values()), true, rtol=0.02)
    fixed = fit_circuit((f, z), "R0-p(R1-W1,C1)", fixed={"R0": 2.0})
    assert fixed.parameters["R0"].fixed and fixed.parameters["R0"].value == 2.0
    assert fixed.parameters["R0"].low == fixed.parameters["R0"].high == 2.0
    assert len(fixed.initial_guess) == 3
    ref = direct_fit("R0-p(R1-W1,C1)", fixed.initial_guess, f, z, constants={"R0": 2.0})
    free = [fixed.parameters[n].value for n in ("R1", "W1", "C1")]
    np.testing.assert_allclose(free, ref.parameters_, rtol=1e-6)


def test_open_arc_and_loose_interval_are_flagged() -> None:
    from lilean.analysis.eis import FitParameter, _fit_notes

    z = np.array([5 - 1j, 8 - 3j, 10 - 0.5j])  # max|Z| = 10.05 Ohm
    params = {
        "R0": FitParameter("R0", 5.0, "Ohm", 0.1, 4.8, 5.2),
        "R1": FitParameter("R1", 5e3, "Ohm", 1.0, 4998.0, 5002.0),  # > 100 x max|Z|
        "C1": FitParameter("C1", 1e-4, "F", 2e-4, -3e-4, 5e-4),  # interval wider than +/-100 %
        "R2": FitParameter("R2", 9e3, "Ohm", 0.0, 9e3, 9e3, fixed=True),  # fixed: never flagged
    }
    notes = _fit_notes(params, z)
    assert len(notes) == 2
    assert notes[0].startswith("R1 =") and "does not close" in notes[0]
    assert notes[1].startswith("C1:")


# ---- equality with impedance.py called directly -----------------------------------------------


@pytest.mark.parametrize(
    ("path", "spectrum"),
    [
        (EIS / "exampleDataVersaStudio.par", None),
        (EIS / "exampleDataGamry.DTA", None),
        (DATA / "biologic" / "biol.mpr", 1),
    ],
    ids=lambda v: v.name if isinstance(v, Path) else str(v),
)
def test_fit_equals_impedance_py_direct(path: Path, spectrum: int | None) -> None:
    if path.suffix == ".mpr":
        pytest.importorskip("galvani")
    data = read_eis(path)
    fit = fit_circuit(data, spectrum=spectrum)
    f, z = data.to_impedance_arrays(spectrum)
    ref = direct_fit(DEFAULT_CIRCUIT, fit.initial_guess, f, z)
    np.testing.assert_allclose(list(fit.values.values()), ref.parameters_, rtol=1e-6)
    np.testing.assert_allclose([p.std for p in fit.parameters.values()], ref.conf_, rtol=1e-6)
    # goodness of fit recomputed independently
    z_ref = ref.predict(f)
    np.testing.assert_allclose(fit.z_fit, z_ref, rtol=1e-6)
    chi2 = float(np.sum(np.abs(z - z_ref) ** 2 / np.abs(z) ** 2))
    assert fit.chi_square == pytest.approx(chi2, rel=1e-6)
    assert fit.interfacial_resistance_ohm == pytest.approx(
        ref.parameters_[1] + ref.parameters_[4], rel=1e-6
    )
    # a user-given initial guess is passed through unchanged
    fit2 = fit_circuit(data, spectrum=spectrum, initial_guess=fit.initial_guess)
    np.testing.assert_allclose(list(fit2.values.values()), ref.parameters_, rtol=1e-6)


def _eis_cases() -> list:
    fast = {"exampleDataVersaStudio.par", "exampleDataZPlot.z", "exampleDataBioLogic.mpt"}
    cases = []
    for p in (DATA / n for n in names("eis")):
        if p.name.endswith(".md"):
            continue
        marks = () if p.name in fast else (pytest.mark.slow,)
        cases.append(pytest.param(p, None, id=p.name, marks=marks))
    for n in range(1, 6):
        cases.append(
            pytest.param(
                DATA / "biologic" / "biol.mpr", n, id=f"biol.mpr#{n}", marks=[pytest.mark.slow]
            )
        )
    return cases


@pytest.mark.parametrize(("path", "spectrum"), _eis_cases())
def test_every_eis_file_fits(path: Path, spectrum: int | None) -> None:
    if path.suffix == ".mpr":
        pytest.importorskip("galvani")
    data = read_eis(path)
    fit = fit_circuit(data, spectrum=spectrum)
    assert isinstance(fit, EISFit)
    values = np.array(list(fit.values.values()))
    assert np.isfinite(values).all() and (values >= 0).all()
    assert set(fit.parameters) == {
        "R0", "R1", "CPE1_0", "CPE1_1", "R2", "W2", "CPE2_0", "CPE2_1"
    }  # fmt: skip
    assert 0 <= fit.parameters["CPE1_1"].value <= 1
    assert np.isfinite(fit.chi_square) and fit.chi_square >= 0
    # the fit is no worse than the best constant-resistance model (a sanity floor)
    _f, z = data.to_impedance_arrays(spectrum)
    baseline = np.sum(np.abs(z - np.median(z.real)) ** 2 / np.abs(z) ** 2)
    assert fit.chi_square <= baseline
    json.dumps(fit.to_dict(), allow_nan=True)


# ---- initial guess -----------------------------------------------------------------------------


def test_initial_guess_reads_the_spectrum_shape() -> None:
    f = np.logspace(5, -2, 71)
    r0, r1, c1 = 4.0, 30.0, 1e-4
    z = predict("R0-p(R1,C1)", [r0, r1, c1], f)
    g = initial_guess_from_spectrum(f, z, "R0-p(R1,C1)")
    assert g[0] == pytest.approx(r0, rel=0.05)  # high-frequency intercept
    assert g[1] == pytest.approx(r1, rel=0.05)  # arc width
    # apex of an R||C arc at w = 1/(R C)
    assert g[2] == pytest.approx(c1, rel=0.3)


def test_bad_arguments() -> None:
    f = np.logspace(4, -1, 30)
    z = predict("R0-p(R1,C1)", [1.0, 5.0, 1e-4], f)
    with pytest.raises(ParameterError, match="initial_guess has 2 values"):
        fit_circuit((f, z), "R0-p(R1,C1)", initial_guess=[1.0, 2.0])
    with pytest.raises(ParameterError, match="R9"):
        fit_circuit((f, z), "R0-p(R1,C1)", fixed={"R9": 1.0})
    with pytest.raises(ParameterError, match="unknown element"):
        fit_circuit((f, z), "R0-p(R1,Q1)")
    with pytest.raises(FitError, match="too few"):
        fit_circuit((f[:2], z[:2]), DEFAULT_CIRCUIT)
    two = ImpedanceData.from_arrays(np.r_[f, f], np.r_[z, z], spectrum=np.repeat([1, 2], f.size))
    with pytest.raises(ParameterError, match="spectrum"):
        fit_circuit(two)
    assert CIRCUITS["li-metal"] == DEFAULT_CIRCUIT


# ---- lin-KK ------------------------------------------------------------------------------------


RANDLES = "R0-p(R1-W1,C1)"
RANDLES_VALUES = [3.0, 20.0, 5.0, 1e-4]


def test_linkk_passes_on_randles() -> None:
    f = np.logspace(5, -2, 71)
    z = noisy(predict(RANDLES, RANDLES_VALUES, f), seed=1)
    kk = linkk((f, z))
    assert kk.passed
    assert kk.residual_rms_pct < kk.threshold_pct == 1.0
    assert kk.mu <= kk.c
    # residuals are relative to |Z|: check with the KK fit lin-KK returns
    np.testing.assert_allclose(kk.residuals_real, (z.real - kk.z_fit.real) / np.abs(z), atol=1e-9)


def test_linkk_fails_on_drifting_randles() -> None:
    """R_ct and the Warburg coefficient grow by 50 % during the sweep (high -> low f, each point
    lasting three periods or 1 s): a non-stationary cell, which lin-KK must flag."""
    f = np.logspace(5, -2, 71)
    t = np.cumsum(np.maximum(3 / f, 1.0))
    growth = 1 + 0.5 * t / t[-1]
    z = np.array(
        [
            predict(RANDLES, [3.0, 20.0 * g, 5.0 * g, 1e-4], np.array([fi]))[0]
            for fi, g in zip(f, growth, strict=True)
        ]
    )
    kk = linkk((f, noisy(z, seed=1)))
    assert not kk.passed
    assert kk.residual_rms_pct > 1.0


# ---- the CLI entry point -----------------------------------------------------------------------


def test_analyze_eis_file(tmp_path: Path) -> None:
    path = EIS / "exampleDataVersaStudio.par"
    result = analyze_eis_file(path, plot_dir=tmp_path)
    json.dumps(result, allow_nan=False)  # JSON-ready, no NaN
    assert len(result["frequency_Hz"]) == 61
    _f, z = read_eis(path).to_impedance_arrays()
    np.testing.assert_allclose(result["z_imag_ohm"], z.imag)
    assert result["circuit"] == DEFAULT_CIRCUIT
    params = result["parameters"]
    assert set(params["R1"]) >= {"value", "unit", "low", "high"}
    assert params["R1"]["low"] <= params["R1"]["value"] <= params["R1"]["high"]
    assert result["interfacial_resistance_ohm"] == pytest.approx(
        params["R1"]["value"] + params["R2"]["value"]
    )
    assert {"M", "mu", "residual_rms_pct", "passed", "threshold_pct"} <= set(result["linkk"])
    figs = [Path(p) for p in result["figures"]]
    assert any(p.name.endswith("nyquist.png") for p in figs)
    assert all(p.is_file() and p.stat().st_size > 1000 for p in figs)


def test_maxfev_cap_raises_fit_error() -> None:
    """A blocking electrode (R_s in series with C) never closes its arc, so R1 of R0-p(R1,C1)
    runs away; with a small evaluation cap the fit stops with FitError instead of running on."""
    f = np.logspace(4, -1, 40)
    z = 5.0 + 1 / (2j * np.pi * f * 1e-5)
    with pytest.raises(FitError, match="fit failed"):
        fit_circuit((f, z), "R0-p(R1,C1)", maxfev=50)
