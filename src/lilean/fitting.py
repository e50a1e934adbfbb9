"""Fit the digital twin to a researcher's own measurements and predict the cell's life (issue 9).

Method (the same for every experiment type)
-------------------------------------------
* Free parameters ``theta`` (all positive) are fitted in log space, ``x = ln theta``, by weighted
  nonlinear least squares (:func:`scipy.optimize.least_squares`, trust-region reflective)::

      min_x  sum_i r_i(x)^2,   r_i = (y_sim,i(theta) - y_meas,i) / sigma_i

  ``sigma_i`` is the noise of each measured series, estimated from the data themselves
  (:func:`noise_sigma`: ``1.4826 MAD(diff y) / sqrt 2``, with a floor), so series in volts and in
  percent carry comparable weight.
* Uncertainty from the Jacobian at the optimum (Gauss-Newton / Laplace approximation; Bates & Watts,
  *Nonlinear Regression Analysis and Its Applications*, Wiley 1988, ch. 2)::

      Cov(x) = s^2 (J^T J)^+,   s^2 = sum r_i^2 / (n - p)

  95 % intervals ``exp(x +- 1.96 sqrt(Cov_kk))`` (log-normal, always positive). On request,
  :func:`run_mcmc` samples ``exp(-sum r^2 / 2 s^2)`` with emcee (Foreman-Mackey et al., PASP 125, 306
  (2013)) under a flat prior in ``x`` and reports the 2.5 / 50 / 97.5 percentiles instead.
* Identifiability (:func:`identifiability_warnings`): a parameter whose interval spans more than a
  factor :data:`FLAT_RATIO` (``high / low``) is not determined by the data (flat likelihood); a pair
  with ``|rho| >`` :data:`CORRELATION_LIMIT` can only be determined in combination.

Experiments and their default free parameters (:data:`DEFAULT_FREE`)
--------------------------------------------------------------------
* ``cycling`` (Li-substrate || LFP full cell): per-cycle retention (%), mean charge voltage and mean
  discharge voltage (V) from :func:`lilean.analysis.cycling.cycle_summary`, against
  :func:`lilean.simulate.simulate_cycling` under the protocol inferred by
  :func:`infer_cycling_protocol`.
* ``symmetric`` (Li || Li): per-cycle polarization (mV) from
  :func:`lilean.analysis.symmetric.analyze_symmetric` vs :func:`lilean.simulate.simulate_symmetric`.
* ``deposition`` (Li || substrate, galvanostatic plating): the potential transient (mV) vs
  :func:`lilean.models.nucleation.simulate_nucleation`.
* ``eis``: the complex impedance, relative residuals ``(Z_sim - Z) / |Z|`` (real and imaginary
  parts), vs :func:`lilean.simulate.simulate_eis` of the fresh cell (``cycles = 0``).

The knee (:func:`knee_from_run`) is the cycle at which the twin's Li reservoir is exhausted: the first
cycle whose end-of-cycle active (excess) Li falls below :data:`KNEE_ACTIVE_LI_MAH_CM2`.
"""

from __future__ import annotations

import json
import math
import warnings as pywarnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

from lilean.errors import LileanError, ParameterError
from lilean.parameters.set import ParameterSet
from lilean.scenarios import DEFAULT_FREE as _DEFAULT_FREE
from lilean.scenarios import FIT_EXPERIMENTS
from lilean.schema import CyclingData

#: fit experiments and their default free parameters (names relative to ``substrates.<s>.``):
#: declared by the scenarios (:mod:`lilean.scenarios`), live views over the registry
EXPERIMENTS = FIT_EXPERIMENTS
DEFAULT_FREE = _DEFAULT_FREE
#: interval ratio high / low above which a parameter counts as undetermined
FLAT_RATIO = 100.0
#: |correlation| above which two parameters are flagged as determined only in combination
CORRELATION_LIMIT = 0.95
#: end-of-cycle active Li (mAh/cm^2) below which the reservoir counts as exhausted (the knee)
KNEE_ACTIVE_LI_MAH_CM2 = 1e-3
Z95 = 1.959963984540054
SIDECAR_SUFFIX = ".fit.json"
#: exit status of ``lilean fit`` for a fit that ran but failed (``status`` != ``ok``)
FAILED_EXIT_CODE = 3
#: solver steps per half-cycle of the fitted twin: the simulator's default, so that a table written
#: by ``lilean simulate cycling`` is reproduced exactly by the twin with the same parameters
DEFAULT_STEPS = 60


def _lazy(module: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise LileanError(
            f"{module} is needed for this; install the fitting extra: pip install 'lilean[fit]'"
        ) from None


# ---- parameter names -----------------------------------------------------------------------------


def resolve_names(params: ParameterSet, substrate: str, names: Sequence[str]) -> list[str]:
    """Full dotted names for ``names`` given as full names (``substrates.cu.anode.x``), relative to
    the substrate (``anode.x``) or bare (``x``, searched in the substrate, then everywhere)."""
    flat = params.flat()
    out: list[str] = []
    for raw in names:
        name = raw.strip()
        if not name:
            continue
        candidates = [name, f"substrates.{substrate}.{name}"]
        hit = next((c for c in candidates if c in flat), None)
        if hit is None:
            mine = [k for k in flat if k.startswith(f"substrates.{substrate}.")]
            ends = [k for k in mine if k.endswith("." + name)] or [
                k for k in flat if k.endswith("." + name) and not k.startswith("substrates.")
            ]
            if len(ends) != 1:
                raise ParameterError(
                    f"free parameter {name!r}: expected one parameter of the set "
                    f"(see `lilean params show`), found {len(ends)}"
                )
            hit = ends[0]
        if flat[hit].value <= 0:
            raise ParameterError(f"free parameter {hit!r} = {flat[hit].value}: expected > 0")
        out.append(hit)
    if not out:
        raise ParameterError("no free parameters given")
    return out


def noise_sigma(y: np.ndarray, floor: float) -> float:
    """Noise of a slowly varying series from its successive differences:
    ``sigma = 1.4826 MAD(diff y) / sqrt 2`` (robust; Rousseeuw & Croux, JASA 88, 1273 (1993)),
    at least ``floor``."""
    y = np.asarray(y, dtype=float)
    y = y[np.isfinite(y)]
    if y.size < 3:
        return floor
    d = np.diff(y)
    mad = float(np.median(np.abs(d - np.median(d))))
    return max(1.4826 * mad / math.sqrt(2.0), floor)


# ---- result ----------------------------------------------------------------------------------------


@dataclass
class FitResult:
    """A fit: values, log-space covariance, 95 % intervals and identifiability warnings."""

    experiment: str
    substrate: str
    names: list[str]
    units: list[str]
    log_value: np.ndarray
    log_cov: np.ndarray
    params: ParameterSet
    files: list[str]
    protocol: dict[str, Any]
    n_points: int
    cost: float
    warnings: list[str] = field(default_factory=list)
    method: str = "least_squares (Jacobian covariance)"
    interval_override: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    knee: dict[str, Any] = field(default_factory=dict)
    #: ``ok``; ``misfit`` (RMS misfit above the stated limit), ``not-converged``, ``twin-failed``:
    #: ``lilean fit`` then exits 3 (:data:`FAILED_EXIT_CODE`)
    status: str = "ok"
    status_reason: str = ""
    residual_fn: Callable[[np.ndarray], np.ndarray] | None = field(default=None, repr=False)
    extra: dict[str, Any] = field(default_factory=dict)
    #: not written to JSON: e.g. the best-fit twin's knee80 even when its interval is open (for
    #: benchmarks; not a prediction then)
    diagnostics: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def values(self) -> dict[str, float]:
        return {n: float(np.exp(x)) for n, x in zip(self.names, self.log_value, strict=True)}

    def interval(self, name: str) -> tuple[float, float, float]:
        """``(value, low, high)`` 95 %."""
        if name in self.interval_override:
            return self.interval_override[name]
        k = self.names.index(name)
        sd = math.sqrt(max(float(self.log_cov[k, k]), 0.0))
        x = float(self.log_value[k])
        if not np.isfinite(sd):
            return math.exp(x), 0.0, math.inf
        return math.exp(x), math.exp(x - Z95 * sd), math.exp(min(x + Z95 * sd, 700.0))

    @property
    def correlation(self) -> np.ndarray:
        cov = np.where(np.isfinite(self.log_cov), self.log_cov, 0.0)
        sd = np.sqrt(np.clip(np.diag(cov), 1e-300, None))
        corr = cov / np.outer(sd, sd)
        np.fill_diagonal(corr, 1.0)
        return np.asarray(corr)

    def parameter_dict(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for name, unit in zip(self.names, self.units, strict=True):
            v, lo, hi = self.interval(name)
            out[name] = {
                "value": v,
                "low": lo,
                "high": hi if math.isfinite(hi) else None,
                "unit": unit,
            }
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``status`` (+ ``status_reason``), ``parameters`` ``{name: {value, low, high,
        unit}}`` (95 %), ``correlation``, the knees (cycling: ``knee80_cycle``,
        ``reservoir_exhausted_cycle``, each with ``_low`` / ``_high`` / ``_status``), ``protocol``
        (with ``how`` each value was obtained), ``warnings``."""
        return {
            "status": self.status,
            "status_reason": self.status_reason,
            "experiment": self.experiment,
            "substrate": self.substrate,
            "files": self.files,
            "method": self.method,
            "parameters": self.parameter_dict(),
            "correlation": {
                a: {b: float(self.correlation[i, j]) for j, b in enumerate(self.names)}
                for i, a in enumerate(self.names)
            },
            **self.knee,
            "protocol": self.protocol,
            "n_points": self.n_points,
            "reduced_chi2": 2.0 * self.cost / max(self.n_points - len(self.names), 1),
            "warnings": list(self.warnings),
            **self.extra,
        }

    def save(self, path: str | Path) -> tuple[Path, Path]:
        """Write the fitted set to ``path`` (TOML/YAML, loadable with ``--params`` anywhere; fitted
        values carry ``kind = "user"`` and ``source = "fitted by lilean fit to FILE (date)"``, their
        interval in the description) and the sidecar ``<stem>.fit.json`` (names, log-space mean and
        covariance, intervals, protocol) that ``lilean predict`` samples from."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.params.save(path)
        side = sidecar_path(path)
        from lilean.schema import atomic_output, dumps

        payload = {
            **self.to_dict(),
            "names": self.names,
            "log_value": [float(x) for x in self.log_value],
            "log_cov": [[float(c) for c in row] for row in self.log_cov],
        }
        with atomic_output(side) as tmp:
            tmp.write_text(dumps(payload) + "\n")
        return path, side


def sidecar_path(path: str | Path) -> Path:
    """``fitted.toml`` -> ``fitted.fit.json``."""
    p = Path(path)
    return p.with_name(p.stem + SIDECAR_SUFFIX)


def identifiability_warnings(
    names: Sequence[str], intervals: Sequence[tuple[float, float, float]], corr: np.ndarray
) -> list[str]:
    """Flat likelihood (``high / low >`` :data:`FLAT_RATIO`) and strong correlations."""
    out: list[str] = []
    for name, (_v, lo, hi) in zip(names, intervals, strict=True):
        if not (lo > 0 and math.isfinite(hi)) or hi / lo > FLAT_RATIO:
            out.append(
                f"{name}: not determined by these data (95 % interval {lo:.3g} .. {hi:.3g} spans "
                f"more than x{FLAT_RATIO:g}): not measured by these data"
            )
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            rho = float(corr[i, j])
            if abs(rho) > CORRELATION_LIMIT:
                out.append(
                    f"{names[i]} and {names[j]} are strongly correlated (rho = {rho:+.3f}): the "
                    "data fix only their combination; fix one of them (--free) to measure the other"
                )
    return out


def _provenanced(
    params: ParameterSet, values: dict[str, float], files: Sequence[str], intervals: dict[str, Any]
) -> ParameterSet:
    date = datetime.now(UTC).strftime("%Y-%m-%d")
    flat = params.flat()
    names = ", ".join(Path(f).name for f in files) or "data"
    changes: dict[str, Any] = {}
    for name, value in values.items():
        old = flat[name]
        iv = intervals[name]
        hi = iv["high"]
        changes[name] = {
            "value": float(value),
            "unit": old.unit,
            "kind": "user",
            "source": f"fitted by lilean fit to {names} ({date})",
            "description": f"{old.description} [95 % interval {iv['low']:.4g} .. "
            + (f"{hi:.4g}" if hi is not None else "inf")
            + f" {old.unit}; see the .fit.json sidecar]",
        }
    return params.replace(changes)


def least_squares_fit(
    residual: Callable[[np.ndarray], np.ndarray],
    x0: np.ndarray,
    *,
    max_nfev: int = 60,
) -> tuple[np.ndarray, np.ndarray, float, int]:
    """Weighted least squares in log space; returns ``(x, Cov(x), cost, n)`` with
    ``Cov = s^2 (J^T J)^+``, ``s^2 = 2 cost / (n - p)``."""
    res = least_squares(
        residual, x0, method="trf", diff_step=1e-3, x_scale=1.0, max_nfev=max_nfev, xtol=1e-6
    )
    n, p = res.fun.size, res.x.size
    jac = np.asarray(res.jac, dtype=float)
    s2 = 2.0 * float(res.cost) / max(n - p, 1)
    jtj = jac.T @ jac
    # columns with no effect on the residuals -> infinite variance
    dead = np.sqrt(np.diag(jtj)) < 1e-9 * max(1.0, float(np.sqrt(np.max(np.diag(jtj)))))
    cov = s2 * np.linalg.pinv(jtj, rcond=1e-12, hermitian=True)
    for k in np.flatnonzero(dead):
        cov[k, :] = 0.0
        cov[:, k] = 0.0
        cov[k, k] = np.inf
    return np.asarray(res.x), cov, float(res.cost), n


def _finish(
    experiment: str,
    substrate: str,
    params: ParameterSet,
    names: list[str],
    residual: Callable[[np.ndarray], np.ndarray],
    files: Sequence[str],
    protocol: dict[str, Any],
    max_nfev: int,
) -> FitResult:
    flat = params.flat()
    x0 = np.log([flat[n].value for n in names])
    x, cov, cost, n = least_squares_fit(residual, x0, max_nfev=max_nfev)
    fit = FitResult(
        experiment=experiment,
        substrate=substrate,
        names=names,
        units=[flat[n].unit for n in names],
        log_value=x,
        log_cov=cov,
        params=params,
        files=[str(f) for f in files],
        protocol=protocol,
        n_points=n,
        cost=cost,
        residual_fn=residual,
    )
    fit.warnings = identifiability_warnings(
        names, [fit.interval(k) for k in names], fit.correlation
    )
    fit.params = _provenanced(params, fit.values, files, fit.parameter_dict())
    return fit


def _apply(params: ParameterSet, names: Sequence[str], x: np.ndarray) -> ParameterSet:
    return params.replace({n: float(v) for n, v in zip(names, np.exp(x), strict=True)})


# ---- cycling -------------------------------------------------------------------------------------

#: the parameters of the protocol that a user may give (``--protocol key=value,...``)
PROTOCOL_KEYS = (
    "c_rate",
    "formation_cycles",
    "formation_c_rate",
    "cathode_loading_mAh_cm2",
    "li_inventory_mAh_cm2",
    "lower_cutoff_V",
    "upper_cutoff_V",
    "steps_per_half_cycle",
)


def infer_cycling_protocol(
    data: CyclingData,
    params: ParameterSet,
    overrides: dict[str, Any] | None = None,
    max_cycle: int | None = None,
) -> dict[str, Any]:
    """The twin protocol that matches a measured full-cell table, inferred **only from the cycles
    that are fitted** (the formation cycles and cycles 1..``max_cycle`` after them); ``overrides``
    win. ``protocol["how"]`` says for every key how it was obtained.

    * capacity ``Q_nom`` [mAh]: active mass x ``cell.lfp_specific_capacity_mAh_g`` when the table's
      metadata has the mass, else the largest discharge capacity of the first 5 cycles;
    * ``cathode_loading_mAh_cm2 = Q_nom / area`` (area from the metadata, else
      ``cell.electrode_area_cm2``);
    * per-cycle C-rate = mean |discharge current| [mA] / ``Q_nom``; the leading cycles whose rate
      differs by more than 25 % from the median are formation cycles (``formation_c_rate`` their
      median); ``c_rate`` is the median over the fitted cycles after formation;
    * voltage window: the **median** over the fitted cycles of each cycle's highest charge voltage
      and lowest discharge voltage, rounded to 0.05 V. The median ignores the few cycles in which
      a cycler (or the twin, after its reservoir is gone) overshoots its cut-off;
    * ``li_inventory_mAh_cm2``: cannot be seen in a full-cell file: the set's
      ``cell.li_inventory_mAh_cm2`` unless given (the knee scales with it);
    * ``cycles``: the number of fitted cycles after formation.
    """
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    src = data.meta.source_file or "<table>"
    df = data.data
    area = float(data.meta.area_cm2 or params.cell.electrode_area_cm2.value)
    cyc = df["Cycle"].to_numpy()
    cur_mA = df["Current [A]"].to_numpy(dtype=float) * 1e3
    volt = df["Voltage [V]"].to_numpy(dtype=float)
    order = np.unique(cyc)
    q_dis = df.groupby("Cycle")["Discharge capacity [mAh]"].max()
    how: dict[str, str] = {}
    if data.meta.active_mass_mg:
        q_nom = data.meta.active_mass_mg * 1e-3 * params.cell.lfp_specific_capacity_mAh_g.value
        basis = "active mass x LFP specific capacity"
    else:
        q_nom = float(q_dis.iloc[:5].max()) if len(q_dis) else float("nan")
        basis = "largest discharge capacity of the first 5 cycles"
    if not (np.isfinite(q_nom) and q_nom > 0):
        raise LileanError(f"{src}: no discharge capacity to infer the C-rate")
    rates, vmax, vmin, cyc_ok = [], [], [], []
    for c in order:
        here = cyc == c
        dis = here & (cur_mA < 0)
        chg = here & (cur_mA > 0)
        if not dis.any():
            continue
        rates.append(float(np.mean(np.abs(cur_mA[dis]))) / q_nom)
        vmax.append(float(np.nanmax(volt[chg])) if chg.any() else np.nan)
        vmin.append(float(np.nanmin(volt[dis])))
        cyc_ok.append(int(c))
    if not rates:
        raise LileanError(f"{src}: no discharge steps (negative current) found")
    r = np.asarray(rates)
    # formation: judged against the median of the leading cycles only (what is fitted)
    lead = r[: (int(max_cycle) + 10) if max_cycle else r.size]
    main0 = float(np.median(lead))
    n_form = 0
    while n_form < lead.size - 1 and abs(lead[n_form] / main0 - 1.0) > 0.25:
        n_form += 1
    if "formation_cycles" in overrides:
        n_form = int(overrides["formation_cycles"])
    n_used = r.size if max_cycle is None else min(r.size, n_form + int(max_cycle))
    after = slice(n_form, max(n_used, n_form + 1))
    used_cycles = cyc_ok[:n_used]
    span = f"cycles {used_cycles[0]}..{used_cycles[-1]} of the file" if used_cycles else "-"
    main = float(np.median(r[after])) if r[after].size else main0
    form_rate = float(np.median(r[:n_form])) if n_form else 0.5
    vx = np.asarray(vmax[:n_used])
    vn = np.asarray(vmin[:n_used])
    upper = float(np.nanmedian(vx)) if np.isfinite(vx).any() else float("nan")
    lower = float(np.nanmedian(vn))
    proto: dict[str, Any] = {
        "c_rate": round(main, 4),
        "formation_cycles": n_form,
        "formation_c_rate": round(form_rate, 4),
        "cycles": max(n_used - n_form, 1),
        "cathode_loading_mAh_cm2": q_nom / area,
        "li_inventory_mAh_cm2": params.cell.li_inventory_mAh_cm2.value,
        "lower_cutoff_V": round(lower * 20.0) / 20.0,
        "upper_cutoff_V": round(upper * 20.0) / 20.0 if math.isfinite(upper) else float("nan"),
        "area_cm2": area,
        "capacity_basis": basis,
        "steps_per_half_cycle": DEFAULT_STEPS,
    }
    how = {
        "c_rate": f"median over the fitted {span} after formation of mean |discharge current| "
        f"/ Q_nom (Q_nom = {q_nom:.4g} mAh from the {basis})",
        "formation_cycles": "leading cycles whose discharge rate differs by > 25 % from the median",
        "formation_c_rate": "median rate of the formation cycles (0.5 if there are none)",
        "cycles": f"fitted cycles after formation ({span})",
        "cathode_loading_mAh_cm2": f"Q_nom / area ({basis}; area {area:.4g} cm2 "
        + (
            "from the file)"
            if data.meta.area_cm2
            else "assumed: the set's cell.electrode_area_cm2)"
        ),
        "li_inventory_mAh_cm2": "NOT visible in a full-cell file: the set's "
        "cell.li_inventory_mAh_cm2; pass --li-inventory (the knee scales with it)",
        "lower_cutoff_V": f"median over {span} of each cycle's lowest discharge voltage, "
        "rounded to 0.05 V",
        "upper_cutoff_V": f"median over {span} of each cycle's highest charge voltage (ignores "
        "overshoots past the cut-off), rounded to 0.05 V",
        "area_cm2": "from the file" if data.meta.area_cm2 else "the set's cell.electrode_area_cm2",
        "steps_per_half_cycle": "the simulator's default time resolution",
    }
    for k in overrides:
        how[k] = "given by the user"
    proto.update(overrides)
    proto["inferred"] = sorted(
        k for k in set(proto) - set(overrides) - {"capacity_basis"} if k in how
    )
    proto["how"] = how
    return proto


def representability_problems(data: CyclingData, proto: dict[str, Any]) -> list[str]:
    """Why the twin (Li metal || LFP) cannot represent this cell; empty when it can. Checks
    (stated limits, :data:`LFP_WINDOW`): the voltage window holds the LFP plateau, the mean
    discharge voltage is that of LFP vs Li (3.0-3.5 V), the loading and C-rate are physical."""
    out: list[str] = []
    lo, hi = float(proto["lower_cutoff_V"]), float(proto["upper_cutoff_V"])
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return ["no charge and discharge voltage window could be read"]
    if not (LFP_WINDOW["lower_cutoff_V"][0] <= lo <= LFP_WINDOW["lower_cutoff_V"][1]):
        out.append(
            f"lower cut-off {lo:.2f} V outside {LFP_WINDOW['lower_cutoff_V'][0]}-"
            f"{LFP_WINDOW['lower_cutoff_V'][1]} V of a Li || LFP cell"
        )
    if not (LFP_WINDOW["upper_cutoff_V"][0] <= hi <= LFP_WINDOW["upper_cutoff_V"][1]):
        out.append(
            f"upper cut-off {hi:.2f} V outside {LFP_WINDOW['upper_cutoff_V'][0]}-"
            f"{LFP_WINDOW['upper_cutoff_V'][1]} V of a Li || LFP cell"
        )
    try:
        m = measured_cycling_series(data, proto, int(proto.get("cycles", 0)) or None)
        vd = float(np.nanmedian(m["Mean discharge voltage [V]"]))
    except LileanError:
        vd = float("nan")
    a, b = LFP_WINDOW["mean_discharge_V"]
    if not (a <= vd <= b):
        out.append(
            f"mean discharge voltage {vd:.2f} V, expected {a}-{b} V for LFP vs Li metal "
            "(another chemistry: Si, graphite, NMC, ... or a half-cell)"
        )
    q = float(proto["cathode_loading_mAh_cm2"])
    a, b = LFP_WINDOW["cathode_loading_mAh_cm2"]
    if not (a <= q <= b):
        out.append(f"inferred cathode loading {q:.3g} mAh/cm2 outside {a}-{b} mAh/cm2")
    c = float(proto["c_rate"])
    a, b = LFP_WINDOW["c_rate"]
    if not (a <= c <= b):
        out.append(f"inferred C-rate {c:.3g} outside {a}-{b}")
    return out


#: what the twin can represent (Li metal || LFP full cell), used by :func:`representability_problems`
LFP_WINDOW: dict[str, tuple[float, float]] = {
    "lower_cutoff_V": (1.5, 3.2),
    "upper_cutoff_V": (3.5, 4.5),
    "mean_discharge_V": (3.0, 3.5),
    "cathode_loading_mAh_cm2": (0.05, 10.0),
    "c_rate": (0.02, 10.0),
}


def _cycling_params(params: ParameterSet, proto: dict[str, Any]) -> ParameterSet:
    lo, hi = float(proto["lower_cutoff_V"]), float(proto["upper_cutoff_V"])
    if (lo, hi) == (params.cell.lower_cutoff_V.value, params.cell.upper_cutoff_V.value):
        return params
    return params.replace({"cell.lower_cutoff_V": lo, "cell.upper_cutoff_V": hi})


def simulate_protocol(
    params: ParameterSet, substrate: str, proto: dict[str, Any], cycles: int | None = None
) -> Any:
    """:func:`lilean.simulate.simulate_cycling` under an inferred protocol."""
    from lilean.simulate import simulate_cycling

    with np.errstate(invalid="ignore", divide="ignore"):  # a failed cell: NaN energies, no warning
        return simulate_cycling(
            params,
            substrate,
            cathode_loading_mAh_cm2=float(proto["cathode_loading_mAh_cm2"]),
            li_inventory_mAh_cm2=float(proto["li_inventory_mAh_cm2"]),
            c_rate=float(proto["c_rate"]),
            cycles=int(cycles or proto["cycles"]),
            formation_cycles=int(proto["formation_cycles"]),
            formation_c_rate=float(proto["formation_c_rate"]),
            seed=int(proto.get("seed", 0)),
            steps_per_half_cycle=int(proto.get("steps_per_half_cycle", DEFAULT_STEPS)),
        )


#: per-cycle series a cycling fit can use and their resolution floors (the smallest noise the
#: weighting assumes: a cycler's capacity resolution ~1e-3 %, voltage ~10 uV). The weights
#: themselves are estimated from the data and from the fit's own residuals (:func:`fit_cycling`).
#: ``Voltage gap [V]`` = mean charge - mean discharge voltage and ``Mean voltage [V]`` = their
#: average are the same information as the two means, rotated so that what is common to both
#: branches of a cycle (a per-cycle temperature or reference drift, a capacity-calibration error
#: that enters both means as energy / capacity) falls into the mean voltage and the gap keeps the
#: polarisation rise (SEI, dead Li, cathode transport) at its own, much smaller noise.
CYCLING_SERIES = {
    "Retention [%]": 1e-3,
    "Voltage gap [V]": 1e-5,
    "Mean voltage [V]": 1e-5,
    "Mean charge voltage [V]": 1e-5,
    "Mean discharge voltage [V]": 1e-5,
}
#: the series fitted by default (``series=None``)
DEFAULT_CYCLING_SERIES = ("Retention [%]", "Voltage gap [V]", "Mean voltage [V]")
#: series whose constant offset per file is profiled out: the twin's absolute polarisation depends
#: on parameters that are not fitted (exchange current, conductivity, cathode kinetics); the fit
#: uses their **rise** over the cycles (the offsets are reported, ``voltage_offsets_V``)
OFFSET_SERIES = (
    "Voltage gap [V]",
    "Mean voltage [V]",
    "Mean charge voltage [V]",
    "Mean discharge voltage [V]",
)
#: largest RMS misfit (raw units) per series with which a cycling fit counts as reproducing the
#: cell (voltages after their offset; the offset itself at most :data:`OFFSET_LIMIT_V`); beyond it
#: the fit's status is ``misfit`` and ``lilean fit`` exits 3
MISFIT_LIMITS = {
    "Retention [%]": 2.0,
    "Voltage gap [V]": 0.025,
    "Mean voltage [V]": 0.025,
    "Mean charge voltage [V]": 0.025,
    "Mean discharge voltage [V]": 0.025,
}
OFFSET_LIMIT_V = 0.1
#: the voltage series are fitted from this cycle after formation on: the first cycle at the test
#: rate still relaxes from the formation rate (its mean voltages jump with small parameter
#: changes in the twin, and in cells), the retention keeps it as its reference
VOLTAGE_FIRST_CYCLE = 2
#: log-normal prior on each free parameter, centred on the set's (calibrated) value: sd = ln 3
#: (a factor 3 at 1 sigma). It holds directions the data cannot determine and is carried into the
#: covariance, hence into the knee intervals.
PRIOR_LOG_SD = math.log(3.0)
#: narrower priors (full names) where the literature bounds a parameter: the per-cycle Li loss
#: fraction on bare Cu, Li||Cu CE 80-95 % in carbonate electrolytes (Adams2018, Xiao2020), i.e.
#: x0.4-x1.6 of the set's 0.125: log sd ln 2 (that range within about +-1.3 sd). The Ag@Cu value
#: (0.05) is assumed, not read from a study: it keeps the generic ln 3
PRIOR_LOG_SD_BY_NAME = {"substrates.cu.anode.cycling_loss_fraction": math.log(2.0)}
#: default cell-to-cell prior sd (log space) of a random-effects multi-file fit: replicate Li-metal
#: cells differ by ~10-30 % in their fade (Boyle et al., Nat. Energy 6, 487 (2021), replicate
#: calendar losses; Fang et al., Nature 572, 511 (2019)); ln 1.3 at 1 sd
RANDOM_EFFECT_LOG_SD = math.log(1.3)
#: draws of the fitted parameters for every interval (the same in ``fit`` and ``predict``)
DEFAULT_SAMPLES = 40
#: fraction of the first post-formation discharge capacity that defines ``knee80_cycle``
KNEE_FRACTION = 0.8
#: profile-likelihood step (log space) and the chi^2 rise below which a parameter is not determined
PROFILE_STEP = math.log(2.0)
PROFILE_CHI2 = 3.84


def measured_cycling_series(
    data: CyclingData, proto: dict[str, Any], max_cycle: int | None = None
) -> pd.DataFrame:
    """Per-cycle retention (relative to the first cycle after formation) and mean voltages of the
    complete cycles; ``Cycle`` numbered after formation (1 = first cycle after formation)."""
    from lilean.analysis.cycling import cycle_summary

    first = int(proto["formation_cycles"]) + int(data.data["Cycle"].min())
    with np.errstate(invalid="ignore", divide="ignore"):
        s = cycle_summary(data, reference_cycle=None, ce_convention="discharge/charge")
    s = s[s["Complete"] & (s["Cycle"] >= first)].copy()
    if s.empty:
        raise LileanError(f"{data.meta.source_file}: no complete cycle after formation to fit")
    s["Cycle"] = s["Cycle"] - first + 1
    q0 = float(s["Discharge capacity [mAh]"].iloc[0])
    s["Retention [%]"] = 100.0 * s["Discharge capacity [mAh]"] / q0
    _add_voltage_rotation(s)
    if max_cycle is not None:
        s = s[s["Cycle"] <= max_cycle]
    return s[["Cycle", *CYCLING_SERIES]].reset_index(drop=True)


def _add_voltage_rotation(s: pd.DataFrame) -> pd.DataFrame:
    """Add ``Voltage gap [V]`` (charge - discharge mean) and ``Mean voltage [V]`` (their average)
    to a per-cycle table in place."""
    vc = s["Mean charge voltage [V]"].to_numpy(dtype=float)
    vd = s["Mean discharge voltage [V]"].to_numpy(dtype=float)
    s["Voltage gap [V]"] = vc - vd
    s["Mean voltage [V]"] = 0.5 * (vc + vd)
    return s


def _rms_finite(v: np.ndarray) -> float:
    """RMS of the finite entries; ``inf`` when there are none (a twin that ran no fitted cycle)."""
    v = v[np.isfinite(v)]
    return float(np.sqrt(np.mean(v**2))) if v.size else math.inf


def _halton(n: int, d: int, seed: int) -> np.ndarray:
    from scipy.stats import qmc

    return np.asarray(qmc.Halton(d=d, scramble=True, seed=seed).random(n))


#: log-space step of the central differences behind a cycling fit's covariance: the twin's
#: per-cycle series jump at event crossings (a formation-rate relaxation, a cut-off step), and
#: the optimiser's own 2-point Jacobian (step 1e-3) can straddle one, which makes a column
#: hundreds of times too steep and collapses that direction's interval (a Li-Cu truth with
#: knee80 319 got [116, 119]); a 5 % step measures the slope over the scale that matters
COV_STEP = 0.05


def _smoothed_jacobian(
    residual: Callable[[np.ndarray], np.ndarray], x: np.ndarray, jac: np.ndarray
) -> np.ndarray:
    """Central-difference Jacobian ``(r(x + h e_j) - r(x - h e_j)) / 2h`` with ``h`` =
    :data:`COV_STEP`; a column whose difference is not finite keeps the optimiser's."""
    out = jac.copy()
    for j in range(x.size):
        e = np.zeros_like(x)
        e[j] = COV_STEP
        col = (np.asarray(residual(x + e)) - np.asarray(residual(x - e))) / (2.0 * COV_STEP)
        if col.shape == out[:, j].shape and np.all(np.isfinite(col)):
            out[:, j] = col
    return out


def fit_cycling(
    datas: Sequence[CyclingData],
    params: ParameterSet,
    substrate: str,
    *,
    free: Sequence[str] | None = None,
    max_cycle: int | None = None,
    protocol: dict[str, Any] | None = None,
    knee_horizon: int = 1000,
    max_nfev: int = 30,
    n_global: int | None = None,
    n_samples: int = DEFAULT_SAMPLES,
    seed: int = 0,
    force: bool = False,
    profile: bool = True,
    fit_offsets: bool = True,
    series: Sequence[str] | None = None,
    random_effects: bool = False,
    random_effect_log_sd: float | None = None,
) -> FitResult:
    """Fit the full-cell twin to one or several measured Li || LFP tables of the same cell type
    (a pooled fit: one shared parameter set, each file its own inferred protocol).

    1. protocol per file from the fitted cycles only (:func:`infer_cycling_protocol`); a cell the
       twin cannot represent is refused (:func:`representability_problems`) unless ``force``;
    2. residuals per series ``(y_sim - y) / sigma_f``; ``sigma_f`` starts at the data's own noise
       (:func:`noise_sigma`) and is re-estimated from the fit's residuals (robust RMS, so that each
       series carries its noise **and** model error and none dominates), plus the prior rows
       ``(x - x_0) / ln 3`` (:data:`PRIOR_LOG_SD`; narrower per :data:`PRIOR_LOG_SD_BY_NAME`);
    3. a global stage (scrambled Halton points over ``x_0 +- 2 ln 3``) picks the starts of the local
       trust-region optimiser; the best of several starts is refined after re-weighting;
    4. profile likelihood per parameter (:data:`PROFILE_STEP`): a parameter whose chi^2 rises by
       less than :data:`PROFILE_CHI2` is reported as held by its prior (not determined);
    5. the knees with intervals from ``n_samples`` draws (:func:`predict`, the same draws as
       ``lilean predict``), for the first file's protocol up to ``knee_horizon`` cycles.

    Several files are pooled (one parameter set) by default. With ``random_effects`` each file
    ``f`` has its own ``x_f = mu + delta_f`` with the cell-to-cell prior ``delta_f ~ N(0, tau^2)``
    (``tau`` = ``random_effect_log_sd``, default :data:`RANDOM_EFFECT_LOG_SD`; prior rows
    ``delta_f / tau``): the population ``mu`` is the fit's value (its knees), every file's own
    values and intervals are in ``extra["random_effects"]`` (a hierarchical model with ``tau``
    fixed, solved jointly; Gelman et al., *Bayesian Data Analysis*, 3rd ed. (2013), ch. 5). The
    profile likelihood is then skipped.
    """
    names = resolve_names(params, substrate, free or DEFAULT_FREE["cycling"])
    unknown = [c for c in (series or ()) if c not in CYCLING_SERIES]
    if unknown:
        raise ParameterError(f"fitted series {unknown}: expected some of {list(CYCLING_SERIES)}")
    fitted_series = {c: CYCLING_SERIES[c] for c in (series or DEFAULT_CYCLING_SERIES)}
    protos = [infer_cycling_protocol(d, params, protocol, max_cycle) for d in datas]
    problems: list[str] = []
    for d, p in zip(datas, protos, strict=True):
        why = representability_problems(d, p)
        if why:
            problems.append(f"{d.meta.source_file or '<table>'}: " + "; ".join(why))
    if problems and not force:
        raise LileanError(
            "not a Li-metal || LFP cell, which is all the twin can represent: "
            + " | ".join(problems)
            + " (--force fits it anyway; the numbers then mean nothing physical)"
        )
    meas = [measured_cycling_series(d, p, max_cycle) for d, p in zip(datas, protos, strict=True)]
    for p, m in zip(protos, meas, strict=True):
        p["cycles"] = int(m["Cycle"].max())
    n_meas = sum(len(m) for m in meas)
    if n_meas < 5:
        raise LileanError(f"only {n_meas} complete cycles after formation: too few to fit")
    data_sigma = {
        col: max(float(np.median([noise_sigma(m[col].to_numpy(), floor) for m in meas])), floor)
        for col, floor in fitted_series.items()
    }
    bases = [_cycling_params(params, p) for p in protos]
    flat = params.flat()
    x0 = np.log([flat[n].value for n in names])
    npar = len(names)
    nfile = len(datas)
    prior_sd = np.array([PRIOR_LOG_SD_BY_NAME.get(n, PRIOR_LOG_SD) for n in names])
    use_re = bool(random_effects) and nfile > 1
    tau = float(random_effect_log_sd or RANDOM_EFFECT_LOG_SD)
    if not tau > 0:
        raise ParameterError(f"random_effect_log_sd = {tau}: expected > 0")
    ntot = npar * (1 + nfile) if use_re else npar
    # each file's deviation is carried as ``y_f = x0 + delta_f`` (not ``delta_f`` itself): scipy's
    # relative finite-difference step is ``diff_step * |y|``, so a ``delta_f`` at 0 got a step of
    # ~1.5e-8 (its fallback), below the twin's numerical resolution: a zero gradient that left
    # every file at the population value. Shifted, the deviations get the population's step.
    shift = np.tile(x0, nfile) if use_re else np.zeros(0)
    x0_full = np.concatenate([x0, shift])

    def file_x(x: np.ndarray, f: int) -> np.ndarray:
        if not use_re:
            return x[:npar]
        return x[:npar] + x[npar * (f + 1) : npar * (f + 2)] - x0

    offsets: dict[str, list[float]] = {c: [] for c in OFFSET_SERIES if c in fitted_series}

    def raw(x: np.ndarray) -> dict[str, np.ndarray] | None:
        out: dict[str, list[np.ndarray]] = {c: [] for c in fitted_series}
        for v in offsets.values():
            v.clear()
        for f, (base, p, m) in enumerate(zip(bases, protos, meas, strict=True)):
            try:
                sim = simulate_protocol(_apply(base, names, file_x(x, f)), substrate, p)
            except ParameterError:
                return None
            s = _add_voltage_rotation(sim.summary.copy()).set_index("Cycle")
            cyc = m["Cycle"].to_numpy()
            for col in fitted_series:
                ysim = s[col].reindex(cyc).to_numpy(dtype=float)
                d = ysim - m[col].to_numpy(dtype=float)
                if col in OFFSET_SERIES:
                    keep = cyc >= VOLTAGE_FIRST_CYCLE
                    if fit_offsets and np.isfinite(d[keep]).any():
                        offsets[col].append(float(np.nanmean(d[keep])))
                        d = d - offsets[col][-1]
                    d = np.where(keep, d, 0.0)
                out[col].append(d)
        return {c: np.concatenate(v) for c, v in out.items()}

    scale = dict(data_sigma)
    penalty = 1e3
    used = {
        c: np.concatenate(
            [
                m["Cycle"].to_numpy() >= (VOLTAGE_FIRST_CYCLE if c in OFFSET_SERIES else 1)
                for m in meas
            ]
        )
        for c in fitted_series
    }

    def residual(x: np.ndarray) -> np.ndarray:
        rr = raw(x)
        prior = np.concatenate([(x[:npar] - x0) / prior_sd, (x[npar:] - shift) / tau])
        if rr is None:
            return np.concatenate([np.full(len(fitted_series) * n_meas, penalty), prior])
        parts = [np.clip(np.nan_to_num(rr[c] / scale[c], nan=penalty), -penalty, penalty)
                 for c in fitted_series]  # fmt: skip
        return np.concatenate([*parts, prior])

    def reweight(x: np.ndarray) -> None:
        rr = raw(x)
        if rr is None:
            return
        for c in fitted_series:
            v = rr[c][used[c]]
            v = v[np.isfinite(v)]
            if v.size:
                rms = math.sqrt(float(np.median(v * v)) / 0.4549)  # robust: median of chi^2_1
                scale[c] = max(data_sigma[c], rms)

    # global stage
    n_global = n_global if n_global is not None else 4 * npar + 2
    starts = [x0_full]
    sparsity: Any = "2-point"
    if use_re:  # a file's rows depend on mu and its own delta only
        from scipy.sparse import lil_matrix

        pattern = lil_matrix((len(fitted_series) * n_meas + ntot, ntot), dtype=int)
        row = 0
        for _c in fitted_series:
            for f, m in enumerate(meas):
                pattern[row : row + len(m), :npar] = 1
                pattern[row : row + len(m), npar * (f + 1) : npar * (f + 2)] = 1
                row += len(m)
        for k in range(ntot):
            pattern[row + k, k] = 1
        sparsity = pattern
    lsq_kw: dict[str, Any] = {"jac_sparsity": sparsity} if use_re else {}
    if n_global > 0:
        pts = x0 + (2.0 * _halton(n_global, npar, seed) - 1.0) * 2.0 * prior_sd
        pts = np.column_stack([pts, np.tile(shift, (n_global, 1))])
        reweight(x0_full)
        costs = [float(np.sum(residual(pt) ** 2)) for pt in pts]
        best = int(np.argmin(costs))
        if costs[best] < float(np.sum(residual(x0_full) ** 2)):
            starts.append(pts[best])
    # local stage from each start, then re-weight at the best and refine
    best_res = None
    for st in starts:
        res = least_squares(residual, st, method="trf", diff_step=1e-3, max_nfev=max_nfev,
                            xtol=1e-8, **lsq_kw)  # fmt: skip
        if best_res is None or res.cost < best_res.cost:
            best_res = res
    assert best_res is not None
    for _ in range(2):
        reweight(best_res.x)
        best_res = least_squares(residual, best_res.x, method="trf", diff_step=1e-3,
                                 max_nfev=max_nfev, xtol=1e-8, **lsq_kw)  # fmt: skip
    x_full = np.asarray(best_res.x)
    jac_any = best_res.jac
    jac = np.asarray(jac_any.toarray() if hasattr(jac_any, "toarray") else jac_any, dtype=float)
    if not use_re:
        jac = _smoothed_jacobian(residual, x_full, jac)
    r_fin = np.asarray(best_res.fun)
    n_data = r_fin.size - ntot
    s2 = max(float(np.sum(r_fin[:n_data] ** 2)) / max(n_data - ntot, 1), 1.0)
    # data part scaled by the residual variance (never below 1), prior part as it is
    jd, jp = jac[:n_data], jac[n_data:]
    cov_full = np.linalg.pinv(jd.T @ jd / s2 + jp.T @ jp, rcond=1e-12, hermitian=True)
    x, cov = x_full[:npar], cov_full[:npar, :npar]
    fit = FitResult(
        experiment="cycling",
        substrate=substrate,
        names=names,
        units=[flat[n].unit for n in names],
        log_value=x,
        log_cov=cov,
        params=params,
        files=[d.meta.source_file or "<table>" for d in datas],
        protocol=protos[0],
        n_points=n_data,
        cost=0.5 * float(np.sum(r_fin[:n_data] ** 2)),
        residual_fn=None if use_re else residual,
        method="least_squares (global Halton stage + trust-region, robust re-weighting, "
        "log-normal prior; covariance from a central-difference Jacobian, 5 % log step)",
    )
    fit.warnings = identifiability_warnings(
        names, [fit.interval(k) for k in names], fit.correlation
    )
    if problems:
        fit.warnings.insert(0, "forced: " + " | ".join(problems))
    if "li_inventory_mAh_cm2" in protos[0]["inferred"]:
        fit.warnings.append(
            f"Li inventory not given: assumed {protos[0]['li_inventory_mAh_cm2']:g} mAh/cm2 (the "
            "set's cell.li_inventory_mAh_cm2; a full-cell file cannot show it); the knees scale "
            "with it: pass --li-inventory"
        )
    # misfit in raw units and convergence
    rr = raw(x_full)
    rms = (
        {c: _rms_finite(rr[c][used[c]]) for c in fitted_series}
        if rr is not None
        else {c: float("inf") for c in fitted_series}
    )
    fit.extra["rms_misfit"] = rms
    fit.extra["voltage_offsets_V"] = {c: list(v) for c, v in offsets.items()}
    fit.extra["misfit_limits"] = dict(MISFIT_LIMITS)
    fit.extra["noise_sigma"] = dict(scale)
    fit.extra["noise_sigma_from_data"] = data_sigma
    fit.extra["optimizer"] = {
        "starts": len(starts),
        "global_points": n_global,
        "status": int(best_res.status),
        "message": str(best_res.message),
        "nfev": int(best_res.nfev),
        "optimality": float(best_res.optimality),
    }
    bad = [c for c in fitted_series if not rms[c] <= MISFIT_LIMITS[c]]
    bad += [
        f"{c} offset"
        for c, v in offsets.items()
        if v and not max(abs(o) for o in v) <= OFFSET_LIMIT_V
    ]
    failed = rr is None or np.mean(np.abs(residual(x_full)[:n_data]) >= penalty) > 0.5
    if failed:
        fit.status, fit.status_reason = "twin-failed", "the twin could not run most cycles"
    elif bad:
        fit.status = "misfit"
        fit.status_reason = "RMS misfit above the stated limit: " + ", ".join(
            f"{c} {rms[c]:.3g} > {MISFIT_LIMITS[c]:g}"
            if c in rms
            else f"{c} {max(abs(o) for o in offsets[c.removesuffix(' offset')]):.3g} V > "
            f"{OFFSET_LIMIT_V:g} V"
            for c in bad
        )
    elif best_res.status <= 0 and best_res.optimality > 1e-2 * (1.0 + best_res.cost):
        fit.status = "not-converged"
        fit.status_reason = f"the optimiser stopped: {best_res.message}"
    # profile likelihood
    if use_re:
        cells = []
        for f, d in enumerate(datas):
            sl = np.r_[0:npar, npar * (f + 1) : npar * (f + 2)]
            sub_cov = cov_full[np.ix_(sl, sl)]
            # Var(mu_k + delta_fk) = C_mu + C_delta + 2 C_mu,delta
            var = np.array(
                [
                    sub_cov[k, k] + sub_cov[npar + k, npar + k] + 2 * sub_cov[k, npar + k]
                    for k in range(npar)
                ]
            )
            xf = file_x(x_full, f)
            sd = np.sqrt(np.clip(var, 0.0, None))
            cells.append(
                {
                    "file": d.meta.source_file or "<table>",
                    "values": {n: float(np.exp(v)) for n, v in zip(names, xf, strict=True)},
                    "low": {
                        n: float(np.exp(v - Z95 * e)) for n, v, e in zip(names, xf, sd, strict=True)
                    },
                    "high": {
                        n: float(np.exp(v + Z95 * e)) for n, v, e in zip(names, xf, sd, strict=True)
                    },
                }
            )
        fit.extra["random_effects"] = {"log_sd": tau, "cells": cells}
        fit.method += f"; random effects per file (log sd {tau:.3g})"
    if profile and not use_re:
        prof: dict[str, Any] = {}
        base_chi2 = float(np.sum(r_fin**2))
        for k, name in enumerate(names):
            rises = []
            for sgn in (-1.0, 1.0):
                xk = x.copy()
                xk[k] += sgn * PROFILE_STEP
                if npar > 1:
                    others = [j for j in range(npar) if j != k]

                    def sub(
                        y: np.ndarray, xk: np.ndarray = xk, others: list[int] = others
                    ) -> np.ndarray:
                        z = xk.copy()
                        z[others] = y
                        return residual(z)

                    rs = least_squares(sub, xk[others], method="trf", diff_step=1e-3, max_nfev=8)
                    chi2 = 2.0 * float(rs.cost)
                else:
                    chi2 = float(np.sum(residual(xk) ** 2))
                rises.append((chi2 - base_chi2) / s2)
            determined = min(rises) > PROFILE_CHI2
            prof[name] = {
                "delta_chi2_at_half": rises[0],
                "delta_chi2_at_double": rises[1],
                "determined_by_data": bool(determined),
            }
            if not determined:
                fit.warnings.append(
                    f"{name}: not determined by these data (profile likelihood: chi2 rises by "
                    f"only {min(rises):.2g} < {PROFILE_CHI2} when it is halved or doubled with the "
                    "others re-fitted); it is held by its prior (the set's value, x/÷3 at 1 sd), "
                    "and that width is carried into the knee intervals"
                )
        fit.extra["profile_likelihood"] = prof
    fit.params = _provenanced(params, fit.values, fit.files, fit.parameter_dict())
    fit.extra["protocols"] = protos
    fit.extra["fitted_cycles"] = [int(m["Cycle"].max()) for m in meas]
    fit.extra["horizon"] = int(knee_horizon)
    fit.extra["n_samples"] = int(n_samples)
    fit.extra["seed"] = int(seed)
    # the retention's re-weighted sigma; when the retention is not fitted (``series=``), its noise
    # from the data (this was a KeyError)
    ret = "Retention [%]"
    fit.extra["capacity_noise_percent"] = float(
        scale[ret]
        if ret in scale
        else np.median([noise_sigma(m[ret].to_numpy(), CYCLING_SERIES[ret]) for m in meas])
    )
    refresh_knees(fit)
    return fit


def knee80_from_run(
    summary: pd.DataFrame, fraction: float = KNEE_FRACTION, cycles: int | None = None
) -> int | None:
    """``knee80_cycle``: the first cycle after formation whose discharge capacity falls below
    ``fraction`` (80 %) of the first cycle after formation (Severson et al., Nat. Energy 4, 383
    (2019): end of life at 80 % of nominal). A twin that stopped before ``cycles`` (a failed cell)
    has its knee at the first cycle it did not complete. ``None`` if it never falls below."""
    q = summary["Discharge capacity [mAh]"].to_numpy(dtype=float)
    c = summary["Cycle"].to_numpy()
    if q.size == 0:
        return 1
    below = np.flatnonzero(~(q >= fraction * q[0]))
    if below.size:
        return int(c[below[0]])
    if cycles is not None and int(c[-1]) < int(cycles):
        return int(c[-1]) + 1
    return None


def reservoir_exhausted_from_run(summary: pd.DataFrame) -> float | None:
    """``reservoir_exhausted_cycle``: the cycle (after formation; fractional, linear interpolation)
    at which the end-of-cycle active Li reservoir falls below :data:`KNEE_ACTIVE_LI_MAH_CM2`;
    ``None`` if it never does."""
    a = summary["Active Li [mAh/cm2]"].to_numpy(dtype=float)
    c = summary["Cycle"].to_numpy(dtype=float)
    below = np.flatnonzero(a < KNEE_ACTIVE_LI_MAH_CM2)
    if below.size == 0:
        return None
    k = int(below[0])
    if k == 0:
        return float(c[0])
    a0, a1 = a[k - 1], a[k]
    return float(c[k - 1] + (a0 - KNEE_ACTIVE_LI_MAH_CM2) / (a0 - a1) * (c[k] - c[k - 1]))


#: the earlier name of :func:`reservoir_exhausted_from_run`
knee_from_run = reservoir_exhausted_from_run


def first_short_from_run(summary: pd.DataFrame) -> int | None:
    """First cycle after formation in which the twin's cell is shorted, or ``None``."""
    if "Shorted" not in summary:
        return None
    s = np.flatnonzero(summary["Shorted"].to_numpy(dtype=bool))
    return int(summary["Cycle"].to_numpy()[s[0]]) if s.size else None


def sample_log_params(log_value: np.ndarray, log_cov: np.ndarray, n: int, seed: int) -> np.ndarray:
    """``n`` draws of ``x ~ N(mean, Cov)`` (seeded); infinite variances are capped at a factor 10
    (1 sd) so that an undetermined parameter spreads the prediction instead of breaking it."""
    cov = np.array(log_cov, dtype=float)
    cap = math.log(10.0) ** 2
    bad = ~np.isfinite(np.diag(cov)) | (np.diag(cov) > cap)
    for k in np.flatnonzero(bad):
        cov[k, :] = 0.0
        cov[:, k] = 0.0
        cov[k, k] = cap
    cov = np.nan_to_num(cov)
    rng = np.random.default_rng(seed)
    return rng.multivariate_normal(np.asarray(log_value, dtype=float), cov, size=n, method="eigh")


def _interval(
    best: float | None, samples: Sequence[float | None], horizon: int, fitted: int | None
) -> dict[str, Any]:
    """Point and 95 % interval of a knee from its draws (a draw without a knee within the horizon
    counts as beyond it). An interval that reaches past the horizon is open: then the point is
    ``None`` and ``status`` says "not predictable yet from K cycles"."""
    kk = np.array([horizon + 1.0 if k is None else float(k) for k in samples])
    if kk.size == 0:
        return {"value": best, "low": None, "high": None, "status": "best fit only (no draws)"}
    a, b = (float(v) for v in np.percentile(kk, [2.5, 97.5]))
    lo = a if a <= horizon else None
    hi = b if b <= horizon else None
    if hi is None or best is None:
        k_txt = f"{fitted} cycles" if fitted else "these cycles"
        return {
            "value": None,
            "low": lo,
            "high": None,
            "status": f"not predictable yet from {k_txt}: the 95 % interval reaches beyond the "
            f"horizon of {horizon} cycles" + (f" (lower bound {lo:.0f})" if lo else ""),
        }
    return {"value": float(best), "low": lo, "high": hi, "status": "bounded"}


@dataclass
class Prediction:
    """Capacity trajectory with a 95 % band (parameter draws + capacity noise) and the two knees
    (``knee80_cycle``, ``reservoir_exhausted_cycle``) with their intervals."""

    cycle: np.ndarray
    discharge_capacity_mAh_g: np.ndarray
    low: np.ndarray
    high: np.ndarray
    knee80: dict[str, Any]
    reservoir: dict[str, Any]
    first_short_cycle: int | None
    n_samples: int
    knee80_samples: list[int | None]
    reservoir_samples: list[float | None]
    warnings: list[str] = field(default_factory=list)
    setup: dict[str, Any] = field(default_factory=dict)
    #: the best-fit twin's knee80 whatever its interval (not a prediction when that is open)
    knee80_best_fit: int | None = None

    @property
    def knee80_cycle(self) -> int | None:
        v = self.knee80["value"]
        return None if v is None else int(v)

    @property
    def knee_cycle(self) -> float | None:
        """The earlier name of ``reservoir_exhausted_cycle``."""
        v = self.reservoir["value"]
        return None if v is None else float(v)

    def knees(self) -> dict[str, Any]:
        return {
            "knee80_cycle": self.knee80["value"],
            "knee80_cycle_low": self.knee80["low"],
            "knee80_cycle_high": self.knee80["high"],
            "knee80_status": self.knee80["status"],
            "knee80_definition": f"first cycle after formation whose discharge capacity is below "
            f"{KNEE_FRACTION:.0%} of the first cycle after formation (shorts included)",
            "reservoir_exhausted_cycle": self.reservoir["value"],
            "reservoir_exhausted_cycle_low": self.reservoir["low"],
            "reservoir_exhausted_cycle_high": self.reservoir["high"],
            "reservoir_exhausted_status": self.reservoir["status"],
            "reservoir_exhausted_definition": "cycle at which the twin's active (excess) Li falls "
            f"below {KNEE_ACTIVE_LI_MAH_CM2} mAh/cm2",
            "first_short_cycle": self.first_short_cycle,
            "knee_samples": self.n_samples,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.setup,
            "cycle": [int(c) for c in self.cycle],
            "discharge_capacity_mAh_g": [float(q) for q in self.discharge_capacity_mAh_g],
            "discharge_capacity_mAh_g_low": [float(q) for q in self.low],
            "discharge_capacity_mAh_g_high": [float(q) for q in self.high],
            **self.knees(),
            "n_samples": self.n_samples,
            "warnings": list(self.warnings),
        }


def predict(
    params: ParameterSet,
    substrate: str,
    *,
    cycles: int,
    protocol: dict[str, Any],
    names: Sequence[str] = (),
    log_value: np.ndarray | None = None,
    log_cov: np.ndarray | None = None,
    n_samples: int = DEFAULT_SAMPLES,
    seed: int = 0,
    capacity_noise_percent: float = 0.0,
    fitted_cycles: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Prediction:
    """Predicted discharge capacity (mAh/g LFP) per cycle after formation and the knees.

    ``params`` holds the best fit; the band is the 2.5-97.5 % range of ``n_samples`` seeded draws
    ``x ~ N(x_hat, Cov)`` (:func:`sample_log_params`) plus a seeded capacity noise of
    ``capacity_noise_percent`` (% of the first cycle; the fit's re-weighted retention sigma, which
    holds noise and model error). The knees (:func:`knee80_from_run`,
    :func:`reservoir_exhausted_from_run`) of the best fit, with the 2.5 / 97.5 % quantiles of the
    draws' knees (:func:`_interval`). ``lilean fit`` calls this with the same draws, so ``lilean
    predict`` on the saved fit gives the same numbers."""
    if int(cycles) < 1:
        raise ParameterError(f"cycles = {cycles}, expected >= 1")
    if names and log_value is not None and n_samples < 1:
        raise ParameterError(f"samples = {n_samples}: a 95 % band needs >= 1 draw (default 40)")
    base = _cycling_params(params, protocol)
    best = simulate_protocol(base, substrate, protocol, cycles)
    cyc = best.summary["Cycle"].to_numpy()
    q_best = best.summary["Discharge capacity [mAh/g]"].to_numpy(dtype=float)
    k80 = knee80_from_run(best.summary, cycles=cycles)
    kres = reservoir_exhausted_from_run(best.summary)
    short = first_short_from_run(best.summary)
    warnings: list[str] = []
    curves: list[np.ndarray] = []
    k80s: list[int | None] = []
    kress: list[float | None] = []
    if names and log_value is not None and log_cov is not None:
        draws = sample_log_params(np.asarray(log_value), np.asarray(log_cov), n_samples, seed)
        # a draw is first run to a short horizon around the best knee; only the draws without a
        # knee there are run to the full horizon (the twin is causal: same first cycles)
        h1 = int(min(cycles, max(2.5 * (k80 or cycles), 50)))
        for i, xd in enumerate(draws):
            pset = _apply(base, list(names), xd)
            try:
                sim = simulate_protocol(pset, substrate, protocol, h1)
                k = knee80_from_run(sim.summary, cycles=h1)
                kr = reservoir_exhausted_from_run(sim.summary)
                if h1 < cycles and (k is None or kr is None):
                    sim = simulate_protocol(pset, substrate, protocol, cycles)
                    k = knee80_from_run(sim.summary, cycles=cycles)
                    kr = reservoir_exhausted_from_run(sim.summary)
            except ParameterError:
                continue  # a draw outside the physical bounds (e.g. loss fraction >= 1)
            q = (
                sim.summary.set_index("Cycle")["Discharge capacity [mAh/g]"]
                .reindex(cyc)
                .to_numpy(dtype=float)
            )  # cycles a draw did not run (knee found early) are NaN, left out of the band
            curves.append(q)
            k80s.append(k)
            kress.append(kr)
            if progress:
                progress(i + 1, n_samples)
        if len(k80s) < n_samples:
            warnings.append(f"{n_samples - len(k80s)} parameter draws were outside their bounds")
    else:
        warnings.append("no covariance (no .fit.json sidecar): the band is the best fit only")
    if curves:
        rng = np.random.default_rng(seed + 1)
        stack = np.vstack(curves)
        stack = stack + rng.normal(0.0, capacity_noise_percent / 100.0 * q_best[0], stack.shape)
        with np.errstate(invalid="ignore"), pywarnings.catch_warnings():
            pywarnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
            lo, hi = np.nanpercentile(stack, [2.5, 97.5], axis=0)
        lo = np.where(np.isfinite(lo), lo, q_best)
        hi = np.where(np.isfinite(hi), hi, q_best)
    else:
        lo = hi = q_best
    return Prediction(
        cycle=cyc,
        discharge_capacity_mAh_g=q_best,
        low=np.minimum(lo, q_best),
        high=np.maximum(hi, q_best),
        knee80=_interval(k80, k80s, int(cycles), fitted_cycles) if curves else _point(k80),
        reservoir=_interval(kres, kress, int(cycles), fitted_cycles) if curves else _point(kres),
        first_short_cycle=short,
        n_samples=len(k80s),
        knee80_samples=k80s,
        reservoir_samples=kress,
        warnings=warnings,
        setup={
            "substrate": substrate,
            "protocol": dict(protocol),
            "horizon": int(cycles),
            "seed": int(seed),
            "capacity_noise_percent": float(capacity_noise_percent),
        },
        knee80_best_fit=k80,
    )


def _point(k: float | None) -> dict[str, Any]:
    return {"value": k, "low": None, "high": None, "status": "best fit only (no covariance)"}


# ---- symmetric -----------------------------------------------------------------------------------

#: relative RMS misfit ``sqrt(mean (y_sim - y)^2) / median |y|`` of the fitted series above which a
#: symmetric (per-cycle polarization) or deposition (plating potential) fit's status is
#: ``misfit`` and ``lilean fit`` exits 3 (:data:`FAILED_EXIT_CODE`): 20 % is several times the
#: cell-to-cell scatter of replicate Li || Li polarizations and nucleation overpotentials, so a fit
#: beyond it does not reproduce the measurement
SYMMETRIC_MISFIT_LIMIT = 0.2
DEPOSITION_MISFIT_LIMIT = 0.2


def _misfit_status(
    fit: FitResult, pairs: Sequence[tuple[np.ndarray, np.ndarray]], limit: float, what: str
) -> None:
    """Set ``fit.status`` to ``misfit`` (with the reason) when the relative RMS misfit of
    ``(simulated, measured)`` pairs exceeds ``limit`` or the twin misses most points."""
    ys = np.concatenate([a for a, _ in pairs])
    y = np.concatenate([b for _, b in pairs])
    ok = np.isfinite(ys) & np.isfinite(y)
    scale = float(np.median(np.abs(y[ok]))) if ok.any() else float("nan")
    rel = (
        float(np.sqrt(np.mean((ys[ok] - y[ok]) ** 2))) / scale
        if ok.any() and scale > 0
        else float("inf")
    )
    fit.extra["relative_rms_misfit"] = rel
    fit.extra["misfit_limit"] = limit
    if ok.mean() < 0.5:
        fit.status = "twin-failed"
        fit.status_reason = f"the twin reproduced only {ok.mean():.0%} of the measured points"
    elif not rel <= limit:
        fit.status = "misfit"
        fit.status_reason = (
            f"relative RMS misfit of the {what} = {rel:.0%} > {limit:.0%}: the twin does not "
            "reproduce this measurement"
        )
        fit.warnings.insert(0, fit.status_reason + "; the intervals assume that it does")


def infer_symmetric_protocol(data: CyclingData, params: ParameterSet) -> dict[str, Any]:
    """Current density = median |I| / area over the non-rest rows; capacity per half-cycle =
    current density x median half-cycle duration; hours = the table's duration."""
    df = data.data
    area = float(data.meta.area_cm2 or params.cell.electrode_area_cm2.value)
    i_mA = df["Current [A]"].to_numpy(dtype=float) * 1e3
    t = df["Time [s]"].to_numpy(dtype=float)
    on = np.abs(i_mA) > 1e-3 * np.max(np.abs(i_mA))
    j = float(np.median(np.abs(i_mA[on]))) / area
    sign = np.sign(i_mA)
    change = np.flatnonzero(np.diff(sign[on]) != 0)
    t_on = t[on]
    edges = np.concatenate([[t_on[0]], t_on[change + 1], [t_on[-1]]])
    half_h = float(np.median(np.diff(edges))) / 3600.0 if edges.size > 2 else t[-1] / 3600.0
    return {
        "current_density_mA_cm2": j,
        "areal_capacity_mAh_cm2": j * half_h,
        "hours": float(t[-1] - t[0]) / 3600.0,
        "area_cm2": area,
        "inferred": ["current_density_mA_cm2", "areal_capacity_mAh_cm2", "hours"],
    }


def fit_symmetric(
    datas: Sequence[CyclingData],
    params: ParameterSet,
    substrate: str,
    *,
    free: Sequence[str] | None = None,
    max_cycle: int | None = None,
    max_nfev: int = 40,
) -> FitResult:
    """Fit per-cycle polarization (mV) of Li || Li cells (:func:`lilean.simulate.simulate_symmetric`)."""
    from lilean.analysis.symmetric import analyze_symmetric
    from lilean.simulate import simulate_symmetric

    names = resolve_names(params, substrate, free or DEFAULT_FREE["symmetric"])
    protos, meas = [], []
    for d in datas:
        p = infer_symmetric_protocol(d, params)
        res = analyze_symmetric(d)
        m = {int(c.cycle): float(c.polarization_mV) for c in res.cycles if c.polarization_mV}
        if max_cycle:
            m = {k: v for k, v in m.items() if k <= max_cycle}
        if len(m) < 3:
            raise LileanError(f"{d.meta.source_file}: fewer than 3 cycles with a polarization")
        protos.append(p)
        meas.append(m)
    sigmas = [noise_sigma(np.array(list(m.values())), 0.1) for m in meas]

    def raw(x: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        pset = _apply(params, names, x)
        pairs = []
        for p, m in zip(protos, meas, strict=True):
            out = simulate_symmetric(
                pset,
                substrate,
                p["current_density_mA_cm2"],
                p["areal_capacity_mAh_cm2"],
                # one extra half-cycle: the table's duration ends a few rows short of the last one
                p["hours"] + p["areal_capacity_mAh_cm2"] / p["current_density_mA_cm2"],
            ).to_dict()
            sim = dict(zip(out["cycle"], out["polarization_mV"], strict=True))
            pairs.append(
                (np.array([sim.get(c, np.nan) for c in m], dtype=float), np.array(list(m.values())))
            )
        return pairs

    def residual(x: np.ndarray) -> np.ndarray:
        parts = []
        for (ys, y), sg in zip(raw(x), sigmas, strict=True):
            parts.append(np.clip(np.nan_to_num((ys - y) / sg, nan=1e3), -1e3, 1e3))
        return np.concatenate(parts)

    files = [d.meta.source_file or "<table>" for d in datas]
    fit = _finish("symmetric", substrate, params, names, residual, files, protos[0], max_nfev)
    _misfit_status(fit, raw(fit.log_value), SYMMETRIC_MISFIT_LIMIT, "polarization (mV)")
    return fit


# ---- deposition ----------------------------------------------------------------------------------


def fit_deposition(
    datas: Sequence[CyclingData],
    params: ParameterSet,
    substrate: str,
    *,
    free: Sequence[str] | None = None,
    max_points: int = 300,
    max_nfev: int = 40,
) -> FitResult:
    """Fit the plating transient (potential in mV vs time) of Li || substrate cells: the first
    negative-current step; current density = median |I| / area (inferred)."""
    from lilean.models.nucleation import simulate_nucleation

    default = DEFAULT_FREE["deposition"]
    if free is None and substrate == "cu":  # no Ag: the alloying current has no effect on Cu
        default = tuple(n for n in default if "alloying" not in n)
    elif free is None:
        default = tuple(n for n in default if "contact_angle" not in n)
    names = resolve_names(params, substrate, free or default)
    traces: list[tuple[np.ndarray, np.ndarray, float]] = []
    protos: list[dict[str, Any]] = []
    for d in datas:
        df = d.data
        i = df["Current [A]"].to_numpy(dtype=float)
        neg = np.flatnonzero(i < 0)
        if neg.size < 10:
            raise LileanError(f"{d.meta.source_file}: no plating step (negative current) found")
        step = df["Step"].to_numpy()[neg[0]]
        sel = (df["Step"].to_numpy() == step) & (i < 0)
        t = df["Time [s]"].to_numpy(dtype=float)[sel]
        v = df["Voltage [V]"].to_numpy(dtype=float)[sel] * 1e3
        t = t - t[0]
        idx = np.unique(np.geomspace(1, t.size, min(max_points, t.size)).astype(int) - 1)
        area = float(d.meta.area_cm2 or params.cell.electrode_area_cm2.value)
        j = float(np.median(np.abs(i[sel]))) * 1e3 / area
        protos.append(
            {
                "current_density_mA_cm2": j,
                "duration_s": float(t[-1]),
                "area_cm2": area,
                "inferred": ["current_density_mA_cm2", "duration_s"],
            }
        )
        traces.append((t[idx], v[idx], noise_sigma(v[idx], 0.5)))

    def raw(x: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        pset = _apply(params, names, x)
        pairs = []
        for p, (t, v, _sg) in zip(protos, traces, strict=True):
            r = simulate_nucleation(
                pset, substrate, p["current_density_mA_cm2"], duration_s=p["duration_s"]
            )
            pairs.append((np.interp(t, np.asarray(r.time_s), np.asarray(r.potential_mV)), v))
        return pairs

    def residual(x: np.ndarray) -> np.ndarray:
        parts = [(vs - v) / tr[2] for (vs, v), tr in zip(raw(x), traces, strict=True)]
        return np.concatenate(parts)

    files = [d.meta.source_file or "<table>" for d in datas]
    fit = _finish("deposition", substrate, params, names, residual, files, protos[0], max_nfev)
    _misfit_status(fit, raw(fit.log_value), DEPOSITION_MISFIT_LIMIT, "plating potential (mV)")
    return fit


#: median relative impedance misfit above which an EIS fit's status is ``misfit`` (exit 3)
EIS_MISFIT_LIMIT = 0.1


# ---- EIS -----------------------------------------------------------------------------------------


def fit_eis(
    spectra: Sequence[Any],
    params: ParameterSet,
    substrate: str,
    *,
    free: Sequence[str] | None = None,
    cell: str = "symmetric",
    files: Sequence[str] = (),
    max_nfev: int = 80,
) -> FitResult:
    """Fit the impedance of the fresh twin (``cell`` = ``symmetric`` or ``full``) to measured
    spectra (:class:`lilean.io.eis.ImpedanceData`, first spectrum of each); residuals
    ``(Z_sim - Z) / |Z|`` (modulus weighting, Orazem & Tribollet, *Electrochemical Impedance
    Spectroscopy*, Wiley 2008, ch. 19). Z is in Ohm with ``cell.electrode_area_cm2``."""
    from lilean.simulate import simulate_eis

    names = resolve_names(params, substrate, free or DEFAULT_FREE["eis"])
    meas = []
    for sp in spectra:
        ids = sp.spectrum_ids
        f, z = sp.to_impedance_arrays(ids[0] if ids else None)
        ok = np.isfinite(f) & np.isfinite(z) & (f > 0)
        meas.append((np.asarray(f[ok]), np.asarray(z[ok])))

    def residual(x: np.ndarray) -> np.ndarray:
        pset = _apply(params, names, x)
        parts = []
        for f, z in meas:
            sim = simulate_eis(pset, substrate, cycles=0, cell=cell, frequencies_Hz=f, seed=0)
            _fs, zs = sim.data.to_impedance_arrays()
            r = (np.asarray(zs) - z) / np.abs(z)
            parts.extend([r.real, r.imag])
        return np.concatenate(parts)

    proto = {"cell": cell, "cycles": 0, "n_frequencies": [int(f.size) for f, _ in meas]}
    fit = _finish("eis", substrate, params, names, residual, list(files), proto, max_nfev)
    r = residual(fit.log_value)
    half = r.size // 2
    misfit = float(np.median(np.hypot(r[:half], r[half:]))) if half else float("nan")
    fit.extra["median_relative_misfit"] = misfit
    fit.extra["misfit_limit"] = EIS_MISFIT_LIMIT
    if not misfit < EIS_MISFIT_LIMIT:
        fit.status = "misfit"
        fit.status_reason = (
            f"median |Z_sim - Z| / |Z| = {misfit:.0%} > {EIS_MISFIT_LIMIT:.0%}: the twin does not "
            "reproduce this spectrum"
        )
        fit.warnings.insert(
            0,
            f"the twin's {cell}-cell impedance does not reproduce this spectrum (median "
            f"|Z_sim - Z| / |Z| = {misfit:.0%}); the intervals assume that it does and are too "
            "narrow (model error, not noise)",
        )
    return fit


# ---- MCMC ----------------------------------------------------------------------------------------


def run_mcmc(
    fit: FitResult,
    *,
    n_walkers: int | None = None,
    n_steps: int = 300,
    burn: int | None = None,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """Sample ``p(x | data) ~ exp(-sum r(x)^2 / (2 s^2))`` (flat prior in log space, ``s^2`` the
    reduced chi^2 at the optimum) with emcee's affine-invariant ensemble sampler, walkers started in
    a small ball around the optimum (seeded). Replaces the intervals by the 2.5 / 97.5 % percentiles
    and the covariance by the sample covariance; returns the flat chain in log space."""
    emcee = _lazy("emcee")
    if fit.residual_fn is None:
        raise LileanError("this fit has no residual function to sample")
    p = len(fit.names)
    n_walkers = n_walkers or max(2 * p + 2, 8)
    burn = n_steps // 3 if burn is None else burn
    s2 = max(2.0 * fit.cost / max(fit.n_points - p, 1), 1e-12)
    res_fn = fit.residual_fn

    def log_prob(x: np.ndarray) -> float:
        if np.any(np.abs(x - fit.log_value) > 10.0):
            return -np.inf
        r = res_fn(x)
        val = -0.5 * float(np.sum(r * r)) / s2
        return val if np.isfinite(val) else -np.inf

    rng = np.random.default_rng(seed)
    start = fit.log_value + 1e-3 * rng.standard_normal((n_walkers, p))
    sampler = emcee.EnsembleSampler(n_walkers, p, log_prob)
    # emcee draws its moves from a legacy RandomState: seed it through the public setter
    sampler.random_state = np.random.RandomState(seed).get_state()
    state = start
    for k, _ in enumerate(sampler.sample(state, iterations=n_steps), start=1):
        if progress:
            progress(k, n_steps)
    chain = sampler.get_chain(discard=burn, flat=True)
    fit.extra["mcmc"] = mcmc_convergence(sampler.get_chain(discard=burn), sampler)
    if not fit.extra["mcmc"]["converged"]:
        fit.status = "not-converged"
        fit.status_reason = "MCMC not converged: " + fit.extra["mcmc"]["verdict"]
    fit.log_cov = np.cov(chain, rowvar=False).reshape(p, p)
    for k, name in enumerate(fit.names):
        lo, med, hi = np.percentile(chain[:, k], [2.5, 50.0, 97.5])
        fit.interval_override[name] = (float(np.exp(med)), float(np.exp(lo)), float(np.exp(hi)))
    fit.method = f"emcee ({n_walkers} walkers x {n_steps} steps, {burn} burn-in)"
    fit.warnings = identifiability_warnings(
        fit.names, [fit.interval(k) for k in fit.names], fit.correlation
    )
    if fit.experiment == "cycling" and fit.knee:
        refresh_knees(fit)  # the knee intervals from the chain's covariance, as predict does
    return np.asarray(chain)


#: MCMC convergence: effective sample size at least this, split R-hat at most this
MCMC_MIN_ESS = 100.0
MCMC_MAX_RHAT = 1.1


def mcmc_convergence(chain: np.ndarray, sampler: Any = None) -> dict[str, Any]:
    """Convergence of an ensemble chain ``(steps, walkers, p)``: the integrated autocorrelation
    time per parameter (emcee's estimator, Goodman & Weare 2010; Sokal's window), the effective
    sample size ``ESS = steps x walkers / tau`` and the split R-hat over walkers (Gelman & Rubin,
    Stat. Sci. 7, 457 (1992); Vehtari et al. 2021). Converged: ``ESS >=`` :data:`MCMC_MIN_ESS` and
    ``R-hat <=`` :data:`MCMC_MAX_RHAT` for every parameter."""
    chain = np.asarray(chain, dtype=float)
    n, w, p = chain.shape
    emcee = _lazy("emcee")
    tau = np.array(
        [float(emcee.autocorr.integrated_time(chain[:, :, k], quiet=True)[0]) for k in range(p)]
    )
    ess = n * w / np.maximum(tau, 1.0)
    half = n // 2
    rhat = np.full(p, np.nan)
    if half >= 2:
        split = np.concatenate([chain[:half], chain[half : 2 * half]], axis=1)  # (half, 2w, p)
        means = split.mean(axis=0)
        within = split.var(axis=0, ddof=1).mean(axis=0)
        between = half * means.var(axis=0, ddof=1)
        var = (half - 1) / half * within + between / half
        rhat = np.sqrt(var / np.maximum(within, 1e-300))
    ok = bool(np.all(ess >= MCMC_MIN_ESS) and np.all(rhat <= MCMC_MAX_RHAT))
    verdict = (
        f"min ESS {float(np.min(ess)):.0f} (>= {MCMC_MIN_ESS:g}), max split R-hat "
        f"{float(np.nanmax(rhat)):.3f} (<= {MCMC_MAX_RHAT}), max autocorrelation time "
        f"{float(np.max(tau)):.1f} steps"
    )
    return {
        "autocorrelation_time_steps": tau.tolist(),
        "effective_sample_size": ess.tolist(),
        "split_rhat": rhat.tolist(),
        "converged": ok,
        "verdict": verdict,
    }


def refresh_knees(fit: FitResult) -> None:
    """Recompute a cycling fit's knees from its current ``log_value`` / ``log_cov`` (after MCMC),
    with the draws that ``lilean predict`` makes from the saved fit."""
    pred = predict(
        fit.params,
        fit.substrate,
        cycles=int(fit.extra.get("horizon", 1000)),
        protocol=fit.protocol,
        names=fit.names,
        log_value=fit.log_value,
        log_cov=fit.log_cov,
        n_samples=int(fit.extra.get("n_samples", DEFAULT_SAMPLES)),
        seed=int(fit.extra.get("seed", 0)),
        capacity_noise_percent=float(fit.extra.get("capacity_noise_percent", 0.0)),
        fitted_cycles=(fit.extra.get("fitted_cycles") or [None])[0],
    )
    fit.knee = pred.knees()
    fit.diagnostics["knee80_best_fit_cycle"] = pred.knee80_best_fit


# ---- loading a saved fit -------------------------------------------------------------------------


def load_sidecar(params_path: str | Path) -> dict[str, Any] | None:
    """The ``.fit.json`` written next to a fitted parameter file, or ``None``."""
    side = sidecar_path(params_path)
    if not side.exists():
        return None
    try:
        payload: dict[str, Any] = json.loads(side.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise LileanError(f"{side}: not a readable fit sidecar ({exc})") from None
    for key in ("names", "log_value", "log_cov"):
        if key not in payload:
            raise LileanError(f"{side}: missing {key!r}, expected a file written by `lilean fit`")
    return payload


def default_prediction_protocol(
    params: ParameterSet,
    *,
    cathode_loading_mAh_cm2: float | None = None,
    li_inventory_mAh_cm2: float | None = None,
    c_rate: float | None = None,
    base: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The protocol for :func:`predict`: the fitted file's (``base``) or the study's (N/P 25 at 1C,
    3 formation cycles at 0.5C), with the given overrides."""
    proto: dict[str, Any] = {
        "c_rate": 1.0,
        "formation_cycles": 3,
        "formation_c_rate": 0.5,
        "cathode_loading_mAh_cm2": 0.4,
        "li_inventory_mAh_cm2": params.cell.li_inventory_mAh_cm2.value,
        "lower_cutoff_V": params.cell.lower_cutoff_V.value,
        "upper_cutoff_V": params.cell.upper_cutoff_V.value,
        "steps_per_half_cycle": DEFAULT_STEPS,
    }
    if base:
        proto.update({k: base[k] for k in proto if k in base and base[k] is not None})
    for key, value in (
        ("cathode_loading_mAh_cm2", cathode_loading_mAh_cm2),
        ("li_inventory_mAh_cm2", li_inventory_mAh_cm2),
        ("c_rate", c_rate),
    ):
        if value is not None:
            if not (np.isfinite(value) and value > 0):
                raise ParameterError(f"{key} = {value}, expected > 0")
            proto[key] = float(value)
    return proto
