"""Paper-style figures of cycling tables and analysis results (matplotlib, Agg canvas, no pyplot).

Every function returns a :class:`matplotlib.figure.Figure` in the style of
:mod:`lilean.plotting.style` (3.5 in single column, labelled axes with units). Functions that
compare datasets (e.g. Li-Cu vs Li-Ag@Cu) accept either one dataset or a list of ``(label,
dataset)`` pairs. Nothing is drawn through pyplot, so figures never leak into global state and need
no display.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import numpy as np
import pandas as pd

from lilean.errors import LileanError
from lilean.plotting.style import (
    DPI,
    SINGLE_COLUMN_IN,
    color_for,
    figure_size,
    paper_style,
)
from lilean.schema import (
    CHARGE,
    CHARGE_CAPACITY,
    CYCLE,
    DISCHARGE,
    DISCHARGE_CAPACITY,
    STEP_TYPE,
    TIME,
    VOLTAGE,
    CyclingData,
    atomic_output,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from lilean.analysis.cycling import CyclingResult
    from lilean.analysis.deposition import DepositionResult
    from lilean.analysis.symmetric import SymmetricResult

TableLike: TypeAlias = CyclingData | pd.DataFrame

POTENTIAL_LABEL = "Potential vs Li/Li$^+$ [mV]"
VOLTAGE_LABEL = "Voltage [V]"
TIME_H_LABEL = "Time [h]"
CYCLE_LABEL = "Cycle number"
SAVE_FORMATS = ("png", "svg", "pdf")
#: default time axis of plot_deposition, in recovery times
ZOOM_RECOVERY_TIMES = 5.0


# ---- helpers ----------------------------------------------------------------------------------


def new_figure(
    nrows: int = 1, *, width_in: float = SINGLE_COLUMN_IN, aspect: float = 0.75, **kw: Any
) -> tuple[Figure, Any]:
    """A figure on an Agg canvas (no pyplot) with ``nrows`` axes stacked vertically."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figure_size(width_in, aspect), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, 1, squeeze=True, **kw)
    return fig, axes


def _frame(data: Any) -> tuple[pd.DataFrame, float | None, float | None]:
    """(table, area_cm2, active_mass_mg) of a CyclingData or DataFrame."""
    if isinstance(data, CyclingData):
        return data.data, data.meta.area_cm2, data.meta.active_mass_mg
    if isinstance(data, pd.DataFrame):
        return data, None, None
    raise LileanError(f"expected a CyclingData or DataFrame to plot, got {type(data).__name__}")


def _labelled(items: Any, kinds: tuple[type, ...]) -> list[tuple[str, Any]]:
    """One object of ``kinds`` -> ``[("", obj)]``; a list of ``(label, obj)`` pairs as is."""
    if isinstance(items, kinds):
        return [("", items)]
    if isinstance(items, Sequence) and not isinstance(items, str):
        out = []
        for entry in items:
            if not (isinstance(entry, tuple) and len(entry) >= 2 and isinstance(entry[0], str)):
                raise LileanError("expected a dataset or a list of (label, dataset) tuples")
            out.append(entry)
        if not out:
            raise LileanError("nothing to plot: the list of datasets is empty")
        return out
    raise LileanError(f"cannot plot an object of type {type(items).__name__}")


def _analysed(data: Any, result: Any, analyze: Callable[[Any], Any]) -> list[tuple[str, Any, Any]]:
    """``(label, table, result)`` triples for a plot of one table or of a labelled list.

    One table (:class:`CyclingData` or DataFrame) gives ``[("", data, result)]``; a list of
    ``(label, data)`` or ``(label, data, result)`` tuples gives one triple per entry. A missing
    (None) result is computed as ``analyze(table)``.
    """
    if isinstance(data, (CyclingData, pd.DataFrame)):
        entries: list[tuple[str, Any, Any]] = [("", data, result)]
    else:
        entries = [
            (str(e[0]), e[1], e[2] if len(e) > 2 else None)
            for e in _labelled(data, (CyclingData, pd.DataFrame))
        ]
    return [(label, d, res if res is not None else analyze(d)) for label, d, res in entries]


def _legend(ax: Axes, labels: list[str]) -> None:
    if any(labels):
        ax.legend(loc="best")


def _time_unit(seconds: float) -> tuple[float, str]:
    """Divisor and unit for an axis spanning ``seconds``: s, min or h."""
    if seconds <= 300:
        return 1.0, "s"
    if seconds <= 3 * 3600:
        return 60.0, "min"
    return 3600.0, "h"


# ---- voltage curves ---------------------------------------------------------------------------


def plot_voltage(
    data: TableLike | Sequence[tuple[str, TableLike]],
    x: Literal["time", "capacity"] = "time",
    cycles: Sequence[int] | None = None,
) -> Figure:
    """Voltage vs time [h] or vs capacity (per cycle, charge and discharge branches).

    ``x="capacity"`` uses the specific capacity [mAh/g] when every dataset has an active mass in its
    metadata, else the capacity [mAh]. Vs capacity with one dataset, cycles are coloured along
    ``viridis`` (legend up to 6 cycles, else a colour bar); otherwise each dataset has one colour.
    ``cycles`` restricts the plotted cycles.
    """
    if x not in ("time", "capacity"):
        raise LileanError(f"x must be 'time' or 'capacity', got {x!r}")
    sets = _labelled(data, (CyclingData, pd.DataFrame))
    if x == "capacity" and all(
        not _frame(d)[0][STEP_TYPE].isin([CHARGE, DISCHARGE]).any() for _, d in sets
    ):
        return note_figure(
            "No charge or discharge in this file (rest only):\nno voltage-capacity curve"
        )
    with paper_style():
        import matplotlib as mpl

        fig, ax = new_figure()
        frames = [(label, *_frame(d)) for label, d in sets]
        specific = x == "capacity" and all(mass is not None for *_, mass in frames)
        single = len(frames) == 1
        cmap = mpl.colormaps["viridis"]
        for k, (label, frame, _area, mass) in enumerate(frames):
            if cycles is not None:
                frame = frame[frame[CYCLE].isin(list(cycles))]
            if frame.empty:
                raise LileanError(f"no rows to plot for cycles {list(cycles or [])}")
            groups = list(frame.groupby(CYCLE, sort=True))
            by_cycle = single and x == "capacity"  # colour cycles along viridis
            for j, (cyc, rows) in enumerate(groups):
                if x == "time":
                    xs = rows[TIME].to_numpy(dtype=float) / 3600.0
                    ys = rows[VOLTAGE].to_numpy(dtype=float)
                else:
                    parts_x, parts_y = [], []
                    for kind, col in ((CHARGE, CHARGE_CAPACITY), (DISCHARGE, DISCHARGE_CAPACITY)):
                        branch = rows[rows[STEP_TYPE] == kind]
                        q = branch[col].to_numpy(dtype=float)
                        if specific and mass is not None:
                            q = q / (mass / 1000.0)
                        parts_x += [q, [np.nan]]
                        parts_y += [branch[VOLTAGE].to_numpy(dtype=float), [np.nan]]
                    xs, ys = np.concatenate(parts_x), np.concatenate(parts_y)
                color: Any
                if by_cycle:
                    color = cmap(j / max(len(groups) - 1, 1))
                    name = f"cycle {cyc}" if len(groups) <= 6 else None
                else:
                    color = color_for(label, k)
                    name = label if (j == 0 and label) else None
                ax.plot(xs, ys, color=color, label=name, lw=0.8)
            if by_cycle and len(groups) > 6:
                first, last = float(groups[0][0]), float(groups[-1][0])
                norm = mpl.colors.Normalize(vmin=first, vmax=last)
                sm = mpl.cm.ScalarMappable(norm=norm, cmap=cmap)
                fig.colorbar(sm, ax=ax, label=CYCLE_LABEL, aspect=30)
        if x == "time":
            ax.set_xlabel(TIME_H_LABEL)
        else:
            ax.set_xlabel("Specific capacity [mAh g$^{-1}$]" if specific else "Capacity [mAh]")
        ax.set_ylabel(VOLTAGE_LABEL)
        handles, _ = ax.get_legend_handles_labels()
        if handles:
            ax.legend(loc="best")
    return fig


# ---- deposition -------------------------------------------------------------------------------


def plot_deposition(
    data: TableLike | Sequence[tuple[Any, ...]],
    result: DepositionResult | None = None,
    *,
    t_max_s: float | None = None,
) -> Figure:
    """Potential [mV] vs time during the first plating step, with the dip and plateau marked.

    ``data`` is one table (``result`` computed when None) or a list of ``(label, data)`` or
    ``(label, data, result)`` tuples (e.g. Li || Cu vs Li || Ag@Cu). The time axis is zoomed to the
    nucleation transient and the start of the plateau: ``t_max_s`` defaults to 5 x the recovery
    time; the potential axis to the range from the dip to the plateau (the open-circuit start is cut
    off).
    """
    from lilean.analysis.deposition import analyze_deposition

    prepared = _analysed(data, result, analyze_deposition)
    span = t_max_s or max(
        min(ZOOM_RECOVERY_TIMES * r.recovery_time_s, r.step_duration_s) for _, _, r in prepared
    )
    span = max(span, 1e-9)
    divisor, unit = _time_unit(span)
    with paper_style():
        fig, ax = new_figure()
        for k, (label, d, res) in enumerate(prepared):
            frame, *_ = _frame(d)
            t = frame[TIME].to_numpy(dtype=float) - res.step_start_s
            keep = (t >= 0) & (t <= min(span, res.step_duration_s))
            color = color_for(label, k)
            ax.plot(
                t[keep] / divisor,
                frame[VOLTAGE].to_numpy(dtype=float)[keep] * 1e3,
                color=color,
                label=label or None,
            )
            ax.plot(res.dip_time_s / divisor, res.dip_mV, "v", color=color, ms=4)
            ax.axhline(res.plateau_mV, color=color, lw=0.6, ls="--")
            ax.annotate(
                f"$\\eta_n$ = {res.nucleation_overpotential_mV:.0f} mV",
                xy=(res.dip_time_s / divisor, res.dip_mV),
                xytext=(6, -2),
                textcoords="offset points",
                fontsize=7,
                color=color,
                va="top",
            )
        low = min(r.dip_mV for _, _, r in prepared)
        high = max(r.plateau_mV for _, _, r in prepared)
        pad = 0.15 * max(high - low, 10.0)
        ax.set_ylim(low - pad, high + 2 * pad)
        ax.set_xlim(0, span / divisor)
        ax.set_xlabel(f"Time [{unit}]")
        ax.set_ylabel(POTENTIAL_LABEL)
        _legend(ax, [e[0] for e in prepared])
    return fig


# ---- symmetric cells --------------------------------------------------------------------------


def plot_symmetric(
    data: TableLike | Sequence[tuple[Any, ...]],
    result: SymmetricResult | None = None,
) -> Figure:
    """Two panels: the voltage trace [mV] vs time [h], and the polarization per cycle [mV].

    Failure and short-circuit times are marked by vertical dotted / dash-dot lines. ``data`` is one
    table (``result`` computed when None) or a list of ``(label, data[, result])`` tuples. When
    the full voltage range is more than twice the 0.5..99.5 percentile range (isolated spikes),
    the voltage axis spans the percentile range (+25 %): spikes are drawn, clipped, not scaled to.
    """
    from lilean.analysis.symmetric import analyze_symmetric

    prepared = _analysed(data, result, analyze_symmetric)
    with paper_style():
        fig, (ax_v, ax_p) = new_figure(2, aspect=1.1, sharex=True, height_ratios=[2, 1])
        for k, (label, d, res) in enumerate(prepared):
            frame, *_ = _frame(d)
            color = color_for(label, k)
            t0 = float(frame[TIME].iloc[0])
            ax_v.plot(
                (frame[TIME].to_numpy(dtype=float) - t0) / 3600.0,
                frame[VOLTAGE].to_numpy(dtype=float) * 1e3,
                color=color,
                lw=0.5,
                label=label or None,
            )
            table = res.table
            if len(table):
                ax_p.plot(
                    table["Time [h]"],
                    table["Polarization [mV]"],
                    "o",
                    color=color,
                    mfc="none",
                    ms=2.5 if len(table) < 100 else 1.5,
                )
            for ax in (ax_v, ax_p):
                if res.failure_h is not None and res.failure_reason == "polarization":
                    ax.axvline(res.failure_h, color=color, ls=":", lw=0.8)
                if res.short_circuit_h is not None:
                    ax.axvline(res.short_circuit_h, color=color, ls="-.", lw=0.8)
        # isolated spikes (a relay glitch, a short's recovery) are drawn but do not set the scale
        traces = np.concatenate(
            [_frame(d)[0][VOLTAGE].to_numpy(dtype=float) * 1e3 for _, d, _ in prepared]
        )
        traces = traces[np.isfinite(traces)]
        if traces.size > 100:
            lo, hi = np.percentile(traces, [0.5, 99.5])
            full = float(traces.max() - traces.min())
            if full > 2.0 * float(hi - lo) > 0:
                pad = 0.25 * float(hi - lo)
                ax_v.set_ylim(float(lo) - pad, float(hi) + pad)
        ax_v.set_ylabel("Voltage [mV]")
        ax_p.set_ylabel("Polarization [mV]")
        pol_max = max(
            (
                float(np.nanmax(r.table["Polarization [mV]"].to_numpy(dtype=float)))
                for *_, r in prepared
                if r.cycles
            ),
            default=0.0,
        )
        if np.isfinite(pol_max) and pol_max > 0:
            ax_p.set_ylim(0, 1.15 * pol_max)
        ax_p.set_xlabel(TIME_H_LABEL)
        _legend(ax_v, [e[0] for e in prepared])
    return fig


# ---- cycling summary --------------------------------------------------------------------------


def _summary_frame(obj: Any) -> pd.DataFrame:
    from lilean.analysis.cycling import CyclingResult

    if isinstance(obj, CyclingResult):
        return obj.table
    if isinstance(obj, pd.DataFrame):
        return obj
    raise LileanError(f"expected a cycle summary DataFrame or CyclingResult, got {type(obj)}")


def _flagged(s: pd.DataFrame) -> np.ndarray:
    """True for the cycles whose ``Quality`` is not ``ok`` (all False without the column)."""
    if "Quality" not in s.columns:
        return np.zeros(len(s), dtype=bool)
    return (s["Quality"].astype(str) != "ok").to_numpy()


def _robust_limits(values: np.ndarray, *, floor: float | None = None) -> tuple[float, float] | None:
    """Axis limits spanning the finite ``values`` with a 5 % margin (None when there are none)."""
    values = values[np.isfinite(values)]
    if not values.size:
        return None
    lo, hi = float(values.min()), float(values.max())
    pad = 0.05 * (hi - lo) if hi > lo else 0.05 * max(abs(hi), 1e-12)
    low = lo - pad if floor is None else max(floor, lo - pad)
    return low, hi + pad


def _draw_flagged(
    ax: Axes, x: np.ndarray, y: np.ndarray, limits: tuple[float, float] | None, color: str
) -> None:
    """Flagged points as grey crosses; those beyond ``limits`` pinned to the edge as triangles."""
    if not x.size:
        return
    ok = np.isfinite(y)
    x, y = x[ok], y[ok]
    if limits is None or not x.size:
        return
    lo, hi = limits
    inside = (y >= lo) & (y <= hi)
    ax.plot(x[inside], y[inside], "x", color="0.55", ms=3, zorder=1)
    ax.plot(
        x[y > hi],
        np.full(int((y > hi).sum()), hi),
        "^",
        color="0.55",
        ms=3.5,
        clip_on=False,
        zorder=1,
    )
    ax.plot(
        x[y < lo],
        np.full(int((y < lo).sum()), lo),
        "v",
        color="0.55",
        ms=3.5,
        clip_on=False,
        zorder=1,
    )


def note_figure(message: str) -> Figure:
    """A figure that says why there is nothing to plot (instead of empty axes)."""
    with paper_style():
        fig, ax = new_figure()
        ax.set_axis_off()
        ax.text(
            0.5,
            0.5,
            message,
            ha="center",
            va="center",
            wrap=True,
            fontsize=8,
            transform=ax.transAxes,
        )
    return fig


def plot_cycle_summary(
    summary: pd.DataFrame | CyclingResult | Sequence[tuple[str, Any]],
) -> Figure:
    """Discharge capacity (filled, left axis) and Coulombic efficiency [%] (open, right) vs cycle.

    The capacity is specific [mAh/g] when the summary has it (active mass known), else in mAh.
    Accepts one summary (:func:`~lilean.analysis.cycling.cycle_summary` or a ``CyclingResult``) or a
    list of ``(label, summary)`` pairs. Cycles whose ``Quality`` is flagged (incomplete, CE out of
    band, ...) are drawn as grey crosses but do not set the axis limits; a flagged point beyond
    them is pinned to the axis edge as a triangle. A summary without any charge or discharge (a
    rest-only file) gives a figure that says so.
    """
    from lilean.analysis.cycling import CyclingResult

    sets = [
        (label, _summary_frame(s)) for label, s in _labelled(summary, (pd.DataFrame, CyclingResult))
    ]
    if all(
        not (s["Discharge capacity [mAh]"].fillna(0) > 0).any()
        and not (s["Charge capacity [mAh]"].fillna(0) > 0).any()
        for _, s in sets
    ):
        return note_figure("No charge or discharge in this file (rest only):\nno cycle summary")
    specific = all(s["Discharge capacity [mAh/g]"].notna().any() for _, s in sets)
    cap_col = "Discharge capacity [mAh/g]" if specific else "Discharge capacity [mAh]"
    with paper_style():
        fig, ax = new_figure()
        ax_ce = ax.twinx()
        ax_ce.spines["right"].set_visible(True)
        cap_good: list[np.ndarray] = []
        ce_good: list[np.ndarray] = []
        for _label, s in sets:
            bad = _flagged(s)
            cap_good.append(s[cap_col].to_numpy(dtype=float)[~bad])
            ce_good.append(100 * s["Coulombic efficiency"].to_numpy(dtype=float)[~bad])
        cap_vals = np.concatenate(cap_good)
        cap_vals = cap_vals[np.isfinite(cap_vals)]
        cap_lim = (
            (0.0, 1.1 * float(cap_vals.max())) if cap_vals.size and cap_vals.max() > 0 else None
        )
        ce_vals = np.concatenate(ce_good)
        ce_vals = ce_vals[np.isfinite(ce_vals)]
        ce_lim = None
        if ce_vals.size:
            low = max(0.0, min(80.0, 10 * float(np.floor(ce_vals.min() / 10))))
            ce_lim = (low, max(105.0, float(ce_vals.max()) + 2))
        for k, (label, s) in enumerate(sets):
            color = color_for(label, k)
            bad = _flagged(s)
            x = s["Cycle"].to_numpy(dtype=float)
            cap = s[cap_col].to_numpy(dtype=float)
            ce = 100 * s["Coulombic efficiency"].to_numpy(dtype=float)
            ax.plot(x[~bad], cap[~bad], "o", color=color, ms=2.5, label=label or None)
            ax_ce.plot(x[~bad], ce[~bad], "o", color=color, ms=2.5, mfc="none")
            _draw_flagged(ax, x[bad], cap[bad], cap_lim, color)
            _draw_flagged(ax_ce, x[bad], ce[bad], ce_lim, color)
        if any(_flagged(s).any() for _, s in sets):
            ax.plot([], [], "x", color="0.55", ms=3, label="flagged cycle (see Quality)")
        ax.set_xlabel(CYCLE_LABEL)
        ax.set_ylabel(
            "Discharge capacity [mAh g$^{-1}$]" if specific else "Discharge capacity [mAh]"
        )
        ax_ce.set_ylabel("Coulombic efficiency [%]")
        if cap_lim:
            ax.set_ylim(*cap_lim)
        else:
            ax.set_ylim(bottom=0)
        if ce_lim:
            ax_ce.set_ylim(*ce_lim)
        ax_ce.ticklabel_format(axis="y", useOffset=False)
        handles, _ = ax.get_legend_handles_labels()
        if handles:
            ax.legend(loc="best")
    return fig


# ---- dQ/dV ------------------------------------------------------------------------------------


def plot_dqdv(curves: pd.DataFrame | Sequence[tuple[str, pd.DataFrame]]) -> Figure:
    """dQ/dV [mAh/V] vs voltage: one curve (:func:`~lilean.analysis.dqdv.dqdv`) or labelled ones."""
    sets = _labelled(curves, (pd.DataFrame,))
    with paper_style():
        fig, ax = new_figure()
        for k, (label, curve) in enumerate(sets):
            ax.plot(
                curve["Voltage [V]"],
                curve["dQ/dV [mAh/V]"],
                color=color_for(label, k),
                label=label or None,
            )
        ax.set_xlabel(VOLTAGE_LABEL)
        ax.set_ylabel("dQ/dV [mAh V$^{-1}$]")
        _legend(ax, [label for label, _ in sets])
    return fig


def plot_differential(
    result: dict[str, pd.DataFrame], cycles: Sequence[int] | None = None
) -> Figure:
    """Two panels drawn from :func:`~lilean.analysis.dqdv.differential_analysis` data: dQ/dV vs V
    (charge solid, discharge dashed, peaks as triangles) and dV/dQ vs capacity, cycles coloured
    along ``viridis``. The dV/dQ axis spans the 2nd..98th percentile (the steep ends of each
    branch are drawn but do not set the scale). Without any curve the figure says so.
    """
    import matplotlib as mpl

    dq, dv, peaks = result["dqdv"], result["dvdq"], result["peaks"]
    if cycles is not None:
        dq, dv, peaks = (t[t["Cycle"].isin(list(cycles))] for t in (dq, dv, peaks))
    if dq.empty:
        return note_figure("No charge or discharge branch to differentiate in this file")
    chosen = sorted(set(dq["Cycle"]))
    cmap = mpl.colormaps["viridis"]
    with paper_style():
        fig, (ax_q, ax_v) = new_figure(2, aspect=1.3)
        for j, cyc in enumerate(chosen):
            color = cmap(j / max(len(chosen) - 1, 1))
            for branch, ls in (("charge", "-"), ("discharge", "--")):
                c = dq[(dq["Cycle"] == cyc) & (dq["Branch"] == branch)]
                if len(c):
                    label = f"cycle {cyc}" if branch == "charge" or c is None else None
                    ax_q.plot(
                        c["Voltage [V]"],
                        c["dQ/dV [mAh/V]"],
                        ls,
                        color=color,
                        lw=0.8,
                        label=label if len(chosen) <= 6 else None,
                    )
                p = peaks[(peaks["Cycle"] == cyc) & (peaks["Branch"] == branch)]
                if len(p):
                    ax_q.plot(
                        p["Peak voltage [V]"],
                        p["Peak dQ/dV [mAh/V]"],
                        "^" if branch == "charge" else "v",
                        color=color,
                        ms=3,
                    )
                d = dv[(dv["Cycle"] == cyc) & (dv["Branch"] == branch)]
                if len(d):
                    ax_v.plot(d["Capacity [mAh]"], d["dV/dQ [V/mAh]"], ls, color=color, lw=0.8)
        values = dv["dV/dQ [V/mAh]"].to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        if values.size:
            lo, hi = np.percentile(values, [2, 98])
            pad = 0.1 * (hi - lo) if hi > lo else 0.1 * max(abs(hi), 1e-9)
            ax_v.set_ylim(lo - pad, hi + pad)
        ax_q.set_xlabel(VOLTAGE_LABEL)
        ax_q.set_ylabel("dQ/dV [mAh V$^{-1}$]")
        ax_v.set_xlabel("Capacity [mAh]")
        ax_v.set_ylabel("dV/dQ [V mAh$^{-1}$]")
        handles, _ = ax_q.get_legend_handles_labels()
        if handles:
            ax_q.legend(loc="best")
        if len(chosen) > 6:
            norm = mpl.colors.Normalize(vmin=float(chosen[0]), vmax=float(chosen[-1]))
            sm = mpl.cm.ScalarMappable(norm=norm, cmap=cmap)
            fig.colorbar(sm, ax=[ax_q, ax_v], label=CYCLE_LABEL, aspect=30)
    return fig


# ---- rate capability --------------------------------------------------------------------------


def _rate_label(rate: float) -> str:
    """``"0.5C"``, ``"2C"``: the nearest usual C-rate when within 5 %, else 2 significant digits."""
    usual = [0.05, 0.1, 0.2, 0.25, 1 / 3, 0.5, *range(1, 21)]
    nearest = min(usual, key=lambda u: abs(rate - u) / u)
    if abs(rate - nearest) <= 0.05 * nearest:
        return "C/3" if nearest == 1 / 3 else f"{nearest:g}C"
    return f"{rate:.2g}C"


def plot_rate(table: pd.DataFrame | Sequence[tuple[str, pd.DataFrame]]) -> Figure:
    """Block-mean discharge capacity vs cycle for a rate test, each block labelled by its C-rate.

    ``table`` is :func:`~lilean.analysis.rate.rate_table` output (or labelled ones). The capacity is
    specific [mAh/g] when every table has it.
    """
    sets = _labelled(table, (pd.DataFrame,))
    specific = all(t["Discharge capacity [mAh/g]"].notna().all() for _, t in sets)
    col = "Discharge capacity [mAh/g]" if specific else "Discharge capacity [mAh]"
    with paper_style():
        fig, ax = new_figure()
        top = 0.0
        for k, (label, t) in enumerate(sets):
            color = color_for(label, k)
            xs, ys = [], []
            for _, row in t.iterrows():
                cycles = list(row["Cycles"])
                xs += cycles
                ys += [float(row[col])] * len(cycles)
            ax.plot(xs, ys, "o", color=color, ms=3, label=label or None)
            top = max(top, float(np.nanmax(ys)) if ys else 0.0)
        first = sets[0][1]
        for _, row in first.iterrows():
            cycles = list(row["Cycles"])
            rate = float(row["C-rate"])
            text = (
                _rate_label(rate)
                if np.isfinite(rate)
                else f"{1e3 * float(row['Current [A]']):.2g} mA"
            )
            ax.annotate(
                text,
                xy=(0.5 * (cycles[0] + cycles[-1]), float(row[col])),
                xytext=(0, 5),
                textcoords="offset points",
                ha="center",
                fontsize=6,
            )
        ax.set_xlabel(CYCLE_LABEL)
        ax.set_ylabel(
            "Discharge capacity [mAh g$^{-1}$]" if specific else "Discharge capacity [mAh]"
        )
        ax.set_ylim(0, 1.15 * top if top > 0 else None)
        _legend(ax, [label for label, _ in sets])
    return fig


# ---- output -----------------------------------------------------------------------------------


def save_figure(
    fig: Figure, stem: str | Path, formats: Sequence[str] = ("png", "svg")
) -> list[Path]:
    """Write ``fig`` as ``<stem>.<format>`` for each format, atomically (temp file + rename).

    PNG at 300 dpi; SVG and PDF carry no creation date, so the same figure gives the same file.
    Returns the written paths.
    """
    stem = Path(stem)
    unknown = [f for f in formats if f not in SAVE_FORMATS]
    if unknown:
        raise LileanError(f"unknown figure format(s) {unknown}; expected some of {SAVE_FORMATS}")
    metadata: dict[str, dict[str, Any]] = {
        "png": {"Software": None},
        "svg": {"Date": None, "Creator": None},
        "pdf": {"CreationDate": None, "Creator": None, "Producer": None},
    }
    written: list[Path] = []
    with paper_style():
        for fmt in formats:
            path = stem.parent / f"{stem.name}.{fmt}"
            with atomic_output(path) as tmp:
                fig.savefig(tmp, format=fmt, dpi=DPI, metadata=metadata[fmt])
            written.append(path)
    return written


# ---- generic x-y --------------------------------------------------------------------------------


def plot_series(
    series: Sequence[tuple[str, Any, Any]],
    *,
    xlabel: str,
    ylabel: str,
    logx: bool = False,
    markers: bool = True,
    reference: Sequence[tuple[str, Any, Any]] = (),
) -> Figure:
    """Labelled y(x) curves in the paper style, e.g. nucleation overpotential vs current density.

    ``series`` are the model curves (lines with markers); ``reference`` are measured/published
    points drawn as open symbols in the same colour when their label matches a series.
    """
    with paper_style():
        fig, ax = new_figure()
        colors: dict[str, str] = {}
        for k, (label, x, y) in enumerate(series):
            colors[label] = color_for(label, k)
            ax.plot(x, y, "-o" if markers else "-", color=colors[label], ms=2.5, label=label)
        for k, (label, x, y) in enumerate(reference):
            color = colors.get(label, color_for(label, k))
            ax.plot(x, y, "s", mfc="none", color=color, ms=4, label=f"{label} (study)")
        if logx:
            ax.set_xscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.legend()
    return fig
