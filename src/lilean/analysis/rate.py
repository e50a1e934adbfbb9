"""Rate-capability table: discharge capacity per block of cycles at one C-rate.

Method:

1. per cycle, the discharge current magnitude ``|I_dis|`` is the median ``|I|`` over its discharge
   rows (cycles without a discharge are skipped);
2. cycles are walked in order and grouped into **blocks** of contiguous cycles: a cycle joins the
   current block when ``| |I_dis| - I_block | <= rel_tol * I_block``, with ``I_block`` the median
   ``|I_dis|`` of the block so far; otherwise it starts a new block. A return to an earlier rate
   (the study's "... 5 C, then back to 1 C") is therefore a separate row;
3. ``C-rate = I_block / I_1C``. ``I_1C`` is ``one_c_current_A`` when given, else
   ``m_active [g] * specific_capacity [mAh/g] / 1000`` (the study: 1 C = 170 mA/g of LFP); without
   either the C-rate is NaN;
4. ``Discharge capacity [mAh]`` (and ``[mAh/g]`` when the mass is known) is the block mean of the
   per-cycle discharge capacities (:func:`lilean.analysis.cycling.cycle_summary`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lilean.analysis._common import TableLike, meta_value, unpack
from lilean.analysis.cycling import cycle_summary
from lilean.errors import LileanError
from lilean.schema import CURRENT, CYCLE, DISCHARGE, STEP_TYPE

RATE_COLUMNS: tuple[str, ...] = (
    "Block",
    "C-rate",
    "Current [A]",
    "Cycles",
    "Number of cycles",
    "Discharge capacity [mAh]",
    "Discharge capacity [mAh/g]",
)


def discharge_current_per_cycle(data: TableLike) -> pd.Series:
    """Median |I| [A] of the discharge rows of each cycle that has one (index: cycle)."""
    frame, _ = unpack(data)
    dis = frame[frame[STEP_TYPE] == DISCHARGE]
    return dis[CURRENT].abs().groupby(dis[CYCLE]).median().astype(float)


def current_blocks(currents_A: pd.Series, rel_tol: float = 0.1) -> list[list[int]]:
    """Group contiguous cycles (the index of ``currents_A``) of similar current into blocks."""
    if not 0 < rel_tol < 1:
        raise LileanError(f"rel_tol must be between 0 and 1, got {rel_tol}")
    blocks: list[list[int]] = []
    values: list[float] = []
    for cyc, current in currents_A.items():
        ref = float(np.median(values)) if values else None
        if ref is not None and abs(current - ref) <= rel_tol * ref:
            blocks[-1].append(int(cyc))
            values.append(float(current))
        else:
            blocks.append([int(cyc)])
            values = [float(current)]
    return blocks


def rate_table(
    data: TableLike,
    *,
    one_c_current_A: float | None = None,
    active_mass_mg: float | None = None,
    specific_capacity_mAh_g: float = 170.0,
    rel_tol: float = 0.1,
) -> pd.DataFrame:
    """One row per block of contiguous cycles at one discharge current (see module docstring).

    ``Cycles`` holds the list of cycle numbers of the block. ``active_mass_mg`` defaults to the
    table's metadata. Raises :class:`LileanError` when the table has no discharge.
    """
    frame, meta = unpack(data)
    mass_mg = meta_value(meta, "active_mass_mg", active_mass_mg)
    if one_c_current_A is not None and not one_c_current_A > 0:
        raise LileanError(f"one_c_current_A must be > 0, got {one_c_current_A}")
    if not specific_capacity_mAh_g > 0:
        raise LileanError(f"specific_capacity_mAh_g must be > 0, got {specific_capacity_mAh_g}")
    if one_c_current_A is None and mass_mg is not None:
        # mg * mAh/g = uAh per h = uA; / 1e6 -> A
        one_c_current_A = mass_mg * specific_capacity_mAh_g / 1e6
    currents = discharge_current_per_cycle(frame)
    if currents.empty:
        raise LileanError("rate table: the table has no discharge step")
    summary = cycle_summary(
        frame,
        active_mass_mg=mass_mg,
        reference_cycle=int(currents.index[0]),
        ce_convention="auto",
    ).set_index("Cycle")
    rows = []
    for k, block in enumerate(current_blocks(currents, rel_tol), start=1):
        current = float(np.median(currents.loc[block]))
        rows.append(
            {
                "Block": k,
                "C-rate": np.nan if one_c_current_A is None else current / one_c_current_A,
                "Current [A]": current,
                "Cycles": block,
                "Number of cycles": len(block),
                "Discharge capacity [mAh]": float(
                    summary.loc[block, "Discharge capacity [mAh]"].mean()
                ),
                "Discharge capacity [mAh/g]": float(
                    summary.loc[block, "Discharge capacity [mAh/g]"].mean()
                ),
            }
        )
    table = pd.DataFrame(rows, columns=list(RATE_COLUMNS))
    table.attrs["one_c_current_A"] = one_c_current_A
    return table
