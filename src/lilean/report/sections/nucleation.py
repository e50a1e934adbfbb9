"""Li || substrate galvanostatic deposition: dip, plateau, overpotential vs current density."""

from __future__ import annotations

import itertools

from lilean.report.engine import SUBSTRATE_LABELS, Context, param_rows, published, record
from lilean.report.html import Section

EXPERIMENT = "nucleation_1mA_cm2"
CALIBRATION = "calibration target (calibration/calibrate_nucleation.py, nucleation_1mA_cm2)"


def run(ctx: Context) -> Section:
    from lilean.plotting.figures import plot_deposition, plot_series
    from lilean.simulate import simulate_nucleation

    study = published()["nucleation_1mA_cm2"]
    section = Section(
        "nucleation",
        "Li nucleation on Cu and Ag@Cu",
        setup="Li || substrate cells, galvanostatic Li deposition at 1 mA/cm2 (and 0.1-5 mA/cm2 "
        "as a prediction). The potential dips (nucleation barrier) and recovers to the growth "
        "plateau; nucleation overpotential = plateau - dip. The 1 mA/cm2 numbers were the "
        "calibration targets of the nucleation model; the trend with current density is not.",
        parameters=param_rows(ctx.params, ("substrates.cu.nucleation", "substrates.ag-cu.nucl")),
    )
    transients = []
    at_1mA: dict[str, float] = {}
    for substrate in ("cu", "ag-cu"):
        sim = simulate_nucleation(ctx.params, substrate, 1.0)
        r = sim.result
        transients.append((SUBSTRATE_LABELS[substrate], sim.data))
        ctx.save_table(sim.data, f"nucleation_{substrate}_1mA")
        ref = study[substrate]
        at_1mA[substrate] = float(r.nucleation_overpotential_mV)
        for quantity, value in (
            ("dip_mV", r.dip_mV),
            ("plateau_mV", r.plateau_mV),
            ("nucleation_overpotential_mV", r.nucleation_overpotential_mV),
        ):
            section.rows.append(
                record(
                    EXPERIMENT,
                    f"{substrate} {quantity.removesuffix('_mV')}",
                    "mV",
                    float(value),
                    float(ref[quantity]),
                    100 * ref["tol_mV"] / abs(ref[quantity]),
                    kind="calibrated",
                    basis=CALIBRATION,
                )
            )
    section.figures.append(
        ctx.save(
            plot_deposition(transients),
            "nucleation_transients",
            "Simulated potential of Li || Cu and Li || Ag@Cu cells during Li deposition at "
            "1 mA/cm2: the dip (nucleation barrier) and the growth plateau.",
            "the study's nucleation-transient figure (1 mA/cm2)",
        )
    )
    measured = ctx.measured_of("deposition", "Li||Cu")
    if measured:
        overlay = transients + [(f"measured {m.path.name}", m.data) for m in measured]
        section.figures.append(
            ctx.save(
                plot_deposition(overlay),
                "nucleation_transients_vs_measured",
                "Simulated transients at 1 mA/cm2 beside the measured Li-deposition transients "
                f"of the data folder ({', '.join(m.path.name for m in measured)}; their cells "
                "and currents are their own).",
                "the study's nucleation-transient figure",
            )
        )
        section.notes.append(
            "Measured deposition transients overlaid: " + ", ".join(m.path.name for m in measured)
        )
    densities = [0.2, 1.0, 5.0] if ctx.fast else [0.1, 0.2, 0.5, 1.0, 2.0, 5.0]
    curves = []
    rises: dict[str, float] = {}
    for substrate in ("cu", "ag-cu"):
        # the same settings as the 1 mA/cm2 transient, so 1 mA/cm2 shows one value everywhere
        eta = [
            at_1mA[substrate]
            if j == 1.0
            else float(
                simulate_nucleation(ctx.params, substrate, j).result.nucleation_overpotential_mV
            )
            for j in densities
        ]
        curves.append((SUBSTRATE_LABELS[substrate], densities, eta))
        rises[substrate] = float(eta[-1] - eta[0])
        section.rows.append(
            record(
                EXPERIMENT,
                f"{substrate}: nucleation overpotential increases with current density",
                "",
                bool(all(b > a for a, b in itertools.pairwise(eta))),
                True,
                kind="qualitative",
                basis="not fitted (calibration/calibrate_nucleation.py)",
            )
        )
        for j, e in zip(densities, eta, strict=True):
            section.rows.append(
                record(
                    "nucleation_vs_current",
                    f"{substrate} at {j:g} mA/cm2",
                    "mV",
                    e,
                    None,
                    kind="calibrated" if j == 1.0 else "predicted",
                    basis=CALIBRATION if j == 1.0 else "",
                )
            )
    section.rows.append(
        record(
            EXPERIMENT,
            f"increase {densities[0]:g} -> {densities[-1]:g} mA/cm2 steeper on cu than on ag-cu",
            "",
            rises["cu"] > rises["ag-cu"],
            True,
            kind="qualitative",
            basis="not fitted (calibration/calibrate_nucleation.py)",
        )
    )
    refs = [
        (SUBSTRATE_LABELS[s], [1.0], [study[s]["nucleation_overpotential_mV"]])
        for s in ("cu", "ag-cu")
    ]
    fig = plot_series(
        curves,
        xlabel="Current density [mA cm$^{-2}$]",
        ylabel="Nucleation overpotential [mV]",
        logx=True,
        reference=refs,
    )
    section.figures.append(
        ctx.save(
            fig,
            "nucleation_overpotential_vs_current",
            f"Simulated nucleation overpotential against current density ({densities} mA/cm2); "
            "markers: the study's values at 1 mA/cm2 (calibration targets).",
            "the study's figure of nucleation overpotential vs current density",
        )
    )
    return section
