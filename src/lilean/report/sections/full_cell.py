"""Li || LFP, N/P = 25 (0.4 mAh/cm2), 1C, 300 cycles after 3 formation cycles at 0.5C."""

from __future__ import annotations

from typing import Any

import pandas as pd

from lilean.report.engine import (
    SUBSTRATE_LABELS,
    Context,
    NP25_LOADING_mAh_cm2,
    band_of,
    param_rows,
    published,
    record,
)
from lilean.report.html import Section

EXPERIMENT = "full_cell_np25_1C_300cycles"
#: the study's "collapse starts near cycle N" read as the first cycle below this retention
COLLAPSE_RETENTION_PERCENT = 95.0
CALIBRATION = "calibration target (calibration/calibrate_cell.py, full_cell_np25_1C_300cycles)"
FINAL_CAPACITY_BASIS = (
    "retention x first 1C capacity: both calibration targets (calibration/calibrate_cell.py, "
    "calibration/calibrate_cathode.py)"
)


def cycling(ctx: Context, substrate: str, loading: float, c_rate: float, cycles: int) -> Any:
    from lilean.simulate import simulate_cycling

    return simulate_cycling(
        ctx.params,
        substrate,
        cathode_loading_mAh_cm2=loading,
        li_inventory_mAh_cm2=ctx.params.cell.li_inventory_mAh_cm2.value,
        c_rate=c_rate,
        cycles=cycles,
    )


def measured_summaries(ctx: Context, cell_type: str | None) -> list[tuple[str, pd.DataFrame]]:
    """Per-cycle summaries (``Cycle``, ``Retention [%]``) of the measured cycling files of one
    cell type (None: all) with at least 3 complete cycles; retention = discharge capacity / that
    of the first complete cycle."""
    from lilean.analysis.cycling import cycle_summary
    from lilean.errors import LileanError

    out = []
    for m in ctx.measured_of("cycling"):
        if cell_type is not None and m.cell_type != cell_type:
            continue
        try:
            s = cycle_summary(m.data)
        except LileanError:
            continue
        s = s[s["Complete"].astype(bool)]
        q = s["Discharge capacity [mAh]"].astype(float)
        if len(s) < 3 or not q.iloc[0] > 0:
            continue
        frame = pd.DataFrame(
            {"Cycle": s["Cycle"].to_numpy(), "Retention [%]": (100.0 * q / q.iloc[0]).to_numpy()}
        )
        rel = m.path.relative_to(ctx.data_dir) if ctx.data_dir else m.path.name
        out.append((str(rel), frame))
    return out


def retention_figure(
    simulated: list[tuple[str, pd.DataFrame]], measured: list[tuple[str, pd.DataFrame]]
) -> Any:
    """Retention vs cycle: simulated lines, measured markers; legend outside the axes."""
    import matplotlib.pyplot as plt

    from lilean.plotting.style import paper_style

    with paper_style():
        fig, ax = plt.subplots(figsize=(7.5, 4.0))
        for k, (label, s) in enumerate(simulated):
            ax.plot(s["Cycle"], s["Retention [%]"], lw=2, color=f"C{k}", label=f"{label} (lilean)")
        markers = "osD^v<>ph*"
        for k, (label, s) in enumerate(measured):
            ax.plot(
                s["Cycle"],
                s["Retention [%]"],
                ls="none",
                ms=3,
                marker=markers[k % len(markers)],
                color=plt.get_cmap("tab10")((k + len(simulated)) % 10),
                label=f"{label} (measured)",
            )
        ax.set_xlabel("Cycle")
        ax.set_ylabel("Retention [%]")
        ax.legend()
    return fig


def run(ctx: Context) -> Section:
    from lilean.analysis.cycling import knee_cycle
    from lilean.plotting.figures import plot_cycle_summary, plot_voltage
    from lilean.report.interactive import cycling_div, profiles_div

    study = published()[EXPERIMENT]
    section = Section(
        "full-cell-np25",
        "Full cells Li || LFP, N/P = 25, 1C, 300 cycles",
        setup="LFP 0.4 mAh/cm2 against 10 mAh/cm2 Li on Cu or Ag@Cu, 2.0-4.2 V, 3 formation "
        "cycles at 0.5C then 300 cycles at 1C. Study: Li-Ag@Cu 124.5 mAh/g and 81 % retention "
        "after 300 cycles; Li-Cu collapses from about cycle 150 to 13.1 mAh/g (9 %). These "
        "retentions and the Li-Cu collapse were the calibration targets of the anode losses.",
        parameters=param_rows(ctx.params, ("cell.", "cathode.")),
    )
    summaries = []
    profiles = []
    gaps: dict[str, float] = {}
    for substrate in ("cu", "ag-cu"):
        sim = cycling(ctx, substrate, NP25_LOADING_mAh_cm2, 1.0, 300)
        s = sim.summary
        d = sim.to_dict()
        gap = s.loc[s["Complete"].astype(bool), "Voltage gap [V]"].astype(float)
        gaps[substrate] = float(gap.iloc[: min(len(gap), 100)].median() * 1e3)
        section.rows.append(
            record(
                EXPERIMENT,
                f"{substrate} charge/discharge mean-voltage gap (median of cycles 1-100)",
                "mV",
                gaps[substrate],
                None,
                kind="predicted",
            )
        )
        summaries.append((SUBSTRATE_LABELS[substrate], sim.summary))
        ctx.save_table(sim.summary, f"full_cell_np25_{substrate}_summary")
        ctx.save_table(sim.data, f"full_cell_np25_{substrate}")
        ref = study[substrate]
        section.rows += [
            record(
                EXPERIMENT,
                f"{substrate} final discharge capacity",
                "mAh/g",
                d["discharge_capacity_mAh_g"][-1],
                ref["final_discharge_mAh_g"],
                kind="calibrated",
                basis=FINAL_CAPACITY_BASIS,
            ),
            record(
                EXPERIMENT,
                f"{substrate} retention",
                "%",
                d["retention_percent"],
                ref["retention_percent"],
                100 * ref["tol_percent_points"] / ref["retention_percent"],
                kind="calibrated",
                basis=CALIBRATION,
            ),
        ]
        knee = knee_cycle(sim.summary)
        onset = knee_cycle(sim.summary, threshold_percent=COLLAPSE_RETENTION_PERCENT)
        study_onset = ref.get("collapse_starts_near_cycle")
        section.rows += [
            record(
                EXPERIMENT,
                f"{substrate} cycle below 80 % retention",
                "cycle",
                None if knee is None else float(knee),
                None,
                kind="predicted",
                band=band_of(d, "knee_cycle"),
            ),
            record(
                EXPERIMENT,
                f"{substrate} collapse onset (first cycle < 95 % retention)",
                "cycle",
                None if onset is None else float(onset),
                study_onset,
                kind="calibrated" if study_onset is not None else "predicted",
                basis=CALIBRATION if study_onset is not None else "",
            ),
        ]
        first = sim.formation_cycles + 1
        picks = [first, first + 99, first + 199, first + 299]
        profiles.append(
            (SUBSTRATE_LABELS[substrate], sim.data, picks, sim.run.active_mass_mg, first)
        )
    section.rows.append(
        record(
            EXPERIMENT,
            study["relations"][0],
            "",
            gaps["ag-cu"] < gaps["cu"],
            True,
            kind="qualitative",
        )
    )
    section.figures.append(
        ctx.save(
            plot_cycle_summary(summaries),
            "full_cell_np25_cycling",
            "Simulated discharge capacity and Coulombic efficiency of the Li-Cu and Li-Ag@Cu "
            "|| LFP cells (N/P = 25, 1C) over 300 cycles after formation.",
            "the study's N/P = 25 long-term cycling figure (1C)",
        )
    )
    measured = measured_summaries(ctx, "Li||LFP")
    if measured:
        section.figures.append(
            ctx.save(
                retention_figure(summaries, measured),
                "full_cell_np25_vs_measured",
                "Retention of the simulated N/P = 25 cells (lines) beside the measured Li || LFP "
                f"files of the data folder (markers: {', '.join(n for n, _ in measured)}); "
                "retention = discharge capacity / first complete cycle.",
                "the study's N/P = 25 long-term cycling figure (1C)",
            )
        )
        section.notes.append(
            "Measured Li || LFP files shown beside the simulation: "
            + ", ".join(label for label, _ in measured)
            + ". Files of other chemistries are in the measured-files section."
        )
    section.interactive.append(
        cycling_div(
            summaries,
            measured,
            div_id="plotly-np25-cycling",
            title="N/P = 25, 1C: retention vs cycle (zoomable)",
        )
    )

    def after_formation(protocol_cycles: list[int], first: int) -> list[int]:
        """Protocol cycles of the time series -> the report's numbering (1 = after formation)."""
        return [c - first + 1 for c in protocol_cycles]

    for label, data, picks, mass_mg, first in profiles:
        stem = label.replace("@", "").lower()
        section.figures.append(
            ctx.save(
                plot_voltage(data, x="capacity", cycles=picks),
                f"full_cell_np25_profiles_{stem}",
                f"Simulated charge/discharge profiles of the {label} || LFP cell at cycles "
                f"{after_formation(picks, first)} after formation (1C, N/P = 25; the legend "
                f"numbers them as the time series does, formation included: {picks}).",
                "the study's charge/discharge-profile figure of the N/P = 25 cells",
            )
        )
        section.interactive.append(
            profiles_div(
                data.data,
                picks,
                active_mass_mg=mass_mg,
                div_id=f"plotly-np25-profiles-{stem}",
                title=f"{label}: charge/discharge profiles at cycles "
                f"{after_formation(picks, first)} after formation (zoomable)",
            )
        )
    return section
