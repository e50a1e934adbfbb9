"""Per-cycle capacity, Coulombic efficiency, energy, polarization and retention.

Definitions (per cycle ``n``, from the canonical table):

* ``Q_ch(n)``, ``Q_dis(n)`` [mAh]: the maxima of ``Charge capacity [mAh]`` / ``Discharge capacity
  [mAh]`` within the cycle (both columns restart at 0 every cycle, see :mod:`lilean.schema`);
* specific capacity [mAh/g] = ``Q / (m_active / 1000)``, with ``m_active`` in mg (NaN without mass);
* ``E_ch(n) = (1/3.6) * integral of V * max(I, 0) dt`` and ``E_dis(n)`` with ``max(-I, 0)``, in mWh
  (V in V, I in A, t in s; trapezoid rule, intervals attributed to the cycle of their later row as
  for the capacities);
* mean voltage = ``E / Q`` [V]; ``Voltage gap [V]`` = mean charge voltage - mean discharge voltage
  (the polarization between the charge and discharge plateaus);
* **Coulombic efficiency** (a fraction): ``"discharge/charge"`` for cells that charge first (Li ||
  LFP full cell: the charge puts Li into the anode, the discharge gets back what is left);
  ``"charge/discharge"`` for cells that discharge first (Li || Cu, anode half-cells: the discharge
  plates/lithiates the working electrode, the charge strips it). ``"auto"`` picks the convention
  from the sign of the first non-rest step of the first cycle; the choice is recorded in
  ``summary.attrs["ce_convention"]`` and :attr:`CyclingResult.ce_convention`. CE is NaN in a cycle
  where either capacity is zero (incomplete cycle);
* **Formation and cycle numbering** (one convention for measured and simulated tables, the study's):
  the cycles whose ``Cycle label`` is ``"formation"`` (simulated tables carry the column; measured
  files may lack it, then no cycle is formation unless ``formation_cycles`` says how many leading
  cycles are) are formation cycles. :func:`cycle_summary` keeps the table's own cycle index
  (``Cycle`` = ``Protocol cycle``, one row per cycle, formation included);
  :func:`after_formation` (and so :func:`analyze_cycling` and every simulation's ``summary``)
  drops the formation rows and numbers the rest from 1 (``Cycle`` 1 = the first cycle after
  formation; ``Protocol cycle`` keeps the table's index). A 3 + 60-cycle run is cycles 1..60
  (protocol cycles 4..63) on every path;
* ``Retention [%]`` = ``100 * Q_dis(n) / Q_dis(reference_cycle)``; the default reference is the
  first complete cycle after formation (the study reports retention against it);
  ``final_retention_percent`` is the retention of the last complete cycle;
* ``Quality``: ``"ok"`` or the data-quality flags of the cycle joined by ``;`` (incomplete branch,
  CE outside the physical band, current spike, voltage outside the window; rules in
  :mod:`lilean.analysis.quality`). ``Complete`` is True when both capacities are > 0 and neither
  branch is flagged incomplete; the mean CE is taken over cycles whose quality is ``ok`` only;
* ``knee_cycle``: the first complete cycle after the reference cycle whose retention falls below
  ``knee_threshold_percent`` (80 % by default, the usual end-of-life criterion).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from lilean.analysis._common import (
    Result,
    TableLike,
    frame_to_columns,
    meta_value,
    segments,
    unpack,
)
from lilean.analysis.quality import OK, cycle_quality
from lilean.errors import LileanError
from lilean.schema import (
    CHARGE,
    CHARGE_CAPACITY,
    CURRENT,
    CYCLE,
    CYCLE_LABEL,
    DISCHARGE_CAPACITY,
    FORMATION,
    TIME,
    VOLTAGE,
)

CEConvention = Literal["discharge/charge", "charge/discharge"]

PROTOCOL_CYCLE = "Protocol cycle"

SUMMARY_COLUMNS: tuple[str, ...] = (
    "Cycle",
    PROTOCOL_CYCLE,
    "Charge capacity [mAh]",
    "Discharge capacity [mAh]",
    "Charge capacity [mAh/g]",
    "Discharge capacity [mAh/g]",
    "Coulombic efficiency",
    "Charge energy [mWh]",
    "Discharge energy [mWh]",
    "Mean charge voltage [V]",
    "Mean discharge voltage [V]",
    "Voltage gap [V]",
    "Retention [%]",
    "Complete",
    "Quality",
)


def resolve_ce_convention(data: TableLike, ce_convention: str = "auto") -> CEConvention:
    """The CE convention for ``data``: the given one, or (``"auto"``) from the first step's sign.

    A table with no charge or discharge at all (rest only) has no CE; it gets
    ``"discharge/charge"`` so that its summary (all CE NaN) can still be built.
    """
    if ce_convention == "discharge/charge":
        return "discharge/charge"
    if ce_convention == "charge/discharge":
        return "charge/discharge"
    if ce_convention != "auto":
        raise LileanError(
            f"ce_convention {ce_convention!r} unknown; expected 'auto', 'discharge/charge' "
            "or 'charge/discharge'"
        )
    frame, _ = unpack(data)
    segs = segments(frame)
    if not segs:
        return "discharge/charge"
    return "discharge/charge" if segs[0].kind == CHARGE else "charge/discharge"


def _energies_mWh(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Charge and discharge energy per cycle [mWh] (trapezoid rule, see module docstring)."""
    t = frame[TIME].to_numpy(dtype=float)
    v = frame[VOLTAGE].to_numpy(dtype=float)
    i = frame[CURRENT].to_numpy(dtype=float)
    cyc = frame[CYCLE].to_numpy()
    p_ch = v * np.clip(i, 0, None)
    p_dis = v * np.clip(-i, 0, None)
    dt = np.diff(t)
    same = cyc[1:] == cyc[:-1]
    e_ch = np.where(same, 0.5 * (p_ch[1:] + p_ch[:-1]) * dt / 3.6, 0.0)
    e_dis = np.where(same, 0.5 * (p_dis[1:] + p_dis[:-1]) * dt / 3.6, 0.0)
    later = cyc[1:]
    return (
        pd.Series(e_ch).groupby(later).sum(),
        pd.Series(e_dis).groupby(later).sum(),
    )


def formation_cycle_numbers(data: TableLike, formation_cycles: int | None = None) -> list[int]:
    """The table's cycle numbers that are formation cycles: the first ``formation_cycles`` cycles
    of the table when given (0: none), else the cycles with a row labelled ``"formation"`` in
    ``Cycle label`` (none when the table has no such column)."""
    frame, _ = unpack(data)
    cycles = np.unique(frame[CYCLE].to_numpy()) if len(frame) else np.array([], dtype=np.int64)
    if formation_cycles is not None:
        if (
            isinstance(formation_cycles, bool)
            or int(formation_cycles) != formation_cycles
            or (formation_cycles < 0)
        ):
            raise LileanError(f"formation_cycles = {formation_cycles!r}: expected an integer >= 0")
        return [int(c) for c in cycles[: int(formation_cycles)]]
    if CYCLE_LABEL not in frame.columns:
        return []
    labels = frame[CYCLE_LABEL].astype(object).to_numpy()
    marked = frame[CYCLE].to_numpy()[labels == FORMATION]
    return [int(c) for c in np.unique(marked)]


def after_formation(summary: pd.DataFrame) -> pd.DataFrame:
    """The rows of a :func:`cycle_summary` after formation, ``Cycle`` numbered from 1 (the first
    cycle after formation; ``Protocol cycle`` keeps the table's index). Extra columns (e.g. merged
    Li pools) are kept. No formation cycles: the summary unchanged (copied)."""
    formation = set(summary.attrs.get("formation_cycles", []))
    attrs = dict(summary.attrs)
    if not formation:
        out = summary.copy()
        out.attrs = attrs
        return out
    protocol = summary[PROTOCOL_CYCLE].to_numpy()
    keep = ~np.isin(protocol, list(formation))
    out = summary[keep].copy().reset_index(drop=True)
    if len(out):
        first = int(out[PROTOCOL_CYCLE].iloc[0])
        out["Cycle"] = (out[PROTOCOL_CYCLE] - first + 1).astype(np.int64)
        ref = attrs.get("reference_cycle")
        if ref is not None:
            attrs["reference_protocol_cycle"] = int(ref)
            attrs["reference_cycle"] = int(ref) - first + 1 if ref in set(protocol[keep]) else None
    out.attrs = attrs
    return out


def final_retention(summary: pd.DataFrame) -> float:
    """``Retention [%]`` of the last complete cycle of a summary (NaN when none is complete): the
    one final retention of analysis and simulation results."""
    complete = summary[summary["Complete"].to_numpy(dtype=bool)]
    return float(complete["Retention [%]"].iloc[-1]) if len(complete) else float("nan")


def cycle_summary(
    data: TableLike,
    *,
    active_mass_mg: float | None = None,
    reference_cycle: int | None = None,
    ce_convention: str = "auto",
    voltage_window_V: tuple[float, float] | None = None,
    formation_cycles: int | None = None,
) -> pd.DataFrame:
    """One row per cycle: capacities, CE, energies, mean voltages, voltage gap, retention, quality.

    Columns are :data:`SUMMARY_COLUMNS` (``Complete`` is True when both capacities are > 0 and no
    branch is flagged incomplete; ``Quality`` as in :mod:`lilean.analysis.quality`, whose flag list
    is ``summary.attrs["quality_flags"]``; ``voltage_window_V`` is the cell's window for the
    voltage flag, inferred when None). The CE convention used is stored in
    ``summary.attrs["ce_convention"]``. ``active_mass_mg`` defaults to
    the table's metadata. Rows keep the table's cycle index (``Cycle`` = ``Protocol cycle``);
    the formation cycles (:func:`formation_cycle_numbers`) are ``summary.attrs["formation_cycles"]``.
    ``reference_cycle`` (a table cycle number) ``=None`` takes the first complete cycle after
    formation (or, failing that, the first after formation with a discharge, then any cycle;
    retention is NaN when no cycle has one). Raises
    :class:`LileanError` when an explicit ``reference_cycle`` is not in the table or has no
    discharge capacity.
    """
    frame, meta = unpack(data)
    mass_mg = meta_value(meta, "active_mass_mg", active_mass_mg)
    convention = resolve_ce_convention(frame, ce_convention)
    grouped = frame.groupby(CYCLE, sort=True)
    q_ch = grouped[CHARGE_CAPACITY].max().astype(float)
    q_dis = grouped[DISCHARGE_CAPACITY].max().astype(float)
    e_ch, e_dis = _energies_mWh(frame)
    cycles = q_ch.index
    e_ch = e_ch.reindex(cycles, fill_value=0.0)
    e_dis = e_dis.reindex(cycles, fill_value=0.0)

    scale = max(float(q_ch.max()), float(q_dis.max()), 0.0)
    tiny = 1e-9 * scale if scale > 0 else 0.0
    complete = (q_ch > tiny) & (q_dis > tiny)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_v_ch = (e_ch / q_ch).where(q_ch > tiny)
        mean_v_dis = (e_dis / q_dis).where(q_dis > tiny)
        if convention == "discharge/charge":
            ce = (q_dis / q_ch).where(complete)
        else:
            ce = (q_ch / q_dis).where(complete)
    quality, flags = cycle_quality(
        frame,
        q_ch.to_numpy(dtype=float),
        q_dis.to_numpy(dtype=float),
        ce.to_numpy(dtype=float),
        cycles.to_numpy(),
        voltage_window_V=voltage_window_V,
    )
    incomplete = np.array(["incomplete_" in q for q in quality], dtype=bool)
    complete = complete & ~incomplete
    formation = formation_cycle_numbers(frame, formation_cycles)
    if reference_cycle is None:
        regular = ~np.isin(cycles.to_numpy(), formation)
        has_dis = (q_dis > tiny).to_numpy()
        for mask in (complete.to_numpy() & regular, has_dis & regular, has_dis):
            if mask.any():
                reference_cycle = int(cycles[mask][0])
                break
    if reference_cycle is None:
        q_ref = float("nan")
    elif reference_cycle not in q_dis.index:
        raise LileanError(
            f"reference_cycle {reference_cycle} is not in the table (cycles "
            f"{int(cycles.min())}..{int(cycles.max())})"
        )
    else:
        q_ref = float(q_dis.loc[reference_cycle])
        if not q_ref > tiny:
            raise LileanError(f"reference_cycle {reference_cycle} has no discharge capacity")
    grams = np.nan if mass_mg is None else mass_mg / 1000.0
    summary = pd.DataFrame(
        {
            "Cycle": cycles.to_numpy(dtype=np.int64),
            PROTOCOL_CYCLE: cycles.to_numpy(dtype=np.int64),
            "Charge capacity [mAh]": q_ch.to_numpy(),
            "Discharge capacity [mAh]": q_dis.to_numpy(),
            "Charge capacity [mAh/g]": q_ch.to_numpy() / grams,
            "Discharge capacity [mAh/g]": q_dis.to_numpy() / grams,
            "Coulombic efficiency": ce.to_numpy(dtype=float),
            "Charge energy [mWh]": e_ch.to_numpy(dtype=float),
            "Discharge energy [mWh]": e_dis.to_numpy(dtype=float),
            "Mean charge voltage [V]": mean_v_ch.to_numpy(dtype=float),
            "Mean discharge voltage [V]": mean_v_dis.to_numpy(dtype=float),
            "Voltage gap [V]": (mean_v_ch - mean_v_dis).to_numpy(dtype=float),
            "Retention [%]": 100.0 * q_dis.to_numpy() / q_ref,
            "Complete": complete.to_numpy(dtype=bool),
            "Quality": quality,
        }
    )
    summary.attrs["quality_flags"] = flags
    summary.attrs["ce_convention"] = convention
    summary.attrs["reference_cycle"] = reference_cycle
    summary.attrs["active_mass_mg"] = mass_mg
    summary.attrs["formation_cycles"] = formation
    return summary


def knee_cycle(
    summary: pd.DataFrame, *, reference_cycle: int | None = None, threshold_percent: float = 80.0
) -> int | None:
    """First complete cycle after ``reference_cycle`` with ``Retention [%] < threshold_percent``.

    ``reference_cycle=None``: the summary's own reference (``attrs``), else its first cycle.
    """
    if reference_cycle is None:
        reference_cycle = summary.attrs.get("reference_cycle") or int(summary["Cycle"].min())
    after = summary[(summary["Cycle"] > reference_cycle) & summary["Complete"]]
    below = after[after["Retention [%]"] < threshold_percent]
    return None if below.empty else int(below["Cycle"].iloc[0])


class CyclingResult(Result):
    """Cycle summary (after formation, see the module docstring) plus the scalars of a cycling test.

    :attr:`table` is the summary as a DataFrame; :meth:`to_dict` gives it column-wise under
    ``"table"`` (``{"Cycle": [...], "Coulombic efficiency": [...], ...}``); the formation cycles'
    rows (same columns, ``Cycle`` = table cycle) are under ``"formation_table"``.
    ``reference_cycle`` and ``final_cycle`` are in the table's numbering (after formation),
    ``reference_protocol_cycle`` is the reference's cycle index in the time series.
    """

    table_columns: dict[str, list[Any]] = Field(serialization_alias="table")
    formation_columns: dict[str, list[Any]] = Field(
        default_factory=dict, serialization_alias="formation_table"
    )
    ce_convention: CEConvention
    formation_cycles: list[int] = Field(default_factory=list)
    reference_cycle: int | None
    reference_protocol_cycle: int | None = None
    knee_threshold_percent: float
    knee_cycle: int | None
    n_cycles: int
    final_cycle: int | None
    final_retention_percent: float | None
    final_discharge_capacity_mAh: float | None
    final_discharge_capacity_mAh_g: float | None
    mean_coulombic_efficiency: float | None
    n_flagged_cycles: int = 0
    flags: list[dict[str, Any]] = Field(default_factory=list)

    @staticmethod
    def _frame(columns: dict[str, list[Any]], ce_convention: str) -> pd.DataFrame:
        frame = pd.DataFrame(columns, columns=list(SUMMARY_COLUMNS))
        if frame["Quality"].isna().all():
            frame["Quality"] = OK
        if frame[PROTOCOL_CYCLE].isna().all():  # results saved before the column existed
            frame[PROTOCOL_CYCLE] = frame["Cycle"]
        ints = {"Cycle": np.int64, PROTOCOL_CYCLE: np.int64, "Complete": bool, "Quality": str}
        frame = frame.astype(ints)
        other = [c for c in SUMMARY_COLUMNS if c not in ints]
        frame[other] = frame[other].astype(float)
        frame.attrs["ce_convention"] = ce_convention
        return frame

    @property
    def table(self) -> pd.DataFrame:
        """The cycle summary after formation as a DataFrame (:data:`SUMMARY_COLUMNS`)."""
        return self._frame(self.table_columns, self.ce_convention)

    @property
    def formation_table(self) -> pd.DataFrame:
        """The formation cycles' rows (empty when the table marks none)."""
        return self._frame(self.formation_columns, self.ce_convention)


def analyze_cycling(
    data: TableLike,
    *,
    active_mass_mg: float | None = None,
    reference_cycle: int | None = None,
    ce_convention: str = "auto",
    knee_threshold_percent: float = 80.0,
    voltage_window_V: tuple[float, float] | None = None,
    formation_cycles: int | None = None,
) -> CyclingResult:
    """:func:`cycle_summary` after formation (:func:`after_formation`) plus knee cycle, final
    retention (:func:`final_retention`), mean CE (over cycles after formation whose quality is
    ``ok``) and the quality flags. ``reference_cycle`` is a table cycle number;
    ``formation_cycles``: how many leading cycles are formation (None: the ``Cycle label``
    column decides, see :func:`formation_cycle_numbers`)."""
    full = cycle_summary(
        data,
        active_mass_mg=active_mass_mg,
        reference_cycle=reference_cycle,
        ce_convention=ce_convention,
        voltage_window_V=voltage_window_V,
        formation_cycles=formation_cycles,
    )
    summary = after_formation(full)
    formation = full.attrs["formation_cycles"]
    formation_rows = full[np.isin(full[PROTOCOL_CYCLE].to_numpy(), formation)]
    complete = summary[summary["Complete"]]
    last = complete.iloc[-1] if len(complete) else None

    def _num(value: Any) -> float | None:
        f = float(value)
        return f if np.isfinite(f) else None

    ok = summary[summary["Complete"] & (summary["Quality"] == OK)]
    ce = ok["Coulombic efficiency"].to_numpy(dtype=float)
    ce = ce[np.isfinite(ce)]
    flags = full.attrs["quality_flags"]
    ref = summary.attrs["reference_cycle"]
    return CyclingResult(
        table_columns=frame_to_columns(summary),
        formation_columns=frame_to_columns(formation_rows) if len(formation_rows) else {},
        ce_convention=full.attrs["ce_convention"],
        formation_cycles=[int(c) for c in formation],
        reference_cycle=ref,
        reference_protocol_cycle=summary.attrs.get("reference_protocol_cycle", ref),
        knee_threshold_percent=knee_threshold_percent,
        knee_cycle=knee_cycle(summary, threshold_percent=knee_threshold_percent),
        n_cycles=len(summary),
        final_cycle=None if last is None else int(last["Cycle"]),
        final_retention_percent=_num(final_retention(summary)),
        final_discharge_capacity_mAh=None
        if last is None
        else _num(last["Discharge capacity [mAh]"]),
        final_discharge_capacity_mAh_g=None
        if last is None
        else _num(last["Discharge capacity [mAh/g]"]),
        mean_coulombic_efficiency=_num(np.mean(ce)) if ce.size else None,
        n_flagged_cycles=int((summary["Quality"] != OK).sum()),
        flags=flags,
    )
