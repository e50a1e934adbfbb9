"""Equivalent-circuit fitting and Kramers-Kronig validation of impedance spectra.

All fitting is done by impedance.py (Murbach2020,
doi 10.21105/joss.02349): :class:`impedance.models.circuits.CustomCircuit` (non-linear least
squares by :func:`scipy.optimize.curve_fit` on ``[Z_re, Z_im]`` stacked, default bounds 0..inf and
CPE exponents <= 1), and :func:`impedance.validation.linKK` (Schoenleber2014, doi 10.1016/j.electacta.2014.01.034). lilean adds automatic initial guesses,
confidence intervals with units, the interfacial resistance, and goodness-of-fit numbers.

Circuits (impedance.py syntax: ``-`` series, ``p(a,b)`` parallel) for Li-metal cells
------------------------------------------------------------------------------------
``DEFAULT_CIRCUIT = "R0-p(R1,CPE1)-p(R2-W2,CPE2)"``::

    Z = R_s + 1 / (1/R_SEI + Q_SEI (j w)^a_SEI)
            + 1 / (1/(R_ct + A_W (1 - j)/sqrt(w)) + Q_dl (j w)^a_dl)

R0 = R_s (bulk electrolyte + contacts), R1 || CPE1 = Li+ migration through the SEI
(high-frequency arc), (R2 + W2) || CPE2 = charge transfer with semi-infinite diffusion in parallel
with the double layer (mid/low-frequency arc and 45 deg tail). This is the usual starting circuit
for Li-metal / Li||LFP cells (e.g. Zhang2023 compare the
semicircle resistance of Li-Ag@Cu and Li-Cu cells this way). The interfacial resistance is the sum
of the resistances inside parallel blocks (the arcs): ``R_int = R_SEI + R_ct = R1 + R2``.

Distribution of relaxation times (DRT) is deliberately not provided: no maintained, permissively
licensed library fit for use as a dependency offers it. pyDRTtools 0.2 (MIT, a single release of
2024-07) is GUI-centred and imports cvxopt and matplotlib.pyplot at import time without declaring
them; pyimpspec (maintained, has DRT) is GPL-3 and could only come as an optional extra.
"""

from __future__ import annotations

import contextlib
import io
import re
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lilean.eis.io import ImpedanceData
from lilean.errors import FitError, ParameterError

DEFAULT_CIRCUIT = "R0-p(R1,CPE1)-p(R2-W2,CPE2)"

CIRCUITS: dict[str, str] = {
    "li-metal": DEFAULT_CIRCUIT,
    "two-arc": "R0-p(R1,CPE1)-p(R2,CPE2)",
    "randles-cpe": "R0-p(R1-W1,CPE1)",
    "randles": "R0-p(R1,C1)-W1",
    "one-arc": "R0-p(R1,CPE1)",
}
"""Named circuits: ``li-metal`` (the default, see module docstring), ``two-arc`` (SEI + charge
transfer, no diffusion), ``randles-cpe`` (one arc with diffusion), ``randles`` (ideal capacitor),
``one-arc``."""

KK_RESIDUAL_THRESHOLD_PCT = 1.0
"""lin-KK pass/fail threshold: RMS of the relative residuals (real and imaginary parts together,
each divided by |Z|) at most 1 %, the level Schoenleber2014 treat as valid data."""

_ELEMENT_RE = re.compile(r"([A-Za-z]+)_?(\d*)")


@dataclass(frozen=True)
class FitParameter:
    """One fitted (or fixed) circuit parameter.

    ``low``/``high`` is the 95 % confidence interval ``value +/- t(0.975, dof) * std`` with
    ``dof = 2 N - p`` (N frequencies, p free parameters) and ``std`` the square root of the
    diagonal of curve_fit's covariance (impedance.py ``conf_``); this linearised interval is
    symmetric and can cross zero for a poorly determined parameter. Fixed parameters have
    ``std = 0`` and ``low = high = value``.
    """

    name: str
    value: float
    unit: str
    std: float
    low: float
    high: float
    fixed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "unit": self.unit,
            "std": self.std,
            "low": self.low,
            "high": self.high,
            "fixed": self.fixed,
        }


@dataclass(frozen=True)
class LinKKResult:
    """lin-KK test (impedance.py ``linKK``): ``Z = R_0 + j w L + sum_k R_k / (1 + j w tau_k)``
    with ``M`` log-spaced time constants, ``M`` raised until ``mu = 1 - sum(R_k<0 |R_k|) /
    sum(R_k>=0 |R_k|) <= c`` (Schönleber 2014). Residuals are ``(Z - Z_KK) / |Z|``."""

    M: int
    mu: float
    c: float
    residual_rms_pct: float
    residual_max_pct: float
    threshold_pct: float
    passed: bool
    add_cap: bool
    residuals_real: np.ndarray = field(repr=False)
    residuals_imag: np.ndarray = field(repr=False)
    z_fit: np.ndarray = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "M": self.M,
            "mu": self.mu,
            "c": self.c,
            "residual_rms_pct": self.residual_rms_pct,
            "residual_max_pct": self.residual_max_pct,
            "threshold_pct": self.threshold_pct,
            "criterion": "RMS of (Z - Z_KK)/|Z| over real and imaginary parts <= threshold_pct",
            "passed": self.passed,
            "add_cap": self.add_cap,
        }


@dataclass(frozen=True)
class EISFit:
    """Result of :func:`fit_circuit`.

    Goodness of fit: ``chi_square = sum_i |Z_i - Z_fit,i|^2 / |Z_i|^2`` (modulus-weighted
    pseudo chi-square, Boukamp1995); ``rmse_ohm`` =
    impedance.py's ``rmse`` = sqrt(mean |Z - Z_fit|^2); residuals are ``(Z - Z_fit) / |Z|``.
    """

    circuit: str
    parameters: dict[str, FitParameter]
    initial_guess: list[float]
    constants: dict[str, float]
    interfacial_resistance_ohm: float
    interfacial_resistance_elements: list[str]
    chi_square: float
    rmse_ohm: float
    frequency_Hz: np.ndarray = field(repr=False)
    z_measured: np.ndarray = field(repr=False)
    z_fit: np.ndarray = field(repr=False)
    residuals_real: np.ndarray = field(repr=False)
    residuals_imag: np.ndarray = field(repr=False)
    spectrum: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def values(self) -> dict[str, float]:
        return {k: p.value for k, p in self.parameters.items()}

    def predict(self, frequency_Hz: Any) -> np.ndarray:
        """Impedance of the fitted circuit at ``frequency_Hz`` (complex, Ohm)."""
        from impedance.models.circuits import CustomCircuit

        free = [p.value for p in self.parameters.values() if not p.fixed]
        model = CustomCircuit(self.circuit, initial_guess=free, constants=dict(self.constants))
        with warnings.catch_warnings():
            # impedance.py warns that it simulates "based on initial parameters": here those are
            # the fitted values, on purpose
            warnings.filterwarnings("ignore", message="Simulating circuit based on initial")
            z = model.predict(np.asarray(frequency_Hz, dtype=float), use_initial=True)
        return np.asarray(z, dtype=complex)

    def to_dict(self) -> dict[str, Any]:
        return {
            "circuit": self.circuit,
            "spectrum": self.spectrum,
            "parameters": {k: p.to_dict() for k, p in self.parameters.items()},
            "initial_guess": list(self.initial_guess),
            "constants": dict(self.constants),
            "interfacial_resistance_ohm": self.interfacial_resistance_ohm,
            "interfacial_resistance_elements": list(self.interfacial_resistance_elements),
            "chi_square": self.chi_square,
            "rmse_ohm": self.rmse_ohm,
            "n_points": int(self.frequency_Hz.size),
            "notes": list(self.notes),
        }


# ================================================================================================
# circuit structure
# ================================================================================================


def circuit_elements(circuit: str) -> list[tuple[str, int]]:
    """Elements of an impedance.py circuit string with their parallel nesting depth, in order.

    ``"R0-p(R1,CPE1)"`` -> ``[("R0", 0), ("R1", 1), ("CPE1", 1)]``. Depth 0 = in series with
    the whole cell; depth >= 1 = inside a parallel block (an arc).
    """
    out: list[tuple[str, int]] = []
    depth = 0
    i = 0
    text = circuit.replace(" ", "")
    while i < len(text):
        ch = text[i]
        if text.startswith("p(", i):
            depth += 1
            i += 2
            continue
        if ch == ")":
            depth -= 1
            i += 1
            continue
        if ch in "-,":
            i += 1
            continue
        m = re.match(r"[A-Za-z]+_?\d*", text[i:])
        if not m:
            raise ParameterError(f"circuit={circuit!r}: cannot parse near {text[i:]!r}")
        out.append((m.group(0), depth))
        i += m.end()
    return out


def _element_type(name: str) -> str:
    m = _ELEMENT_RE.fullmatch(name)
    return m.group(1) if m else name


def _param_layout(circuit: str, constants: dict[str, float]) -> list[tuple[str, str, int, int]]:
    """``(parameter name, element name, index within element, element depth)`` of all parameters
    (fixed included), in impedance.py's order."""
    from impedance.models.circuits.elements import circuit_elements as registry

    layout: list[tuple[str, str, int, int]] = []
    for elem, depth in circuit_elements(circuit):
        etype = _element_type(elem)
        if etype not in registry:
            raise ParameterError(
                f"circuit={circuit!r}: unknown element {elem!r} "
                f"(impedance.py elements: {sorted(registry)})"
            )
        n = registry[etype].num_params
        for j in range(n):
            name = f"{elem}_{j}" if n > 1 else elem
            layout.append((name, elem, j, depth))
    return layout


# ================================================================================================
# initial guess
# ================================================================================================


def _spectrum_features(f: np.ndarray, z: np.ndarray) -> dict[str, Any]:
    """High-frequency intercept, arc end, arc apex frequencies from a spectrum.

    * ``r_hf``: Z_re where -Z_im crosses 0 at high frequency (linear interpolation), else Z_re at
      the highest frequency with capacitive (-Z_im > 0) behaviour.
    * ``r_lf``: Z_re at the minimum of -Z_im below the last arc apex (the start of a diffusion
      tail), else at the lowest frequency.
    * arcs: local maxima of -Z_im (scipy.signal.find_peaks, prominence >= 5 % of the range);
      ``valleys`` separate consecutive arcs.
    """
    from scipy.signal import find_peaks

    order = np.argsort(-f)
    f, z = f[order], z[order]
    x, y = z.real, -z.imag
    cap = np.flatnonzero(y > 0)
    if cap.size == 0:
        i0 = 0
        r_hf = float(np.min(x))
    else:
        i0 = int(cap[0])
        r_hf = float(x[i0])
        if i0 > 0 and y[i0 - 1] < 0:
            w = y[i0] / (y[i0] - y[i0 - 1])
            r_hf = float(x[i0] + w * (x[i0 - 1] - x[i0]))
    rest = y[i0:]
    span = float(np.ptp(rest)) if rest.size else 0.0
    peaks, _ = find_peaks(rest, prominence=max(0.05 * span, 1e-300))
    peaks = peaks + i0
    if peaks.size:
        tail = np.arange(int(peaks[-1]), f.size)
        i_end = int(tail[np.argmin(y[tail])])
    else:
        i_end = f.size - 1
    has_tail = i_end < f.size - 1 and y[-1] > y[i_end]
    valleys = [
        int(peaks[k] + np.argmin(y[peaks[k] : peaks[k + 1] + 1])) for k in range(peaks.size - 1)
    ]
    return {
        "r_hf": max(r_hf, 1e-6 * float(np.max(np.abs(z)))),
        "x": x,
        "y": y,
        "f": f,
        "peaks": [int(p) for p in peaks],
        "valleys": valleys,
        "i_end": i_end,
        "has_tail": bool(has_tail),
    }


def initial_guess_from_spectrum(
    frequency_Hz: Any,
    impedance_ohm: Any,
    circuit: str = DEFAULT_CIRCUIT,
    constants: dict[str, float] | None = None,
    *,
    arc_shares: Any | None = None,
) -> list[float]:
    """Initial guesses for the free parameters of ``circuit`` from the spectrum's shape.

    Series resistors (outside every ``p(...)``) get the high-frequency intercept ``R_hf`` (the
    first) or 1e-3 of it (others). Arc resistors get the arc widths (Z_re at the valley between
    detected arcs minus the previous boundary) when the number of detected arcs equals the number
    of arc resistors, else equal shares of ``R_lf - R_hf`` with time constants spread by 1.5
    decades around the main apex (``arc_shares``, summing to 1, overrides the equal shares). The
    k-th capacitive element pairs with the k-th arc resistor
    ``R_k`` and apex frequency ``f_k``: ``C = 1 / (2 pi f_k R_k)``; a CPE gets alpha = 0.85 and
    ``Q = 1 / (R_k (2 pi f_k)^alpha)`` (apex of an R||CPE arc: ``(R Q)^(1/alpha) w = 1``).
    Warburg ``A_W``: from the tail, ``A_W = (-Z_im(f_min) - -Z_im(end of arc)) sqrt(2 pi f_min)``,
    else ``0.1 (R_lf - R_hf) sqrt(2 pi f_min)``. Finite Warburg (Wo, Ws): ``Z_0 = R_arcs / 2``,
    ``tau = 1 / (2 pi f_min)``. Inductor L: ``Z_im(f_max) / (2 pi f_max)`` if inductive, else
    1e-8 H. Other elements: ParameterError (pass ``initial_guess``).
    """
    f = np.asarray(frequency_Hz, dtype=float)
    z = np.asarray(impedance_ohm, dtype=complex)
    constants = dict(constants or {})
    feat = _spectrum_features(f, z)
    fs, x, y = feat["f"], feat["x"], feat["y"]
    r_hf = feat["r_hf"]
    r_lf = float(x[feat["i_end"]])
    r_arcs = r_lf - r_hf
    if not np.isfinite(r_arcs) or r_arcs <= 0:
        r_arcs = max(float(np.ptp(x)), 0.1 * float(np.median(np.abs(z))))
    layout = _param_layout(circuit, constants)
    elems = circuit_elements(circuit)
    arc_rs = [e for e, d in elems if d > 0 and _element_type(e) == "R"]
    n_arcs = max(len(arc_rs), 1)
    peaks, valleys = feat["peaks"], feat["valleys"]
    omega_min = 2 * np.pi * float(fs.min())
    if len(peaks) == len(arc_rs) and len(peaks) > 0:
        bounds = [r_hf, *(float(x[v]) for v in valleys), r_lf]
        widths = [max(bounds[k + 1] - bounds[k], 0.02 * r_arcs) for k in range(len(peaks))]
        apex = [float(fs[p]) for p in peaks]
    else:
        shares = np.full(n_arcs, 1.0 / n_arcs) if arc_shares is None else np.asarray(arc_shares)
        if shares.size != n_arcs:
            raise ParameterError(f"arc_shares has {shares.size} values for {n_arcs} arcs")
        widths = [float(r_arcs * sh) for sh in shares]
        main = (
            float(fs[peaks[int(np.argmax(y[peaks]))]])
            if peaks
            else float(np.sqrt(fs.max() * fs.min()))
        )
        apex = [main * 10 ** (1.5 * ((n_arcs - 1) / 2 - k)) for k in range(n_arcs)]
    apex = [min(max(a, float(fs.min())), float(fs.max())) for a in apex]
    if feat["has_tail"]:
        a_w = max(float(y[-1] - y[feat["i_end"]]), 1e-3 * r_arcs) * np.sqrt(omega_min)
    else:
        a_w = 0.1 * r_arcs * np.sqrt(omega_min)

    guess: list[float] = []
    series_seen = 0
    cap_seen = 0
    arc_index = {e: k for k, e in enumerate(arc_rs)}
    for name, elem, j, depth in layout:
        etype = _element_type(elem)
        if etype == "R":
            if depth == 0:
                value = r_hf if series_seen == 0 else 1e-3 * r_hf
                series_seen += 1
            else:
                value = widths[min(arc_index[elem], len(widths) - 1)]
        elif etype in ("C", "CPE"):
            k = min(cap_seen, len(widths) - 1)
            if j == (1 if etype == "CPE" else 0) or etype == "C":
                cap_seen += 1
            r_k, w_k = widths[k], 2 * np.pi * apex[k]
            if etype == "C":
                value = 1.0 / (w_k * r_k)
            else:
                value = 1.0 / (r_k * w_k**0.85) if j == 0 else 0.85
        elif etype == "W":
            value = a_w
        elif etype in ("Wo", "Ws"):
            value = 0.5 * r_arcs if j == 0 else 1.0 / omega_min
        elif etype in ("L", "La"):
            f_max = float(fs.max())
            z_hf = -float(y[0])
            value = max(z_hf / (2 * np.pi * f_max), 1e-9) if j == 0 else 0.9
        else:
            raise ParameterError(
                f"circuit={circuit!r}: no automatic initial guess for element {elem!r}; "
                "pass initial_guess=[...]"
            )
        if name not in constants and elem not in constants:
            guess.append(float(value))
    return guess


# ================================================================================================
# fitting
# ================================================================================================


def _candidate_guesses(
    f: np.ndarray, z: np.ndarray, circuit: str, constants: dict[str, float]
) -> list[list[float]]:
    """Start points for :func:`fit_circuit`: the default guess and, when the spectrum shows fewer
    separable arcs than the circuit has arc resistors, guesses that give 85 % of the arc width to
    the first or to the last arc (two arcs merged in one semicircle are otherwise ambiguous)."""
    feat = _spectrum_features(f, z)
    arc_rs = [e for e, d in circuit_elements(circuit) if d > 0 and _element_type(e) == "R"]
    out = [initial_guess_from_spectrum(f, z, circuit, constants)]
    n = len(arc_rs)
    if n >= 2 and len(feat["peaks"]) != n:
        for main in (0, n - 1):
            shares = np.full(n, 0.15 / (n - 1))
            shares[main] = 0.85
            out.append(initial_guess_from_spectrum(f, z, circuit, constants, arc_shares=shares))
    return out


def _screen(
    f: np.ndarray,
    z: np.ndarray,
    circuit: str,
    constants: dict[str, float],
    candidates: list[list[float]],
) -> list[float]:
    """Pick the best start point: a short bounded least-squares run (scipy ``least_squares``,
    at most 15 evaluations per parameter, Jacobian scaling) of impedance.py's own circuit function from every
    candidate; the lowest cost wins and its end point is the initial guess of the real fit."""
    from impedance.models.circuits.fitting import set_default_bounds, wrapCircuit
    from scipy.optimize import least_squares

    if len(candidates) == 1:
        return candidates[0]
    model = wrapCircuit(circuit, constants)
    target = np.hstack([z.real, z.imag])
    lower, upper = set_default_bounds(circuit, constants=constants)
    best, best_cost = candidates[0], np.inf
    for guess in candidates:
        p0 = np.clip(np.asarray(guess, dtype=float), lower, upper)

        def resid(p: np.ndarray) -> np.ndarray:
            return np.asarray(model(f, *p), dtype=float) - target

        try:
            res = least_squares(
                resid, p0, bounds=(lower, upper), max_nfev=15 * p0.size, x_scale="jac"
            )
        except (ValueError, FloatingPointError):
            continue
        if np.isfinite(res.cost) and res.cost < best_cost:
            best, best_cost = [float(v) for v in res.x], float(res.cost)
    return best


def _as_arrays(
    data: ImpedanceData | tuple[Any, Any], spectrum: int | None
) -> tuple[np.ndarray, np.ndarray, int | None]:
    if isinstance(data, ImpedanceData):
        if spectrum is None and data.n_spectra == 1:
            spectrum = data.spectrum_ids[0]
        f, z = data.to_impedance_arrays(spectrum)
        return f, z, spectrum
    f, z = data
    return np.asarray(f, dtype=float), np.asarray(z, dtype=complex), spectrum


def fit_circuit(
    data: ImpedanceData | tuple[Any, Any],
    circuit: str = DEFAULT_CIRCUIT,
    *,
    initial_guess: list[float] | None = None,
    fixed: dict[str, float] | None = None,
    spectrum: int | None = None,
    drop_inductive: bool = False,
    weight_by_modulus: bool = False,
    maxfev: int | None = None,
) -> EISFit:
    """Fit an equivalent circuit to one spectrum with impedance.py's ``CustomCircuit``.

    Parameters
    ----------
    data:
        An :class:`ImpedanceData` (``spectrum`` required when it holds several) or ``(f, Z)``.
    circuit:
        impedance.py circuit string or a key of :data:`CIRCUITS`.
    initial_guess:
        Free-parameter start values in impedance.py's order. Default: automatic, from
        :func:`initial_guess_from_spectrum` (several candidates when arcs overlap, screened by a
        short least-squares run, see ``_screen``); the start point used is kept in
        ``EISFit.initial_guess``, so refitting from it reproduces the result.
    fixed:
        Parameters held constant (impedance.py ``constants``), e.g. ``{"R0": 2.5, "CPE1_1": 0.9}``.
    drop_inductive:
        Remove points with ``Z_im > 0`` first (impedance.py ``ignoreBelowX``), e.g. cable
        inductance at high frequency.
    weight_by_modulus:
        Weight residuals by ``1/|Z|`` (impedance.py option).
    maxfev:
        Cap on curve_fit's function evaluations (impedance.py's default, 1e5, can take minutes
        on a spectrum the circuit cannot describe); exceeding it raises :class:`FitError`.

    The call is exactly ``CustomCircuit(circuit, initial_guess=g, constants=fixed).fit(f, Z,
    weight_by_modulus=...)`` (curve_fit, maxfev 1e5, ftol 1e-13, bounds 0..inf, CPE alpha <= 1).
    """
    from impedance.models.circuits import CustomCircuit
    from impedance.models.circuits.fitting import rmse
    from impedance.preprocessing import ignoreBelowX
    from scipy import stats

    circuit = CIRCUITS.get(circuit, circuit)
    f, z, spectrum = _as_arrays(data, spectrum)
    if drop_inductive:
        f, z = ignoreBelowX(f, z)
    constants = {k: float(v) for k, v in (fixed or {}).items()}
    layout = _param_layout(circuit, constants)
    all_names = [name for name, *_ in layout]
    unknown = [k for k in constants if k not in all_names and k not in {e for _, e, *_ in layout}]
    if unknown:
        raise ParameterError(
            f"fixed={unknown}: not parameters of circuit {circuit!r} (parameters: {all_names})"
        )
    if initial_guess is None:
        guess = _screen(f, z, circuit, constants, _candidate_guesses(f, z, circuit, constants))
    else:
        guess = [float(v) for v in initial_guess]
    free_names = [n for n, e, *_ in layout if n not in constants and e not in constants]
    if len(guess) != len(free_names):
        raise ParameterError(
            f"initial_guess has {len(guess)} values, circuit {circuit!r} has {len(free_names)} "
            f"free parameters {free_names}"
        )
    model = CustomCircuit(circuit, initial_guess=guess, constants=constants)
    names, units = model.get_param_names()
    if 2 * f.size <= len(names):
        raise FitError(f"{f.size} points are too few to fit {len(names)} parameters")
    try:
        extra = {} if maxfev is None else {"maxfev": int(maxfev)}
        model.fit(f, z, weight_by_modulus=weight_by_modulus, **extra)
    except (RuntimeError, ValueError) as exc:
        raise FitError(f"circuit {circuit!r} fit failed: {exc}") from None
    values = np.asarray(model.parameters_, dtype=float)
    std = (
        np.asarray(model.conf_, dtype=float)
        if model.conf_ is not None
        else np.full(values.size, np.nan)
    )
    dof = max(2 * f.size - values.size, 1)
    t975 = float(stats.t.ppf(0.975, dof))
    params: dict[str, FitParameter] = {}
    free_iter = iter(zip(names, units, values, std, strict=True))
    all_units = _all_units(circuit)
    for name, elem, _j, _depth in layout:
        if name in constants or elem in constants:
            v = constants.get(name, constants.get(elem, np.nan))
            params[name] = FitParameter(name, v, all_units[name], 0.0, v, v, fixed=True)
        else:
            n, u, v, s = next(free_iter)
            params[n] = FitParameter(n, float(v), u, float(s), v - t975 * s, v + t975 * s)
    z_fit = np.asarray(model.predict(f), dtype=complex)
    mod = np.abs(z)
    res = (z - z_fit) / mod
    arc_r = [e for e, d in circuit_elements(circuit) if d > 0 and _element_type(e) == "R"]
    r_int = float(sum(params[e].value for e in arc_r)) if arc_r else float("nan")
    notes = _fit_notes(params, z)
    return EISFit(
        circuit=circuit,
        parameters=params,
        initial_guess=guess,
        constants=constants,
        interfacial_resistance_ohm=r_int,
        interfacial_resistance_elements=arc_r,
        chi_square=float(np.sum(np.abs(z - z_fit) ** 2 / mod**2)),
        rmse_ohm=float(rmse(z, z_fit)),
        frequency_Hz=f,
        z_measured=z,
        z_fit=z_fit,
        residuals_real=res.real,
        residuals_imag=res.imag,
        spectrum=spectrum,
        notes=notes,
    )


def _fit_notes(params: dict[str, FitParameter], z: np.ndarray) -> list[str]:
    """Flags for a fit that ran but should not be trusted as is: a resistance far beyond the
    measured impedance (an arc that does not close inside the frequency range), or a parameter
    whose 95 % interval is wider than its value (poorly determined)."""
    notes: list[str] = []
    z_max = float(np.max(np.abs(z)))
    for name, p in params.items():
        if p.fixed:
            continue
        if p.unit == "Ohm" and _element_type(name) == "R" and p.value > 100 * z_max:
            notes.append(
                f"{name} = {p.value:.3g} Ohm exceeds 100 x max|Z| ({z_max:.3g} Ohm): the arc does "
                "not close in the measured range, the value is not determined"
            )
        elif not np.isfinite(p.std) or (p.high - p.low) > 2 * abs(p.value):
            notes.append(
                f"{name}: 95 % interval [{p.low:.3g}, {p.high:.3g}] is wider than +/-100 %"
            )
    return notes


#: public name of the fit-quality notes (open arc, loose intervals) for a fitted parameter set
fit_notes = _fit_notes


def _all_units(circuit: str) -> dict[str, str]:
    from impedance.models.circuits import CustomCircuit

    model = CustomCircuit(circuit, initial_guess=[1.0] * len(_param_layout(circuit, {})))
    names, units = model.get_param_names()
    return dict(zip(names, units, strict=True))


# ================================================================================================
# Kramers-Kronig
# ================================================================================================


def linkk(
    data: ImpedanceData | tuple[Any, Any],
    *,
    spectrum: int | None = None,
    c: float = 0.85,
    max_M: int = 50,
    min_M_per_decade: float = 3.0,
    fit_type: str = "complex",
    add_cap: bool | None = None,
    threshold_pct: float = KK_RESIDUAL_THRESHOLD_PCT,
) -> LinKKResult:
    """Kramers-Kronig validity by impedance.py's ``linKK`` (see :class:`LinKKResult`).

    ``M`` is chosen by Schönleber's rule, the smallest ``M`` with ``mu <= c``, searched from
    ``M_min = ceil(min_M_per_decade * decades of f)`` upwards (each ``M`` is one call of
    ``linKK(..., c=None, max_M=M)``). The lower bound is lilean's: with few time constants per
    decade ``mu`` fluctuates below ``c`` for (nearly) noise-free spectra while the KK model is
    still far too coarse (seen with impedance.py 1.7.1: a single R||C fails at M = 5 with 13 %
    residuals). ``add_cap=None`` adds the series capacitance (for spectra without a
    low-frequency intercept) when ``-Z_im`` still rises at the lowest frequency.
    Pass when the RMS of the relative residuals (real and imaginary parts pooled) is at most
    ``threshold_pct`` (default 1 %).
    """
    from impedance.validation import linKK

    f, z, _ = _as_arrays(data, spectrum)
    if f.size < 3:
        raise FitError(f"lin-KK needs at least 3 frequencies, got {f.size}")
    if add_cap is None:
        low = np.argsort(f)[:2]
        add_cap = bool(-z.imag[low[0]] > -z.imag[low[1]] > 0)
    decades = float(np.log10(f.max() / f.min()))
    m_min = int(min(max(np.ceil(min_M_per_decade * decades), 1), max_M))
    result: tuple[Any, ...] = ()
    # linKK evaluates a circuit string built from the repr of NumPy scalars, which NumPy 2 writes
    # as "np.float64(...)" -> NameError (impedance.py 1.7.1; upstream PR
    # ECSHackWeek/impedance.py#334). NumPy's 1.25 print options restore plain reprs meanwhile.
    with contextlib.redirect_stdout(io.StringIO()), np.printoptions(legacy="1.25"):
        for M in range(m_min, max_M + 1):
            result = linKK(f, z, c=None, max_M=M, fit_type=fit_type, add_cap=add_cap)
            if result[1] <= c:
                break
    M_used, mu, z_fit, rr, ri = result
    rr = np.asarray(rr, dtype=float)
    ri = np.asarray(ri, dtype=float)
    pooled = np.concatenate([rr, ri])
    rms = float(np.sqrt(np.mean(pooled**2))) * 100.0
    return LinKKResult(
        M=int(M_used),
        mu=float(mu),
        c=c,
        residual_rms_pct=rms,
        residual_max_pct=float(np.max(np.abs(pooled))) * 100.0,
        threshold_pct=threshold_pct,
        passed=bool(rms <= threshold_pct),
        add_cap=add_cap,
        residuals_real=rr,
        residuals_imag=ri,
        z_fit=np.asarray(z_fit, dtype=complex),
    )


# ================================================================================================
# one call for the CLI
# ================================================================================================


def spectrum_report(
    part: ImpedanceData, n: int, circuit: str, fit: EISFit | None, kk: LinKKResult, err: str | None
) -> dict[str, Any]:
    f, z = part.to_impedance_arrays()
    out: dict[str, Any] = {
        "spectrum": n,
        "frequency_Hz": f.tolist(),
        "z_real_ohm": z.real.tolist(),
        "z_imag_ohm": z.imag.tolist(),
        "circuit": circuit,
        "parameters": {},
        "interfacial_resistance_ohm": None,
        "chi_square": None,
        "linkk": kk.to_dict(),
    }
    if fit is not None:
        out["parameters"] = {
            k: {"value": p.value, "unit": p.unit, "low": p.low, "high": p.high, "fixed": p.fixed}
            for k, p in fit.parameters.items()
        }
        out["interfacial_resistance_ohm"] = fit.interfacial_resistance_ohm
        out["chi_square"] = fit.chi_square
        out["rmse_ohm"] = fit.rmse_ohm
        out["fit_notes"] = list(fit.notes)
    if err is not None:
        out["fit_error"] = err
    return out


__all__ = [
    "CIRCUITS",
    "DEFAULT_CIRCUIT",
    "KK_RESIDUAL_THRESHOLD_PCT",
    "EISFit",
    "FitError",
    "FitParameter",
    "LinKKResult",
    "circuit_elements",
    "fit_circuit",
    "fit_notes",
    "initial_guess_from_spectrum",
    "linkk",
    "spectrum_report",
]
