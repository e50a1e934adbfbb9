"""Which experiment a cycling table holds, from its current and voltage pattern.

Rules, tried in this order (``|V|`` statistics use the non-rest rows):

1. **deposition**: one plating (negative-current) half-cycle holds at least 80 % of the non-rest
   time, there are at most two half-cycles, and the median voltage during the plating is within
   ``NEAR_ZERO_V`` of 0 V (a Li || substrate cell plating Li);
2. **symmetric**: both current signs, at least three half-cycles, and for both the plating and the
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
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from lilean.analysis._common import TableLike, arrays, segments, unpack
from lilean.analysis.rate import current_blocks, discharge_current_per_cycle
from lilean.errors import LileanError
from lilean.schema import CHARGE, DISCHARGE

Kind = Literal["deposition", "symmetric", "cycling", "rate"]

#: |V| below this is "near 0 V" (Li || Li and Li plating potentials)
NEAR_ZERO_V = 0.5
#: distinct discharge-current levels (in blocks of >= 2 cycles) that make a rate test
MIN_RATE_LEVELS = 3


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
        if near_zero and len(segs) >= 3:
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
