"""A data-driven baseline for the 80 % knee from early cycles (Severson et al., Nat. Energy 4, 383
(2019)): a few features of the first K cycles after formation, ridge regression of ``ln knee80``.

Features (:data:`FEATURES`, from the per-cycle summary, cycles 1..K after formation):

* ``fade_slope_percent_per_cycle``: least-squares slope of the retention (%, relative to cycle 1);
* ``inefficiency_mean``: mean ``1 - CE`` (discharge / charge) over cycles 2..K;
* ``gap_slope_mV_per_cycle``: slope of the voltage gap (mean charge - mean discharge voltage);
* ``gap_curvature_mV_per_cycle2``: its quadratic coefficient (the rise accelerates as SEI grows);
* ``gap_initial_mV``: the gap at cycle 1.

Model: ``ln knee80 = b0 + sum_j b_j z_j`` with standardised features ``z``, ridge penalty
``alpha`` chosen by exact leave-one-out error (Hastie, Tibshirani & Friedman, *The Elements of
Statistical Learning*, 2nd ed. (2009), sec. 3.4.1 and 7.10: the LOO residual of a linear smoother
is ``e_i / (1 - H_ii)``). The 95 % interval is ``exp(+- 1.96 s_LOO)`` around the prediction, with
``s_LOO`` the leave-one-out RMS residual in log space. Plain numpy (no scikit-learn needed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lilean.errors import LileanError

FEATURES = (
    "fade_slope_percent_per_cycle",
    "inefficiency_mean",
    "gap_slope_mV_per_cycle",
    "gap_curvature_mV_per_cycle2",
    "gap_initial_mV",
)
ALPHAS = tuple(10.0**k for k in np.arange(-3.0, 3.01, 0.5))
Z95 = 1.959963984540054


def early_features(summary: pd.DataFrame, k: int) -> np.ndarray:
    """:data:`FEATURES` of cycles 1..``k`` of a per-cycle ``summary`` numbered after formation
    (columns ``Cycle``, ``Discharge capacity [mAh]``, ``Charge capacity [mAh]``, ``Mean charge
    voltage [V]``, ``Mean discharge voltage [V]``; e.g. a simulation's ``summary`` or
    :func:`lilean.analysis.cycling.cycle_summary` renumbered)."""
    s = summary[(summary["Cycle"] >= 1) & (summary["Cycle"] <= k)]
    if len(s) < 5:
        raise LileanError(f"the baseline needs at least 5 cycles after formation, got {len(s)}")
    c = s["Cycle"].to_numpy(dtype=float)
    q = s["Discharge capacity [mAh]"].to_numpy(dtype=float)
    qc = s["Charge capacity [mAh]"].to_numpy(dtype=float)
    gap = 1e3 * (
        s["Mean charge voltage [V]"].to_numpy(dtype=float)
        - s["Mean discharge voltage [V]"].to_numpy(dtype=float)
    )
    ret = 100.0 * q / q[0]
    fade = float(np.polyfit(c, ret, 1)[0])
    with np.errstate(invalid="ignore", divide="ignore"):
        ce = q[1:] / qc[1:]
    ineff = float(np.nanmean(1.0 - ce)) if ce.size else 0.0
    quad = np.polyfit(c - c[0], gap, 2)
    lin = np.polyfit(c, gap, 1)
    return np.array([fade, ineff, float(lin[0]), float(quad[0]), float(gap[0])])


@dataclass
class KneeRidge:
    """Ridge regression of ``ln knee80`` on standardised early-cycle features."""

    alpha: float = 1.0
    mean: np.ndarray = field(default_factory=lambda: np.zeros(0))
    scale: np.ndarray = field(default_factory=lambda: np.ones(0))
    coef: np.ndarray = field(default_factory=lambda: np.zeros(0))
    intercept: float = 0.0
    loo_rms_log: float = math.nan

    @staticmethod
    def _solve(z: np.ndarray, y: np.ndarray, alpha: float) -> tuple[np.ndarray, float, np.ndarray]:
        n, p = z.shape
        a = np.column_stack([np.ones(n), z])
        pen = alpha * np.eye(p + 1)
        pen[0, 0] = 0.0  # the intercept is not penalised
        inv = np.linalg.pinv(a.T @ a + pen)
        beta = inv @ a.T @ y
        hat = np.einsum("ij,jk,ik->i", a, inv, a)
        loo = (y - a @ beta) / np.clip(1.0 - hat, 1e-6, None)
        return beta, float(np.sqrt(np.mean(loo**2))), loo

    def fit(self, features: np.ndarray, knee80: np.ndarray) -> KneeRidge:
        x = np.asarray(features, dtype=float)
        y = np.log(np.asarray(knee80, dtype=float))
        if x.shape[0] < 3:
            raise LileanError(f"the baseline needs >= 3 training cells, got {x.shape[0]}")
        self.mean = x.mean(axis=0)
        self.scale = np.where(x.std(axis=0) > 0, x.std(axis=0), 1.0)
        z = (x - self.mean) / self.scale
        best = min(ALPHAS, key=lambda a: self._solve(z, y, a)[1])
        beta, rms, _ = self._solve(z, y, best)
        self.alpha, self.intercept, self.coef, self.loo_rms_log = (
            best,
            float(beta[0]),
            beta[1:],
            rms,
        )
        return self

    def predict(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(knee80, low, high)`` (95 %: ``exp(+- 1.96 s_LOO)``)."""
        z = (np.atleast_2d(np.asarray(features, dtype=float)) - self.mean) / self.scale
        mu = self.intercept + z @ self.coef
        d = Z95 * self.loo_rms_log
        return np.exp(mu), np.exp(mu - d), np.exp(mu + d)
