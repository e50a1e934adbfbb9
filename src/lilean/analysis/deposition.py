"""Nucleation overpotential of galvanostatic Li deposition onto a substrate (Li || substrate cell).

When Li is plated at constant current onto a foreign substrate (Cu, Ag@Cu), the substrate potential
vs Li/Li+ first dips sharply (the nucleation barrier must be overcome), then recovers to a flat
growth plateau once Li nuclei cover the surface (Yan2016; Pei2017). The study (Zhang2023)
reports at 1 mA/cm^2: bare Cu dip -427 mV, plateau -62 mV, nucleation overpotential 365 mV; Ag@Cu
dip -103 mV, 41 mV.

Definitions used here (all potentials of the working electrode, in mV, from ``Voltage [V]``):

* the **plating step** is the first half-cycle with negative current (``Step type == "discharge"``);
* ``dip_mV`` = min V over that step, reached at ``dip_time_s`` after the step started (the raw
  minimum: with noisy data it is biased low by about the noise amplitude, a few mV at most for
  cycler data, small against the 40-400 mV overpotentials of interest);
* ``recovery_time_s``: first time after the dip when ``V >= V_dip + 0.9 (P0 - V_dip)``, with ``P0``
  the median of V over the whole post-dip part of the step (a first, coarse plateau estimate);
* ``plateau_mV`` = median of V over the window ``[t_rec, t_rec + W]``, where ``W`` is
  ``plateau_window_s`` when given, else 20 % of the step time left after the recovery. The median
  ignores the spikes of real data and the window excludes both the transient and the slow drift of
  the plateau late in a long deposition;
* ``nucleation_overpotential_mV`` = ``plateau_mV - dip_mV`` (>= 0);
* ``dip_capacity_mAh_cm2`` = charge passed from the start of the step to the dip / area;
* ``current_density_mA_cm2`` = median |I| of the step / area.
"""

from __future__ import annotations

import numpy as np

from lilean.analysis._common import (
    Result,
    TableLike,
    arrays,
    meta_value,
    segments,
    unpack,
    window_median,
)
from lilean.errors import LileanError
from lilean.schema import DISCHARGE

#: fraction of the dip-to-plateau rise that marks the end of the nucleation transient
RECOVERY_FRACTION = 0.9
#: default plateau window, as a fraction of the step time left after the recovery
PLATEAU_WINDOW_FRACTION = 0.2


class DepositionResult(Result):
    """Nucleation metrics of the first plating step (see module docstring for definitions)."""

    cycle: int
    step_start_s: float
    step_duration_s: float
    current_mA: float
    area_cm2: float | None
    current_density_mA_cm2: float | None
    dip_mV: float
    dip_time_s: float
    dip_capacity_mAh: float
    dip_capacity_mAh_cm2: float | None
    recovery_time_s: float
    plateau_window_s: float
    plateau_mV: float
    nucleation_overpotential_mV: float


def analyze_deposition(
    data: TableLike,
    *,
    area_cm2: float | None = None,
    plateau_window_s: float | None = None,
) -> DepositionResult:
    """Dip, plateau and nucleation overpotential of the first plating (negative-current) step.

    Parameters
    ----------
    data:
        Canonical table (``CyclingData`` or DataFrame); measured or simulated.
    area_cm2:
        Electrode area; defaults to ``data.meta.area_cm2``. Without it the areal quantities are
        None.
    plateau_window_s:
        Length of the window (after the recovery) over which the plateau median is taken;
        default 20 % of the step time after the recovery.

    Raises
    ------
    LileanError
        when the table has no negative-current step.
    """
    frame, meta = unpack(data)
    area = meta_value(meta, "area_cm2", area_cm2)
    plating = [s for s in segments(frame) if s.kind == DISCHARGE]
    if not plating:
        raise LileanError("deposition analysis: the table has no plating (negative-current) step")
    seg = plating[0]
    rows = seg.rows(frame)
    t, v, i = arrays(rows)
    if t.size < 3:
        raise LileanError(
            f"deposition analysis: the plating step in cycle {seg.cycle} has only {t.size} row(s)"
        )
    t_rel = t - t[0]
    v_mV = v * 1e3
    k_dip = int(np.argmin(v_mV))
    dip_mV = float(v_mV[k_dip])
    duration = float(t_rel[-1])

    after_t = t_rel[k_dip:]
    after_v = v_mV[k_dip:]
    p0 = float(np.median(after_v))
    threshold = dip_mV + RECOVERY_FRACTION * (p0 - dip_mV)
    reached = np.flatnonzero(after_v >= threshold)
    t_rec = float(after_t[reached[0]]) if reached.size else float(after_t[-1])
    if plateau_window_s is None:
        window = PLATEAU_WINDOW_FRACTION * (duration - t_rec)
    else:
        if plateau_window_s <= 0:
            raise LileanError(f"plateau_window_s must be > 0, got {plateau_window_s}")
        window = float(plateau_window_s)
    plateau_mV = window_median(t_rel, v_mV, t_rec, t_rec + window)
    # the plateau cannot lie below the dip (the dip is the minimum)
    overpotential = max(plateau_mV - dip_mV, 0.0)

    # charge passed until the dip: trapezoid of |I| (mA) over time (s) / 3600 -> mAh
    abs_i_mA = np.abs(i) * 1e3
    dip_capacity_mAh = float(np.trapezoid(abs_i_mA[: k_dip + 1], t_rel[: k_dip + 1]) / 3600.0)
    current_mA = float(np.median(abs_i_mA))
    return DepositionResult(
        cycle=seg.cycle,
        step_start_s=float(t[0]),
        step_duration_s=duration,
        current_mA=current_mA,
        area_cm2=area,
        current_density_mA_cm2=None if area is None else current_mA / area,
        dip_mV=dip_mV,
        dip_time_s=float(t_rel[k_dip]),
        dip_capacity_mAh=dip_capacity_mAh,
        dip_capacity_mAh_cm2=None if area is None else dip_capacity_mAh / area,
        recovery_time_s=t_rec,
        plateau_window_s=window,
        plateau_mV=plateau_mV,
        nucleation_overpotential_mV=overpotential,
    )
