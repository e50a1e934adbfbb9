"""Differential capacity dQ/dV of one charge or discharge of one cycle.

Method (a binned difference quotient, robust to voltage noise and to non-monotonic V(t)):

1. take the rows of ``cycle`` whose ``Step type`` is ``step_type``, with ``Q`` the matching capacity
   column (charge or discharge capacity, mAh) and ``V`` the voltage;
2. for each pair of consecutive rows, the capacity increment ``dQ_k = Q_{k+1} - Q_k`` is assigned to
   the voltage bin (width ``voltage_resolution_V``) that holds the pair's mean voltage;
3. ``dQ/dV`` in a bin = (sum of its ``dQ_k``) / bin width; by construction the integral of the
   curve over V equals the capacity of the step;
4. the binned curve is smoothed with a Savitzky-Golay filter (``scipy.signal.savgol_filter``,
   ``smoothing_window`` bins, polynomial order ``polyorder``; Savitzky & Golay, Anal. Chem. 36, 1627
   (1964)); ``smoothing_window=0`` turns smoothing off.

Sign: dQ/dV follows the direction of the voltage sweep: positive on charge (V rises as Q grows) and
negative on discharge (V falls), the usual mirror-image plot.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from scipy.signal import savgol_filter

from lilean.analysis._common import TableLike, unpack
from lilean.errors import LileanError
from lilean.schema import CHARGE_CAPACITY, CYCLE, DISCHARGE_CAPACITY, STEP_TYPE, VOLTAGE


def dqdv(
    data: TableLike,
    cycle: int,
    *,
    step_type: Literal["charge", "discharge"] = "discharge",
    voltage_resolution_V: float = 0.005,
    smoothing_window: int = 7,
    polyorder: int = 2,
) -> pd.DataFrame:
    """dQ/dV [mAh/V] of ``step_type`` in ``cycle`` on voltage bins (see module docstring).

    Returns a DataFrame with ``Voltage [V]`` (bin centres, increasing) and ``dQ/dV [mAh/V]``.
    Raises :class:`LileanError` when the cycle has no such step or it spans less than two bins.
    """
    if step_type not in ("charge", "discharge"):
        raise LileanError(f"step_type must be 'charge' or 'discharge', got {step_type!r}")
    if not voltage_resolution_V > 0:
        raise LileanError(f"voltage_resolution_V must be > 0, got {voltage_resolution_V}")
    frame, _ = unpack(data)
    rows = frame[(frame[CYCLE] == cycle) & (frame[STEP_TYPE] == step_type)]
    if len(rows) < 3:
        raise LileanError(f"dQ/dV: cycle {cycle} has no {step_type} step (or fewer than 3 rows)")
    q_col = CHARGE_CAPACITY if step_type == "charge" else DISCHARGE_CAPACITY
    q = rows[q_col].to_numpy(dtype=float)
    v = rows[VOLTAGE].to_numpy(dtype=float)
    # pairs must be consecutive rows of the table (not across another step of the cycle)
    pos = np.flatnonzero(((frame[CYCLE] == cycle) & (frame[STEP_TYPE] == step_type)).to_numpy())
    consecutive = np.diff(pos) == 1
    dq = np.diff(q)[consecutive]
    v_mid = (0.5 * (v[1:] + v[:-1]))[consecutive]

    lo = np.floor(v.min() / voltage_resolution_V) * voltage_resolution_V
    n_bins = int(np.ceil((v.max() - lo) / voltage_resolution_V)) + 1
    if n_bins < 2:
        raise LileanError(
            f"dQ/dV: the {step_type} of cycle {cycle} spans less than two voltage bins of "
            f"{voltage_resolution_V} V"
        )
    edges = lo + voltage_resolution_V * np.arange(n_bins + 1)
    summed, _ = np.histogram(v_mid, bins=edges, weights=dq)
    curve = summed / voltage_resolution_V
    if smoothing_window:
        window = min(int(smoothing_window), n_bins if n_bins % 2 else n_bins - 1)
        if window % 2 == 0:
            window -= 1
        if window > polyorder:
            curve = savgol_filter(curve, window, polyorder, mode="interp")
    sign = 1.0 if step_type == "charge" else -1.0
    centres = 0.5 * (edges[1:] + edges[:-1])
    return pd.DataFrame({"Voltage [V]": centres, "dQ/dV [mAh/V]": sign * curve})
