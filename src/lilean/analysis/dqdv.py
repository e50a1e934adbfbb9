"""Differential capacity dQ/dV and differential voltage dV/dQ of both branches, as data.

**dQ/dV** of one branch (``charge`` or ``discharge``) of one cycle (:func:`dqdv`):

1. take the rows of the cycle whose ``Step type`` is the branch, with ``Q`` the matching capacity
   column [mAh] and ``V`` the voltage [V]; on discharge work with ``u = -V`` so that ``u`` rises as
   ``Q`` grows;
2. make ``u(Q)`` monotonic by its running maximum (noise and relaxation dips of V do not
   reverse the sweep), and resample the cumulative capacity uniformly in voltage: ``Q`` at the
   edges of bins of width ``voltage_resolution_V`` by linear interpolation of ``Q(u)``. A sparsely
   logged step whose rows lie several bins apart spreads its charge over the bins it crosses
   (no empty bins, the cause of the ringing of a per-row histogram);
3. ``dQ/dV`` in a bin = ``(Q(edge_k+1) - Q(edge_k)) / bin width``: non-negative, and the integral
   over V equals the capacity of the step exactly;
4. smoothing: Savitzky-Golay (``scipy.signal.savgol_filter``, ``smoothing_window`` bins, polynomial
   order ``polyorder``; Savitzky1964) on that uniform grid; ``smoothing_window=0`` turns it off.
   On a uniform, gap-free grid a window of a few bins leaves the peak height and position and
   undershoots by less than a few per cent of the peak (measured in the tests).

Constant-voltage holds are left out of both curves (at constant V, dQ/dV is not defined and would
be one spike at the hold voltage): rows whose ``|I|`` is below ``CV_CURRENT_FRACTION`` (0.5) of the
branch's constant-current level (the 90th percentile of its ``|I|``), and every row after the
first one within ``CV_VOLTAGE_TOL_V`` (2 mV) of the branch's final voltage when the current decays
there (below 0.9 x its value at that first row).

Sign: dQ/dV follows the direction of the voltage sweep: positive on charge and negative on
discharge (the usual mirror-image plot).

**dV/dQ** (:func:`dvdq`): ``V`` resampled uniformly in capacity (``capacity_points`` points over the
branch, linear interpolation of ``V(Q)``), then the Savitzky-Golay first derivative (``deriv=1``)
over ``smoothing_window`` points, in V/mAh (Bloom2005 differential voltage analysis). Positive on
charge, negative on discharge.

**Peaks** (:func:`dqdv_peaks`): local maxima of ``|dQ/dV|`` of the smoothed curve with a
prominence of at least ``min_prominence`` (5 %) of the curve's maximum (``scipy.signal.find_peaks``):
voltage, signed height and prominence, per cycle and branch.

:func:`differential_analysis` runs all three over the chosen cycles and both branches and returns
long tables (one row per point / peak with ``Cycle`` and ``Branch``), JSON-ready.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.signal import find_peaks, savgol_filter

from lilean.analysis._common import TableLike, frame_to_columns, unpack
from lilean.errors import LileanError
from lilean.schema import (
    CHARGE_CAPACITY,
    CURRENT,
    CYCLE,
    DISCHARGE_CAPACITY,
    STEP_TYPE,
    VOLTAGE,
)

#: rows with |I| below this fraction of the branch's constant-current level are a CV hold
CV_CURRENT_FRACTION = 0.5
#: rows within this of the branch's final voltage [V], with a decaying current, are a CV hold
CV_VOLTAGE_TOL_V = 0.002

Branch = Literal["charge", "discharge"]
BRANCHES: tuple[Branch, ...] = ("charge", "discharge")
#: the method, as stated in the JSON output
SMOOTHING_METHOD = (
    "Savitzky-Golay on Q resampled uniformly in V (dQ/dV) and V resampled uniformly in Q (dV/dQ)"
)


def _branch_rows(frame: pd.DataFrame, cycle: int, step_type: str) -> tuple[np.ndarray, np.ndarray]:
    if step_type not in BRANCHES:
        raise LileanError(f"step_type must be 'charge' or 'discharge', got {step_type!r}")
    rows = frame[(frame[CYCLE] == cycle) & (frame[STEP_TYPE] == step_type)]
    q_col = CHARGE_CAPACITY if step_type == "charge" else DISCHARGE_CAPACITY
    q = rows[q_col].to_numpy(dtype=float)
    v = rows[VOLTAGE].to_numpy(dtype=float)
    i = np.abs(rows[CURRENT].to_numpy(dtype=float))
    keep = np.isfinite(q) & np.isfinite(v)
    if keep.sum() >= 3:
        cc_level = float(np.percentile(i[keep], 90))
        keep &= i >= CV_CURRENT_FRACTION * cc_level
        # the hold itself: from the first row at the final voltage (within CV_VOLTAGE_TOL_V) on,
        # when the current decays there
        u = v if step_type == "charge" else -v
        u_max = float(np.max(u[keep]))
        at_hold = np.flatnonzero(keep & (u >= u_max - CV_VOLTAGE_TOL_V))
        if at_hold.size >= 3 and i[at_hold[-1]] < 0.9 * i[at_hold[0]]:
            keep[at_hold[0] + 1 :] = False
    q, v = q[keep], v[keep]
    if q.size < 3:
        raise LileanError(f"dQ/dV: cycle {cycle} has no {step_type} step (or fewer than 3 rows)")
    return q, v


def _smooth(y: np.ndarray, window: int, polyorder: int, **kw: Any) -> np.ndarray:
    n = y.size
    window = min(int(window), n if n % 2 else n - 1)
    if window % 2 == 0:
        window -= 1
    if window > polyorder:
        return np.asarray(savgol_filter(y, window, polyorder, mode="interp", **kw))
    return y


def dqdv(
    data: TableLike,
    cycle: int,
    *,
    step_type: Branch = "discharge",
    voltage_resolution_V: float = 0.005,
    smoothing_window: int = 7,
    polyorder: int = 2,
) -> pd.DataFrame:
    """dQ/dV [mAh/V] of ``step_type`` in ``cycle`` on a uniform voltage grid (module docstring).

    Returns a DataFrame with ``Voltage [V]`` (bin centres, increasing) and ``dQ/dV [mAh/V]``.
    Raises :class:`LileanError` when the cycle has no such step or it spans less than two bins.
    """
    if not voltage_resolution_V > 0:
        raise LileanError(f"voltage_resolution_V must be > 0, got {voltage_resolution_V}")
    frame, _ = unpack(data)
    q, v = _branch_rows(frame, cycle, step_type)
    sign = 1.0 if step_type == "charge" else -1.0
    u = np.maximum.accumulate(sign * v)
    # Q at each distinct u: the last row at that u (the charge passed while u stayed there)
    rev_unique, rev_index = np.unique(u[::-1], return_index=True)
    q_at = q[u.size - 1 - rev_index]
    lo = np.floor(u[0] / voltage_resolution_V) * voltage_resolution_V
    if lo >= u[0]:
        lo -= voltage_resolution_V
    n_bins = int(np.ceil((u[-1] - lo) / voltage_resolution_V))
    if n_bins < 2:
        raise LileanError(
            f"dQ/dV: the {step_type} of cycle {cycle} spans less than two voltage bins of "
            f"{voltage_resolution_V} V"
        )
    edges = lo + voltage_resolution_V * np.arange(n_bins + 1)
    # below the first u the capacity is the step's first value; above the last, its last
    q_edges = np.interp(edges, np.concatenate([[u[0]], rev_unique]), np.concatenate([[q[0]], q_at]))
    q_edges[edges < u[0]] = q[0]
    curve = np.diff(q_edges) / voltage_resolution_V
    if smoothing_window:
        curve = _smooth(curve, smoothing_window, polyorder)
    centres = sign * 0.5 * (edges[1:] + edges[:-1])
    out = pd.DataFrame({"Voltage [V]": centres, "dQ/dV [mAh/V]": sign * curve})
    return out.sort_values("Voltage [V]", ignore_index=True)


def dvdq(
    data: TableLike,
    cycle: int,
    *,
    step_type: Branch = "discharge",
    capacity_points: int = 256,
    smoothing_window: int = 11,
    polyorder: int = 2,
) -> pd.DataFrame:
    """dV/dQ [V/mAh] of ``step_type`` in ``cycle`` on a uniform capacity grid (module docstring).

    Returns ``Capacity [mAh]`` (increasing from the step's start) and ``dV/dQ [V/mAh]``.
    """
    if capacity_points < 8:
        raise LileanError(f"capacity_points must be >= 8, got {capacity_points}")
    frame, _ = unpack(data)
    q, v = _branch_rows(frame, cycle, step_type)
    q = np.maximum.accumulate(q)
    q_unique = np.unique(q)
    if q_unique.size < 3 or not q_unique[-1] > q_unique[0]:
        raise LileanError(f"dV/dQ: the {step_type} of cycle {cycle} passes no charge")
    # V at each distinct Q: the mean over the rows at that Q (a rest-like hold at constant Q)
    sums = np.bincount(np.searchsorted(q_unique, q), weights=v, minlength=q_unique.size)
    counts = np.bincount(np.searchsorted(q_unique, q), minlength=q_unique.size)
    v_at = sums / counts
    grid = np.linspace(q_unique[0], q_unique[-1], capacity_points)
    v_grid = np.interp(grid, q_unique, v_at)
    step = float(grid[1] - grid[0])
    if smoothing_window:
        window = min(int(smoothing_window), capacity_points - (1 - capacity_points % 2))
        if window % 2 == 0:
            window -= 1
        deriv = (
            savgol_filter(v_grid, window, polyorder, deriv=1, delta=step, mode="interp")
            if window > polyorder
            else np.gradient(v_grid, step)
        )
    else:
        deriv = np.gradient(v_grid, step)
    return pd.DataFrame({"Capacity [mAh]": grid - grid[0], "dV/dQ [V/mAh]": np.asarray(deriv)})


def dqdv_peaks(curve: pd.DataFrame, *, min_prominence: float = 0.05) -> pd.DataFrame:
    """Peaks of ``|dQ/dV|`` of one :func:`dqdv` curve: ``Peak voltage [V]``, ``Peak dQ/dV [mAh/V]``
    (signed) and ``Prominence [mAh/V]``, strongest first."""
    y = curve["dQ/dV [mAh/V]"].to_numpy(dtype=float)
    x = curve["Voltage [V]"].to_numpy(dtype=float)
    mag = np.abs(y)
    top = float(np.nanmax(mag)) if mag.size else 0.0
    columns = ["Peak voltage [V]", "Peak dQ/dV [mAh/V]", "Prominence [mAh/V]"]
    if not top > 0:
        return pd.DataFrame(columns=columns)
    idx, props = find_peaks(np.nan_to_num(mag), prominence=min_prominence * top)
    out = pd.DataFrame({columns[0]: x[idx], columns[1]: y[idx], columns[2]: props["prominences"]})
    return out.sort_values(columns[2], ascending=False, ignore_index=True)


def differential_analysis(
    data: TableLike,
    cycles: Sequence[int] | None = None,
    *,
    voltage_resolution_V: float = 0.005,
    smoothing_window: int = 7,
    capacity_points: int = 256,
    min_prominence: float = 0.05,
) -> dict[str, pd.DataFrame]:
    """dQ/dV, dV/dQ and dQ/dV peaks of both branches of ``cycles`` (all cycles when None).

    Returns ``{"dqdv": ..., "dvdq": ..., "peaks": ...}``: long DataFrames with ``Cycle`` and
    ``Branch`` columns. A branch a cycle lacks (or too short to differentiate) is left out.
    """
    frame, _ = unpack(data)
    chosen = sorted(set(frame[CYCLE].astype(int))) if cycles is None else list(cycles)
    parts: dict[str, list[pd.DataFrame]] = {"dqdv": [], "dvdq": [], "peaks": []}
    for cycle in chosen:
        for branch in BRANCHES:
            try:
                curve = dqdv(
                    frame,
                    cycle,
                    step_type=branch,
                    voltage_resolution_V=voltage_resolution_V,
                    smoothing_window=smoothing_window,
                )
                dv = dvdq(frame, cycle, step_type=branch, capacity_points=capacity_points)
            except LileanError:
                continue
            peaks = dqdv_peaks(curve, min_prominence=min_prominence)
            for key, table in (("dqdv", curve), ("dvdq", dv), ("peaks", peaks)):
                parts[key].append(table.assign(Cycle=cycle, Branch=branch))
    empty = {
        "dqdv": ["Voltage [V]", "dQ/dV [mAh/V]"],
        "dvdq": ["Capacity [mAh]", "dV/dQ [V/mAh]"],
        "peaks": ["Peak voltage [V]", "Peak dQ/dV [mAh/V]", "Prominence [mAh/V]"],
    }
    out = {}
    for key, tables in parts.items():
        tables = [t for t in tables if len(t)]
        if tables:
            joined = pd.concat(tables, ignore_index=True)
        else:
            joined = pd.DataFrame(columns=[*empty[key], "Cycle", "Branch"])
        out[key] = joined[["Cycle", "Branch", *empty[key]]]
    return out


def differential_to_dict(result: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """:func:`differential_analysis` output as JSON-ready columns, with the smoothing method."""
    return {
        "method": SMOOTHING_METHOD,
        **{key: frame_to_columns(table) for key, table in result.items()},
    }
