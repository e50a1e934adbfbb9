"""Per-cycle data-quality flags of a cycling table: what a number should not be trusted for.

Every flag names the cycle and the measured size that tripped it, so that a reader can judge it.
The rules (all on the canonical table of :mod:`lilean.schema`, thresholds are arguments of
:func:`cycle_quality`):

* ``incomplete_charge`` / ``incomplete_discharge``: the cycle's charge (discharge) capacity is below
  ``incomplete_fraction`` (0.5) of the same branch in *each* neighbouring cycle that has it (the
  nearest earlier and later cycles with a positive value, at most ``neighbours`` (5) cycles away),
  or the branch is missing while a neighbour has it: a dip, not a trend. A test that starts
  part-way through a charge, or is stopped mid-step, gives such a cycle (e.g. the first cycle of
  ``neware/nw4-120-6-1-36.ndax``: 4.7 mAh charge against 37.8 mAh in the next cycle). A fade, even
  a collapse by a quarter per cycle, never trips it, nor does a lasting drop (the later cycle is
  as low);
* ``ce_out_of_band``: the Coulombic efficiency lies outside ``ce_band`` (0.05 .. 1.05). CE above 1
  by more than the few-per-mille measurement slack, or near 0, is not a property of the cell but
  of the record (partial cycle, wrong pairing);
* ``current_spike``: a row whose ``|I|`` exceeds ``spike_factor`` (5) x the median ``|I|`` of the
  cycle's non-rest rows (a relay glitch, a pulse step, a logging error);
* ``voltage_out_of_window``: a voltage beyond the cell's window by more than
  ``window_tolerance_V`` (0.1 V). The window is the one given (``voltage_window_V``) or else the
  median over cycles of the per-cycle minimum and maximum voltage (the cut-offs the cell normally
  reaches); non-finite voltages always trip it.

:func:`cycle_quality` returns a ``Quality`` column (``"ok"`` or the flags joined by ``;``) and the
list of flags as dicts ``{"cycle", "flag", "detail"}`` (the ``flags`` list of the JSON output).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from lilean.errors import LileanError
from lilean.schema import CURRENT, CYCLE, STEP_TYPE, VOLTAGE

#: physical band of the Coulombic efficiency (fraction)
CE_BAND = (0.05, 1.05)
#: a branch below this fraction of its neighbours' median is incomplete
INCOMPLETE_FRACTION = 0.5
#: cycles on each side whose median a branch is compared with
NEIGHBOURS = 5
#: |I| above this multiple of the cycle's median non-rest |I| is a spike
SPIKE_FACTOR = 5.0
#: voltage beyond the window by more than this [V] is flagged
WINDOW_TOLERANCE_V = 0.1
#: every flag name, in the order they are checked
FLAGS = (
    "incomplete_charge",
    "incomplete_discharge",
    "ce_out_of_band",
    "current_spike",
    "voltage_out_of_window",
)
OK = "ok"


def _neighbour_reference(values: np.ndarray, neighbours: int) -> np.ndarray:
    """Per cycle ``k``: the smaller of the nearest positive values before and after ``k``, at most
    ``neighbours`` cycles away (NaN if neither); vectorised with running max/min of indices."""
    n = values.size
    index = np.arange(n)
    with np.errstate(invalid="ignore"):
        valid = np.isfinite(values) & (values > 0)
    last = np.maximum.accumulate(np.where(valid, index, -1))
    first = np.minimum.accumulate(np.where(valid, index, n)[::-1])[::-1]
    prev = np.concatenate(([-1], last[:-1]))
    nxt = np.concatenate((first[1:], [n]))
    has_prev = (prev >= 0) & (index - prev <= neighbours)
    has_next = (nxt < n) & (nxt - index <= neighbours)
    before = np.where(has_prev, values[np.clip(prev, 0, n - 1)], np.nan)
    after = np.where(has_next, values[np.clip(nxt, 0, n - 1)], np.nan)
    return np.fmin(before, after)


def _group_rows(cyc: np.ndarray, cycles: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(rows, group, counts)``: the table rows of each of ``cycles`` concatenated in the order of
    ``cycles`` (rows of one cycle in table order), the position in ``cycles`` of each, and the
    number of rows per cycle."""
    order = np.argsort(cyc, kind="stable")
    cyc_sorted = cyc[order]
    lo = np.searchsorted(cyc_sorted, cycles, side="left")
    counts = np.searchsorted(cyc_sorted, cycles, side="right") - lo
    group = np.repeat(np.arange(cycles.size), counts)
    offsets = np.cumsum(counts) - counts
    within = np.arange(group.size) - offsets[group]
    return order[lo[group] + within], group, counts


def _group_min_max(
    values: np.ndarray, group: np.ndarray, counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(min, max, n_finite)`` of the finite ``values`` per group (NaN where a group has none);
    ``values`` are concatenated by group (``group`` non-decreasing)."""
    n = counts.size
    finite = np.isfinite(values)
    n_finite = np.bincount(group[finite], minlength=n)
    v_min = np.full(n, np.nan)
    v_max = np.full(n, np.nan)
    nonempty = counts > 0
    if values.size:
        starts = (np.cumsum(counts) - counts)[nonempty]
        mins = np.minimum.reduceat(np.where(finite, values, np.inf), starts)
        maxs = np.maximum.reduceat(np.where(finite, values, -np.inf), starts)
        v_min[nonempty], v_max[nonempty] = mins, maxs
    v_min[n_finite == 0] = np.nan
    v_max[n_finite == 0] = np.nan
    return v_min, v_max, n_finite


def _group_median_max(
    values: np.ndarray, group: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(median, max, count, offsets)`` of ``values`` per group (NaN where empty) and the values
    sorted within each group; the median of an even count is the mean of the two middle values, as
    :func:`numpy.median` computes it."""
    key = np.lexsort((values, group))
    ordered = values[key]
    count = np.bincount(group, minlength=n)
    offsets = np.cumsum(count) - count
    median = np.full(n, np.nan)
    largest = np.full(n, np.nan)
    has = count > 0
    mid = offsets[has] + count[has] // 2
    odd = (count[has] % 2) == 1
    lower = ordered[np.where(odd, mid, mid - 1)]
    median[has] = np.where(odd, ordered[mid], (lower + ordered[mid]) / 2)
    largest[has] = ordered[offsets[has] + count[has] - 1]
    return median, largest, count, ordered


def cycle_quality(
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
        ref = _neighbour_reference(q, neighbours)
        with np.errstate(invalid="ignore"):
            low = np.isfinite(ref) & ~(q >= incomplete_fraction * ref)
        for k in np.flatnonzero(low):
            flag(
                int(cycles[k]),
                f"incomplete_{branch}",
                f"{branch} {q[k]:.4g} mAh is {100 * q[k] / ref[k]:.0f} % of the neighbouring "
                f"cycles' {ref[k]:.4g} mAh",
            )
    with np.errstate(invalid="ignore"):
        out_of_band = np.isfinite(ce) & ~((ce_band[0] <= ce) & (ce <= ce_band[1]))
    for k in np.flatnonzero(out_of_band):
        flag(
            int(cycles[k]),
            "ce_out_of_band",
            f"CE {ce[k]:.4g} outside the physical band {ce_band[0]:g}..{ce_band[1]:g}",
        )

    v = frame[VOLTAGE].to_numpy(dtype=float)
    i = frame[CURRENT].to_numpy(dtype=float)
    cyc = frame[CYCLE].to_numpy()
    active = (frame[STEP_TYPE].astype("string").fillna("rest") != "rest").to_numpy()
    rows, group, counts = _group_rows(cyc, np.asarray(cycles))
    v_min, v_max, n_finite = _group_min_max(v[rows], group, counts)
    n_nonfinite = counts - n_finite
    i_abs = np.abs(i[rows])
    kept = active[rows] & np.isfinite(i_abs)
    i_kept, g_kept = i_abs[kept], group[kept]
    typical, largest, n_kept, _ = _group_median_max(i_kept, g_kept, n)
    with np.errstate(invalid="ignore"):
        threshold = spike_factor * typical
        spiky = (n_kept >= 3) & (typical > 0) & (largest > threshold)
    n_spike = np.bincount(g_kept[i_kept > threshold[g_kept]], minlength=n)
    for k in np.flatnonzero((n_nonfinite > 0) | spiky):
        if n_nonfinite[k] > 0:
            flag(int(cycles[k]), "voltage_out_of_window", f"{n_nonfinite[k]} non-finite V")
        if spiky[k]:
            peak, median = float(largest[k]), float(typical[k])
            flag(
                int(cycles[k]),
                "current_spike",
                f"{int(n_spike[k])} row(s) up to {1e3 * peak:.4g} mA, "
                f"{peak / median:.1f} x the cycle's median "
                f"{1e3 * median:.4g} mA",
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
        with np.errstate(invalid="ignore"):
            beyond = (v_min < lo - window_tolerance_V) | (v_max > hi + window_tolerance_V)
        for k in np.flatnonzero(beyond):
            flag(
                int(cycles[k]),
                "voltage_out_of_window",
                f"V {v_min[k]:.4g}..{v_max[k]:.4g} V beyond the {source} window "
                f"{lo:.4g}..{hi:.4g} V (+-{window_tolerance_V:g} V)",
            )
    quality = [";".join(dict.fromkeys(per_cycle[int(c)])) or OK for c in cycles]
    return quality, flags
