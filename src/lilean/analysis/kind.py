"""Which experiment a cycling table holds, from its current and voltage pattern.

Rules, tried in this order (``|V|`` statistics use the non-rest rows):

1. **deposition**: one plating (negative-current) half-cycle holds at least 80 % of the non-rest
   time, there are at most two half-cycles, and the median voltage during the plating is within
   ``NEAR_ZERO_V`` of 0 V (a Li || substrate cell plating Li);
2. **symmetric**: both current signs, at least three half-cycles, the voltage following the
   current's sign (see *Confidence and refusal* below), and for both the plating and the
   stripping half-cycles the median (over half-cycles) of their peak ``|V|`` (first row of each
   half-cycle excluded) below ``NEAR_ZERO_V``: Li || Li cells stay within a few hundred mV of 0 V,
   while a Li || Cu Coulombic-efficiency test strips every time up to a cut-off (0.5-1 V). The
   median makes the rule robust to the odd voltage spike of a failing symmetric cell;
3. **rate**: (voltages not near 0 V) at least ``MIN_RATE_LEVELS`` distinct discharge-current
   levels, each held for a block of at least two contiguous cycles (blocks as in
   :func:`lilean.analysis.rate.current_blocks`), and no block holding half of the cycles or more.
   The last condition separates a rate test (the study's: 3 cycles at 0.5 C, 5 each at 1-5 C, 5 at 1
   C) from long cycling after a formation ladder of increasing currents (e.g. C/20, C/10, C/5, then
   300 cycles at 1 C), where one block dominates;
4. **cycling**: both current signs with the typical peak ``|V|`` above ``NEAR_ZERO_V`` (cycles
   between voltage limits, at least one charge and one discharge).

Anything else raises :class:`LileanError`.

**Confidence and refusal.** :func:`assess_kind` returns the detected kind with a confidence: the
fraction of the (>= 3-row) half-cycles whose pattern agrees with that kind's signature (for
``symmetric``: the voltage has the sign of the current and ``|V|`` stays below ``NEAR_ZERO_V``; for
``cycling``/``rate``: the peak ``|V|`` is above it; for ``deposition``: the plating share of the
non-rest time). :func:`check_kind` refuses a kind the data cannot be, with the measured reason: a
Li || Li cell's voltage changes sign with the current (plating one electrode strips the other) and
stays within a few hundred mV of 0 V, so a table whose voltage keeps one sign while the current
changes sign, or whose typical ``|V|`` exceeds ``MAX_SYMMETRIC_V``, is not symmetric (e.g. a Si or
graphite half-cell, 0.05-3 V); a deposition needs a plating (negative-current) step.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from lilean.analysis._common import Result, TableLike, arrays, segments, unpack
from lilean.analysis.rate import current_blocks, discharge_current_per_cycle
from lilean.errors import LileanError
from lilean.schema import CHARGE, DISCHARGE

Kind = Literal["deposition", "symmetric", "cycling", "rate"]

#: |V| below this is "near 0 V" (Li || Li and Li plating potentials)
NEAR_ZERO_V = 0.5
#: distinct discharge-current levels (in blocks of >= 2 cycles) that make a rate test
MIN_RATE_LEVELS = 3
#: a half-cycle's median |V| above this [V] is impossible for a Li || Li cell (overpotentials of
#: Li plating/stripping are tens to a few hundred mV, Chen2017, Bai2016)
MAX_SYMMETRIC_V = 1.0
#: below this fraction of half-cycles with V following the current's sign, the cell is not Li || Li
MIN_SIGN_AGREEMENT = 0.5
#: half-cycles with fewer rows are instrument blips
_MIN_ROWS = 3


class KindAssessment(Result):
    """The detected experiment kind, how sure, and the measured evidence."""

    kind: Kind | None
    confidence: float
    reason: str
    n_half_cycles: int
    sign_agreement: float | None
    median_abs_voltage_V: float | None
    voltage_range_V: tuple[float, float] | None


def _evidence(
    data: TableLike,
) -> tuple[int, float | None, float | None, tuple[float, float] | None]:
    """(half-cycles, sign agreement, median over half-cycles of their median |V|, V range of the
    non-rest rows). The sign agreement is the smaller of two fractions: plating half-cycles with
    median V < 0 and stripping half-cycles with median V > 0 (None without both kinds)."""
    frame, _ = unpack(data)
    _, v, _ = arrays(frame)
    segs = [s for s in segments(frame) if s.stop - s.start >= _MIN_ROWS]
    if not segs:
        return 0, None, None, None
    agree: dict[str, list[bool]] = {CHARGE: [], DISCHARGE: []}
    medians = []
    for s in segs:
        vs = v[s.start : s.stop]
        vs = vs[np.isfinite(vs)]
        if not vs.size:
            continue
        med = float(np.median(vs))
        agree[s.kind].append(med > 0 if s.kind == CHARGE else med < 0)
        medians.append(float(np.median(np.abs(vs))))
    active = np.concatenate([v[s.start : s.stop] for s in segs])
    active = active[np.isfinite(active)]
    vrange = (float(active.min()), float(active.max())) if active.size else None
    med_v = float(np.median(medians)) if medians else None
    if not agree[CHARGE] or not agree[DISCHARGE]:
        return len(segs), None, med_v, vrange
    agreement = min(float(np.mean(agree[CHARGE])), float(np.mean(agree[DISCHARGE])))
    return len(segs), agreement, med_v, vrange


def assess_kind(data: TableLike) -> KindAssessment:
    """:func:`detect_kind` with a confidence (module docstring); ``kind=None`` when none fits."""
    n, agreement, med_v, vrange = _evidence(data)
    try:
        kind: Kind | None = detect_kind(data)
        reason = f"the current/voltage pattern of {n} half-cycle(s) fits {kind}"
    except LileanError as exc:
        return KindAssessment(
            kind=None,
            confidence=0.0,
            reason=str(exc),
            n_half_cycles=n,
            sign_agreement=agreement,
            median_abs_voltage_V=med_v,
            voltage_range_V=vrange,
        )
    frame, _ = unpack(data)
    _, v, _ = arrays(frame)
    segs = [s for s in segments(frame) if s.stop - s.start >= _MIN_ROWS]
    peaks = np.array([float(np.nanmax(np.abs(v[s.start + 1 : s.stop]), initial=0.0)) for s in segs])
    if kind == "symmetric":
        ok = [
            (p < NEAR_ZERO_V)
            and (float(np.nanmedian(v[s.start : s.stop])) * (1 if s.kind == CHARGE else -1) > 0)
            for s, p in zip(segs, peaks, strict=True)
        ]
        confidence = float(np.mean(ok)) if ok else 0.0
    elif kind == "deposition":
        t, _, _ = arrays(frame)
        durations = np.array([t[s.stop - 1] - t[s.start] for s in segs])
        plating = durations[[s.kind == DISCHARGE for s in segs]]
        total = float(durations.sum())
        confidence = float(plating.max() / total) if plating.size and total > 0 else 0.0
    else:
        confidence = float(np.mean(peaks > NEAR_ZERO_V)) if peaks.size else 0.0
    return KindAssessment(
        kind=kind,
        confidence=round(confidence, 3),
        reason=reason,
        n_half_cycles=n,
        sign_agreement=agreement,
        median_abs_voltage_V=med_v,
        voltage_range_V=vrange,
    )


def check_kind(data: TableLike, kind: str) -> None:
    """Raise :class:`LileanError` with the measured reason when ``data`` cannot be ``kind``."""
    if kind == "symmetric":
        n, agreement, med_v, vrange = _evidence(data)
        if n == 0 or agreement is None or med_v is None or vrange is None:
            raise LileanError(
                "cannot be a symmetric Li||Li test: it needs both plating (I < 0) and "
                "stripping (I > 0) half-cycles"
            )
        why = []
        if agreement < MIN_SIGN_AGREEMENT:
            why.append(
                f"the voltage has the sign of the current in only {100 * agreement:.0f} % of "
                f"the plating or stripping half-cycles ({n} in all; a Li||Li cell's voltage "
                "changes sign with the current)"
            )
        if med_v > MAX_SYMMETRIC_V:
            why.append(
                f"the typical |V| is {med_v:.3g} V (a Li||Li cell stays within "
                f"{MAX_SYMMETRIC_V:g} V of 0 V)"
            )
        if why:
            seen = assess_kind(data)
            looks = (
                f"; it looks like {seen.kind} (confidence {seen.confidence:.2f})"
                if seen.kind and seen.kind != "symmetric"
                else ""
            )
            raise LileanError(
                f"cannot be a symmetric Li||Li test: voltages {vrange[0]:.3g}..{vrange[1]:.3g} V; "
                + "; ".join(why)
                + looks
            )
    elif kind == "deposition":
        frame, _ = unpack(data)
        if not any(s.kind == DISCHARGE for s in segments(frame)):
            raise LileanError(
                "cannot be a deposition test: the table has no plating (negative-current) step"
            )


def detect_kind(data: TableLike) -> Kind:
    """``"deposition"``, ``"symmetric"``, ``"cycling"`` or ``"rate"`` (rules in the module doc)."""
    frame, _ = unpack(data)
    segs = segments(frame)
    if not segs:
        raise LileanError("cannot tell the experiment type: the table has no current (rest only)")
    t, v, _ = arrays(frame)
    durations = np.array([t[s.stop - 1] - t[s.start] for s in segs])
    total = float(durations.sum())
    plating = [k for k, s in enumerate(segs) if s.kind == DISCHARGE]
    stripping = [k for k, s in enumerate(segs) if s.kind == CHARGE]
    active = np.concatenate([v[s.start : s.stop] for s in segs])

    if plating and len(segs) <= 2:
        first = plating[0]
        share = durations[first] / total if total > 0 else 1.0
        v_plating = float(np.median(v[segs[first].start : segs[first].stop]))
        if share >= 0.8 and abs(v_plating) < NEAR_ZERO_V:
            return "deposition"

    if plating and stripping:

        def typical_peak(indices: list[int]) -> float:
            peaks = [
                float(np.max(np.abs(v[segs[k].start + 1 : segs[k].stop]), initial=0.0))
                for k in indices
            ]
            return float(np.median(peaks))

        near_zero = max(typical_peak(plating), typical_peak(stripping)) < NEAR_ZERO_V
        agreement = _evidence(frame)[1]
        if near_zero and len(segs) >= 3 and (agreement or 0.0) >= MIN_SIGN_AGREEMENT:
            return "symmetric"
        if not near_zero:
            currents = discharge_current_per_cycle(frame)
            if len(currents) >= 2 * MIN_RATE_LEVELS:
                blocks = current_blocks(currents)
                dominant = max(len(b) for b in blocks) >= 0.5 * len(currents)
                levels = [float(np.median(currents.loc[b])) for b in blocks if len(b) >= 2]
                distinct: list[float] = []
                for level in sorted(levels):
                    if not distinct or level > 1.1 * distinct[-1]:
                        distinct.append(level)
                if len(distinct) >= MIN_RATE_LEVELS and not dominant:
                    return "rate"
            return "cycling"
    raise LileanError(
        f"cannot tell the experiment type from {len(plating)} plating and {len(stripping)} "
        f"stripping half-cycle(s) with voltages "
        f"{float(active.min()):.3g}..{float(active.max()):.3g} V;"
        " pass the kind explicitly"
    )
