"""Blind prediction: N/P = 10 (1.0 mAh/cm2 LFP), 80 cycles at 1C and at 2C."""

from __future__ import annotations

from lilean.report.engine import (
    SUBSTRATE_LABELS,
    Context,
    NP10_LOADING_mAh_cm2,
    band_of,
    param_rows,
    record,
)
from lilean.report.html import Section
from lilean.report.sections.full_cell import cycling


def run(ctx: Context) -> Section:
    from lilean.plotting.figures import plot_cycle_summary

    section = Section(
        "np10",
        "Prediction: N/P = 10, 80 cycles at 1C and 2C",
        setup="LFP 1.0 mAh/cm2 against 10 mAh/cm2 Li. The study's results are held back for "
        "blind validation; these are lilean's predictions from parameters calibrated on the rest.",
        parameters=param_rows(ctx.params, ("substrates.", "cathode.", "cell.")),
    )
    for c_rate in (1.0, 2.0):
        summaries = []
        exp = f"np10_{c_rate:g}C_80cycles"
        for substrate in ("cu", "ag-cu"):
            sim = cycling(ctx, substrate, NP10_LOADING_mAh_cm2, c_rate, 80)
            d = sim.to_dict()
            summaries.append((SUBSTRATE_LABELS[substrate], sim.summary))
            ctx.save_table(sim.summary, f"np10_{c_rate:g}C_{substrate}_summary")
            section.rows += [
                record(
                    exp,
                    f"{substrate} retention",
                    "%",
                    d["retention_percent"],
                    None,
                    kind="predicted",
                    band=band_of(d, "retention_percent"),
                    held_back=True,
                ),
                record(
                    exp,
                    f"{substrate} final discharge capacity",
                    "mAh/g",
                    d["discharge_capacity_mAh_g"][-1],
                    None,
                    kind="predicted",
                    band=band_of(d, "final_discharge_capacity_mAh_g"),
                    held_back=True,
                ),
            ]
        section.figures.append(
            ctx.save(
                plot_cycle_summary(summaries),
                f"np10_{c_rate:g}C",
                f"Predicted discharge capacity and Coulombic efficiency of N/P = 10 cells "
                f"(1.0 mAh/cm2 LFP) over 80 cycles at {c_rate:g}C (blind prediction).",
                "held back by the study for blind validation",
            )
        )
    return section
