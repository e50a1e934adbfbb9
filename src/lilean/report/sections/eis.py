"""Impedance of the full cells after cycling, computed from the twin's state."""

from __future__ import annotations

from typing import Any

from lilean.report.engine import SUBSTRATE_LABELS, Context, param_rows, published, record
from lilean.report.html import Section


def run(ctx: Context) -> Section:
    from lilean.plotting.eis import plot_nyquist
    from lilean.report.interactive import nyquist_div
    from lilean.simulate import simulate_eis

    cycle_counts = [0, 100, 300] if ctx.fast else [0, 50, 100, 200, 300]
    section = Section(
        "eis",
        "Impedance after cycling (N/P = 25, 1C)",
        setup="Spectra 1e5 to 1e-2 Hz (10 per decade) of the Li || LFP cells after N cycles at "
        "1C, at 50 % state of charge, from the same state that drives the cycling model (SEI and "
        "dead Li on the anode, LFP kinetics and diffusion, electrolyte). Study: Li-Ag@Cu shows a "
        "smaller interfacial semicircle than Li-Cu. Measured spectra of other cells are in the "
        "measured-files section.",
        parameters=param_rows(ctx.params, ("substrates.", "cathode.", "cell.")),
    )
    final_r: dict[str, float] = {}
    for substrate in ("cu", "ag-cu"):
        spectra: list[tuple[str, Any]] = []
        for n in cycle_counts:
            sim = simulate_eis(ctx.params, substrate, cycles=n)
            spectra.append((f"{n} cycles", sim.data))
            final_r[substrate] = float(sim.interfacial_resistance_ohm_cm2)
            ctx.save_table(sim.data, f"eis_{substrate}_{n}cycles")
            section.rows.append(
                record(
                    "eis_np25_1C",
                    f"{substrate} interfacial resistance after {n} cycles",
                    "Ohm cm2",
                    float(sim.interfacial_resistance_ohm_cm2),
                    None,
                    kind="predicted",
                )
            )
        fig = plot_nyquist(spectra, color_values=cycle_counts, colorbar_label="cycle")
        section.figures.append(
            ctx.save(
                fig,
                f"eis_nyquist_{substrate}",
                f"Simulated Nyquist spectra of the {SUBSTRATE_LABELS[substrate]} || LFP cell "
                f"after {cycle_counts} cycles at 1C (colour: cycle number).",
                "the study's Nyquist-plot figure after cycling",
            )
        )
        section.interactive.append(
            nyquist_div(
                spectra,
                div_id=f"plotly-nyquist-{substrate}",
                title=f"{SUBSTRATE_LABELS[substrate]}: Nyquist after N cycles (zoomable)",
            )
        )
    section.rows.append(
        record(
            "full_cell_np25_1C_300cycles",
            published()["full_cell_np25_1C_300cycles"]["relations"][1]
            + f" (after {cycle_counts[-1]} cycles)",
            "",
            final_r["ag-cu"] < final_r["cu"],
            True,
            kind="qualitative",
        )
    )
    return section
