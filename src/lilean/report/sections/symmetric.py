"""Li || Li symmetric cells at 1 mA/cm2-1 mAh/cm2 (100 h) and 0.5-0.5 (320 h)."""

from __future__ import annotations

import math
from typing import Any

from lilean.report.engine import SUBSTRATE_LABELS, Context, param_rows, published, record
from lilean.report.html import Section

CALIBRATED = {
    ("cu", "1mA_1mAh"): "calibration target of cu.sei_resistivity (calibration/calibrate_cell.py: "
    "polarization doubles after ~60 h)",
    ("ag-cu", "0.5mA_0.5mAh"): "calibration target of ag-cu.sei_resistivity "
    "(calibration/calibrate_cell.py: stable for 320 h)",
}


def run(ctx: Context) -> Section:
    from lilean.plotting.figures import plot_symmetric
    from lilean.simulate import simulate_symmetric

    section = Section(
        "symmetric",
        "Symmetric cells",
        setup="Two identical electrodes pre-lithiated with 10 mAh/cm2 Li, plated/stripped "
        "alternately at 1 mA/cm2 for 1 mAh/cm2 per half-cycle (100 h) and at 0.5 mA/cm2 for "
        "0.5 mAh/cm2 (320 h). Study: Li-Cu polarization rises markedly after ~60 h with "
        "occasional shorts; Li-Ag@Cu stable for 100 h and for 320 h; Li-Ag@Cu below Li-Cu "
        "throughout. The Li-Cu 1 mA/cm2 failure and the Li-Ag@Cu 320 h stability were "
        "calibration targets; the other two conditions are predictions.",
        parameters=param_rows(ctx.params, ("substrates.cu.anode", "substrates.ag-cu.anode")),
    )
    targets = published()["symmetric"]
    asym: dict[str, list[float]] = {"cu": [], "ag-cu": []}
    always_lower = []
    for j, q, hours, tkey in ((1.0, 1.0, 100.0, "1mA_1mAh"), (0.5, 0.5, 320.0, "0.5mA_0.5mAh")):
        runs = []
        results: dict[str, Any] = {}
        exp = f"symmetric_{j:g}mA_{q:g}mAh"
        for substrate in ("cu", "ag-cu"):
            sim = simulate_symmetric(ctx.params, substrate, j, q, hours)
            runs.append((SUBSTRATE_LABELS[substrate], sim.data, sim.result))
            results[substrate] = sim.result
            asym[substrate] += [
                abs(float(c.asymmetry_mV))
                for c in sim.result.cycles
                if c.asymmetry_mV is not None and math.isfinite(c.asymmetry_mV)
            ]
            ctx.save_table(sim.data, f"symmetric_{substrate}_{j:g}mA_{q:g}mAh")
            d = sim.to_dict()
            pol = d["polarization_mV"]
            basis = CALIBRATED.get((substrate, tkey), "")
            section.rows += [
                record(
                    exp, f"{substrate} initial polarization", "mV", pol[0], None, kind="predicted"
                ),
                record(
                    exp, f"{substrate} final polarization", "mV", pol[-1], None, kind="predicted"
                ),
                record(
                    exp,
                    f"{substrate} failure time (2x polarization)",
                    "h",
                    d["failure_h"],
                    None,
                    kind="calibrated" if basis else "predicted",
                    basis=basis,
                ),
                record(
                    exp,
                    f"{substrate} short circuit",
                    "h",
                    d["short_circuit_h"],
                    None,
                    kind="predicted",
                ),
            ]
        cu, ag = results["cu"], results["ag-cu"]
        ag_stable = ag.failure_h is None or ag.failure_h >= hours
        ag_basis = CALIBRATED.get(("ag-cu", tkey), "")
        section.rows.append(
            record(
                exp,
                "test duration (protocol)",
                "h",
                ag.duration_h,
                targets[tkey]["hours"],
                kind="input",
            )
        )
        section.rows.append(
            record(
                exp,
                f"ag-cu stable for {hours:g} h",
                "",
                bool(ag_stable),
                True,
                kind="calibrated" if ag_basis else "qualitative",
                basis=ag_basis,
            )
        )
        if tkey == "1mA_1mAh":
            section.rows.append(
                record(
                    exp,
                    "cu polarization rises markedly (failure time)",
                    "h",
                    cu.failure_h,
                    60.0,
                    kind="calibrated",
                    basis=CALIBRATED[("cu", tkey)],
                )
            )
        cu_fail = cu.failure_h if cu.failure_h is not None else math.inf
        ag_fail = ag.failure_h if ag.failure_h is not None else math.inf
        section.rows.append(
            record(
                exp,
                f"cu fails earlier than ag-cu ({j:g} mA/cm2, {q:g} mAh/cm2)",
                "",
                bool(cu_fail < ag_fail),
                True,
                kind="qualitative",
            )
        )
        pol = {
            s: {c.cycle: c.polarization_mV for c in r.cycles if c.polarization_mV is not None}
            for s, r in results.items()
        }
        common = sorted(set(pol["cu"]) & set(pol["ag-cu"]))
        always_lower.append(all(pol["ag-cu"][c] < pol["cu"][c] for c in common))
        section.figures.append(
            ctx.save(
                plot_symmetric(runs),
                f"symmetric_{j:g}mA_{q:g}mAh",
                f"Simulated voltage of Li-Cu and Li-Ag@Cu symmetric cells at {j:g} mA/cm2, "
                f"{q:g} mAh/cm2 per half-cycle, {hours:g} h (axis set by the bulk of the data; "
                "short spikes clipped).",
                f"the study's symmetric-cell figure at {j:g} mA/cm2 / {q:g} mAh/cm2",
            )
        )
    mean_asym = {s: (sum(v) / len(v) if v else math.nan) for s, v in asym.items()}
    relations = targets["relations"]
    section.rows += [
        record("symmetric", relations[0], "", bool(all(always_lower)), True, kind="qualitative"),
        record(
            "symmetric",
            "cu mean |stripping - plating overpotential|",
            "mV",
            mean_asym["cu"],
            None,
            kind="predicted",
        ),
        record(
            "symmetric",
            "ag-cu mean |stripping - plating overpotential|",
            "mV",
            mean_asym["ag-cu"],
            None,
            kind="predicted",
        ),
        record(
            "symmetric",
            relations[1] + " (cu |asymmetry| > ag-cu)",
            "",
            bool(mean_asym["cu"] > mean_asym["ag-cu"]),
            True,
            kind="qualitative",
        ),
    ]
    section.notes.append(
        "Failure and short times are predictions from the anode model except where marked "
        "calibrated; the study reports them qualitatively (Li-Cu rising after ~60 h at 1 mA/cm2, "
        "Li-Ag@Cu stable 100 h / 320 h)."
    )
    return section
