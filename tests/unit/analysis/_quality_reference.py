"""The per-cycle loop implementation of :func:`lilean.analysis.quality.cycle_quality` before it was
vectorised (kept verbatim as the reference that ``test_quality_vectorised.py`` and
``benchmarks/bench_quality.py`` compare the vectorised one with)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from lilean.analysis.quality import (
    CE_BAND,
    INCOMPLETE_FRACTION,
    NEIGHBOURS,
    OK,
    SPIKE_FACTOR,
    WINDOW_TOLERANCE_V,
)
from lilean.errors import LileanError
from lilean.schema import CURRENT, CYCLE, STEP_TYPE, VOLTAGE


def _neighbour_reference(values: np.ndarray, k: int, neighbours: int) -> float:
    """The smaller of the nearest positive values before and after ``k`` (NaN if neither)."""
    refs = []
    for j in range(k - 1, max(-1, k - neighbours - 1), -1):
        if np.isfinite(values[j]) and values[j] > 0:
            refs.append(float(values[j]))
            break
    for j in range(k + 1, min(values.size, k + neighbours + 1)):
        if np.isfinite(values[j]) and values[j] > 0:
            refs.append(float(values[j]))
            break
    return min(refs) if refs else float("nan")


def cycle_quality_reference(
    frame: pd.DataFrame,
    q_ch: np.ndarray,
    q_dis: np.ndarray,
    ce: np.ndarray,
    cycles: np.ndarray,
    *,
    ce_band: tuple[float, float] = CE_BAND,
    incomplete_fraction: float = INCOMPLETE_FRACTION,
    neighbours: int = NEIGHBOURS,
    spike_factor: float = SPIKE_FACTOR,
    voltage_window_V: tuple[float, float] | None = None,
    window_tolerance_V: float = WINDOW_TOLERANCE_V,
) -> tuple[list[str], list[dict[str, Any]]]:
    """``(quality per cycle, flags)`` for the per-cycle capacities ``q_ch``/``q_dis`` [mAh] and
    efficiencies ``ce`` of ``cycles`` (rules in the module docstring)."""
    if not ce_band[0] < ce_band[1]:
        raise LileanError(f"ce_band must be (low, high) with low < high, got {ce_band}")
    if not 0 < incomplete_fraction < 1:
        raise LileanError(f"incomplete_fraction must be in (0, 1), got {incomplete_fraction}")
    per_cycle: dict[int, list[str]] = {int(c): [] for c in cycles}
    flags: list[dict[str, Any]] = []

    def flag(cycle: int, name: str, detail: str) -> None:
        per_cycle[cycle].append(name)
        flags.append({"cycle": cycle, "flag": name, "detail": detail})

    n = len(cycles)
    for branch, q in (("charge", q_ch), ("discharge", q_dis)):
        if n < 2 or not np.any(q > 0):
            continue
        for k in range(n):
            ref = _neighbour_reference(q, k, neighbours)
            if not np.isfinite(ref):
                continue
            if not q[k] >= incomplete_fraction * ref:
                flag(
                    int(cycles[k]),
                    f"incomplete_{branch}",
                    f"{branch} {q[k]:.4g} mAh is {100 * q[k] / ref:.0f} % of the neighbouring "
                    f"cycles' {ref:.4g} mAh",
                )
    for k in range(n):
        if np.isfinite(ce[k]) and not ce_band[0] <= ce[k] <= ce_band[1]:
            flag(
                int(cycles[k]),
                "ce_out_of_band",
                f"CE {ce[k]:.4g} outside the physical band {ce_band[0]:g}..{ce_band[1]:g}",
            )

    v = frame[VOLTAGE].to_numpy(dtype=float)
    i = frame[CURRENT].to_numpy(dtype=float)
    cyc = frame[CYCLE].to_numpy()
    active = (frame[STEP_TYPE].astype("string").fillna("rest") != "rest").to_numpy()
    order = np.argsort(cyc, kind="stable")
    bounds = (
        np.searchsorted(cyc[order], cycles, side="left"),
        np.searchsorted(cyc[order], cycles, side="right"),
    )
    v_min = np.full(n, np.nan)
    v_max = np.full(n, np.nan)
    for k in range(n):
        rows = order[bounds[0][k] : bounds[1][k]]
        vk = v[rows]
        finite = vk[np.isfinite(vk)]
        if finite.size:
            v_min[k], v_max[k] = float(finite.min()), float(finite.max())
        if finite.size < vk.size:
            flag(int(cycles[k]), "voltage_out_of_window", f"{vk.size - finite.size} non-finite V")
        ik = np.abs(i[rows][active[rows]])
        ik = ik[np.isfinite(ik)]
        if ik.size >= 3:
            typical = float(np.median(ik))
            if typical > 0 and float(ik.max()) > spike_factor * typical:
                n_spike = int(np.sum(ik > spike_factor * typical))
                flag(
                    int(cycles[k]),
                    "current_spike",
                    f"{n_spike} row(s) up to {1e3 * float(ik.max()):.4g} mA, "
                    f"{float(ik.max()) / typical:.1f} x the cycle's median "
                    f"{1e3 * typical:.4g} mA",
                )
    if voltage_window_V is not None:
        lo, hi = float(voltage_window_V[0]), float(voltage_window_V[1])
        source = "given"
    elif n >= 3 and np.isfinite(v_min).any():
        lo, hi = float(np.nanmedian(v_min)), float(np.nanmedian(v_max))
        source = "typical"
    else:
        lo = hi = float("nan")
        source = ""
    if np.isfinite(lo) and np.isfinite(hi):
        for k in range(n):
            below = v_min[k] < lo - window_tolerance_V
            above = v_max[k] > hi + window_tolerance_V
            if below or above:
                flag(
                    int(cycles[k]),
                    "voltage_out_of_window",
                    f"V {v_min[k]:.4g}..{v_max[k]:.4g} V beyond the {source} window "
                    f"{lo:.4g}..{hi:.4g} V (+-{window_tolerance_V:g} V)",
                )
    quality = [";".join(dict.fromkeys(per_cycle[int(c)])) or OK for c in cycles]
    return quality, flags
