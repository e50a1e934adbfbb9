"""Overpotential, polarization growth, failure and short circuits of symmetric (Li || Li) cells.

A symmetric cell is plated and stripped at constant current in alternating half-cycles. Its voltage
is the sum of the two electrodes' overpotentials (kinetic + SEI + transport through dead Li), so it
grows as the electrodes degrade and collapses when a dendrite shorts the cell (Chen2017; Bai2016). The study (Zhang2023) compares Li-Cu and Li-Ag@Cu by polarization growth
and the time to failure.

Definitions (all in mV, from ``Voltage [V]`` and the sign of ``Current [A]``):

* a **half-cycle** is a maximal run of rows with the same non-rest step type; *plating* is ``I < 0``
  (``discharge``), *stripping* ``I > 0`` (``charge``); a half-cycle's **overpotential** is the
  median of ``|V|`` over the middle 50 % of its duration (from 25 % to 75 % of its time span), which
  excludes the nucleation spike at the start and the end-of-step rise; its **peak** is ``max |V|``;
* runs of fewer than ``MIN_ROWS`` rows (instrument blips) are ignored, and consecutive runs of the
  same sign (a half-cycle interrupted by a rest or a blip) are one half-cycle (the rows in between
  are left out). Half-cycles are paired in order into cycles, whichever sign comes first: a
  half-cycle and the next one of the opposite sign form a cycle (a half-cycle left without a
  partner, e.g. the last one, forms a cycle alone and its polarization is None);
* per cycle: ``polarization_mV = (eta_plating + eta_stripping) / 2`` (the number lilean's simulator
  reports too), ``hysteresis_mV = eta_plating + eta_stripping`` (the voltage gap between the two
  plateaus), ``asymmetry_mV = eta_stripping - eta_plating``; ``time_h`` is the end of the cycle, in
  hours from the first record;
* **initial polarization** = min of the polarization over the first ``initial_cycles`` full cycles
  (default 3). For a cell with stable or rising polarization this is the first cycle's value (to
  within noise); for a bare Li foil, whose native passivation layer gives a high polarization that
  falls after a few cycles, it is the settled value, so the fall is not mistaken for the reference;
* a **short** is a half-cycle whose peak ``|V|`` stays below ``short_threshold`` x the median of the
  overpotentials of the preceding (up to ``running_window``) unshorted half-cycles, i.e. ``|V|``
  collapses for the whole half-cycle. ``short_circuit_h`` is the start of the first such half-cycle;
* ``failure_h`` is the earliest of: the end of the first cycle (after the initial ones) whose
  polarization exceeds ``failure_factor`` x the initial polarization, and ``short_circuit_h``;
  ``failure_reason`` says which. Both are None when neither happens.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

from lilean.analysis._common import (
    Result,
    Segment,
    TableLike,
    arrays,
    frame_to_columns,
    meta_value,
    segments,
    unpack,
    window_median,
)
from lilean.errors import LileanError
from lilean.schema import CHARGE, DISCHARGE

#: half-cycles with fewer rows are instrument blips, not plating/stripping
MIN_ROWS = 3


class HalfCycle(Result):
    """One plating or stripping half-cycle."""

    index: int
    kind: Literal["plating", "stripping"]
    instrument_cycle: int
    start_h: float
    end_h: float
    current_mA: float
    overpotential_mV: float
    peak_mV: float
    short: bool


class SymmetricCycle(Result):
    """One plating + stripping pair."""

    cycle: int
    time_h: float
    plating_overpotential_mV: float | None
    stripping_overpotential_mV: float | None
    plating_peak_mV: float | None
    stripping_peak_mV: float | None
    polarization_mV: float | None
    hysteresis_mV: float | None
    asymmetry_mV: float | None
    short: bool


class SymmetricResult(Result):
    """Per-cycle table and scalar metrics of a symmetric-cell test (see module docstring)."""

    cycles: list[SymmetricCycle]
    half_cycles: list[HalfCycle]
    current_mA: float
    area_cm2: float | None
    current_density_mA_cm2: float | None
    initial_polarization_mV: float | None
    mean_polarization_mV: float | None
    final_polarization_mV: float | None
    failure_factor: float
    short_threshold: float
    failure_h: float | None
    failure_reason: Literal["polarization", "short"] | None
    short_circuit_h: float | None
    duration_h: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: the scalars, ``"table"`` (per cycle, column-wise, as :attr:`table`)
        and ``"half_cycles"`` (records)."""
        out = super().to_dict()
        out.pop("cycles")
        out["table"] = frame_to_columns(self.table)
        return out

    @property
    def table(self) -> pd.DataFrame:
        """The per-cycle results as a DataFrame (columns with units)."""
        rows = [
            {
                "Cycle": c.cycle,
                "Time [h]": c.time_h,
                "Plating overpotential [mV]": c.plating_overpotential_mV,
                "Stripping overpotential [mV]": c.stripping_overpotential_mV,
                "Plating peak [mV]": c.plating_peak_mV,
                "Stripping peak [mV]": c.stripping_peak_mV,
                "Polarization [mV]": c.polarization_mV,
                "Hysteresis [mV]": c.hysteresis_mV,
                "Asymmetry [mV]": c.asymmetry_mV,
                "Short": c.short,
            }
            for c in self.cycles
        ]
        return pd.DataFrame(rows).astype({"Short": bool}) if rows else pd.DataFrame(rows)


def _half_cycle_metrics(
    frame: pd.DataFrame, runs: list[Segment], t0: float
) -> tuple[float, float, float, float, float]:
    """(start_h, end_h, |I| mA, median |V| over the middle 50 % in mV, peak |V| in mV) of the rows
    of ``runs`` (one or more runs of the same sign)."""
    t, v, i = arrays(pd.concat([run.rows(frame) for run in runs]))
    a, b = float(t[0]), float(t[-1])
    abs_v_mV = np.abs(v) * 1e3
    eta = window_median(t, abs_v_mV, a + 0.25 * (b - a), a + 0.75 * (b - a))
    return (
        (a - t0) / 3600.0,
        (b - t0) / 3600.0,
        float(np.median(np.abs(i))) * 1e3,
        eta,
        float(abs_v_mV.max()),
    )


def analyze_symmetric(
    data: TableLike,
    *,
    failure_factor: float = 2.0,
    short_threshold: float = 0.3,
    initial_cycles: int = 3,
    running_window: int = 10,
    area_cm2: float | None = None,
    check: bool = True,
) -> SymmetricResult:
    """Per-cycle overpotentials, polarization growth, failure time and short circuits.

    Parameters
    ----------
    failure_factor:
        Failure when the polarization exceeds this multiple of the initial polarization.
    short_threshold:
        A half-cycle whose peak ``|V|`` is below this fraction of the running median overpotential
        is a short.
    initial_cycles:
        Number of first full cycles whose minimum polarization is the reference (see module doc).
    running_window:
        Number of preceding unshorted half-cycles in the running median used for short detection.
    area_cm2:
        Electrode area; defaults to the table's metadata (only used for the current density).
    check:
        Refuse (:class:`LileanError` with the reason) a table that cannot be a Li || Li cell
        (:func:`lilean.analysis.kind.check_kind`: voltage not following the current's sign, or
        typical ``|V|`` above 1 V, e.g. a Si half-cell).
    """
    if failure_factor <= 1.0:
        raise LileanError(f"failure_factor must be > 1, got {failure_factor}")
    if not 0.0 < short_threshold < 1.0:
        raise LileanError(f"short_threshold must be between 0 and 1, got {short_threshold}")
    if initial_cycles < 1 or running_window < 1:
        raise LileanError("initial_cycles and running_window must be >= 1")
    frame, meta = unpack(data)
    area = meta_value(meta, "area_cm2", area_cm2)
    if check:
        from lilean.analysis.kind import check_kind

        check_kind(frame, "symmetric")
    segs = [seg for seg in segments(frame) if seg.stop - seg.start >= MIN_ROWS]
    kinds = {s.kind for s in segs}
    if kinds != {CHARGE, DISCHARGE}:
        raise LileanError(
            "symmetric-cell analysis needs both plating (I < 0) and stripping (I > 0) half-cycles"
        )
    t_all = frame["Time [s]"].to_numpy(dtype=float)
    t0 = float(t_all[0])

    halves: list[HalfCycle] = []
    history: list[float] = []  # overpotentials of unshorted half-cycles
    merged: list[list[Segment]] = []
    for seg in segs:
        if merged and merged[-1][-1].kind == seg.kind:
            merged[-1].append(seg)
        else:
            merged.append([seg])
    for k, runs in enumerate(merged):
        seg = runs[0]
        start_h, end_h, i_mA, eta, peak = _half_cycle_metrics(frame, runs, t0)
        short = False
        if len(history) >= 2:
            ref = float(np.median(history[-running_window:]))
            short = peak < short_threshold * ref
        if not short:
            history.append(eta)
        halves.append(
            HalfCycle(
                index=k + 1,
                kind="plating" if seg.kind == DISCHARGE else "stripping",
                instrument_cycle=seg.cycle,
                start_h=start_h,
                end_h=end_h,
                current_mA=i_mA,
                overpotential_mV=eta,
                peak_mV=peak,
                short=short,
            )
        )

    cycles: list[SymmetricCycle] = []
    pairs: list[list[HalfCycle]] = []
    k = 0
    while k < len(halves):
        if k + 1 < len(halves) and halves[k + 1].kind != halves[k].kind:
            pairs.append(halves[k : k + 2])
            k += 2
        else:
            pairs.append([halves[k]])
            k += 1
    for n, pair in enumerate(pairs, start=1):
        plating = next((h for h in pair if h.kind == "plating"), None)
        stripping = next((h for h in pair if h.kind == "stripping"), None)
        eta_p = plating.overpotential_mV if plating else None
        eta_s = stripping.overpotential_mV if stripping else None
        pol = hyst = asym = None
        if eta_p is not None and eta_s is not None:
            pol, hyst, asym = 0.5 * (eta_p + eta_s), eta_p + eta_s, eta_s - eta_p
        cycles.append(
            SymmetricCycle(
                cycle=n,
                time_h=pair[-1].end_h,
                plating_overpotential_mV=eta_p,
                stripping_overpotential_mV=eta_s,
                plating_peak_mV=plating.peak_mV if plating else None,
                stripping_peak_mV=stripping.peak_mV if stripping else None,
                polarization_mV=pol,
                hysteresis_mV=hyst,
                asymmetry_mV=asym,
                short=any(h.short for h in pair),
            )
        )

    healthy = [
        (c.time_h, c.polarization_mV)
        for c in cycles
        if c.polarization_mV is not None and not c.short
    ]
    pols = [p for _, p in healthy]
    initial = min(pols[:initial_cycles]) if pols else None
    short_h = next((h.start_h for h in halves if h.short), None)
    polarization_fail_h = None
    if initial is not None:
        polarization_fail_h = next(
            (t for t, p in healthy[initial_cycles:] if p > failure_factor * initial), None
        )
    failure_h: float | None = None
    reason: Literal["polarization", "short"] | None = None
    if polarization_fail_h is not None:
        failure_h, reason = polarization_fail_h, "polarization"
    if short_h is not None and (failure_h is None or short_h < failure_h):
        failure_h, reason = short_h, "short"
    current_mA = float(np.median([h.current_mA for h in halves]))
    return SymmetricResult(
        cycles=cycles,
        half_cycles=halves,
        current_mA=current_mA,
        area_cm2=area,
        current_density_mA_cm2=None if area is None else current_mA / area,
        initial_polarization_mV=initial,
        mean_polarization_mV=float(np.mean(pols)) if pols else None,
        final_polarization_mV=pols[-1] if pols else None,
        failure_factor=failure_factor,
        short_threshold=short_threshold,
        failure_h=failure_h,
        failure_reason=reason,
        short_circuit_h=short_h,
        duration_h=(float(t_all[-1]) - t0) / 3600.0,
    )
