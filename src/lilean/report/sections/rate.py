"""The study's rate test at N/P = 25 for both anodes (Li-Cu is held back: a blind prediction)."""

from __future__ import annotations

from lilean.report.engine import (
    SUBSTRATE_LABELS,
    Context,
    NP25_LOADING_mAh_cm2,
    param_rows,
    published,
    record,
)
from lilean.report.html import Section

CALIBRATION = "calibration target of the cathode (calibration/calibrate_cathode.py, rate_np25)"


def run(ctx: Context) -> Section:
    from lilean.plotting.figures import plot_rate
    from lilean.simulate import simulate_rate

    study = published()["rate_np25"]
    section = Section(
        "rate",
        "Rate capability, N/P = 25",
        setup="3 cycles at 0.5C, then 5 cycles each at 1, 2, 3, 4, 5C, then back to 1C "
        "(charge and discharge at the same rate, 2.0-4.2 V). The Li-Ag@Cu capacities were the "
        "calibration targets of the cathode; the study's Li-Cu rate capability is held back for "
        "blind validation: lilean's values are predictions.",
        parameters=param_rows(ctx.params, ("cathode.", "cell.")),
    )
    tables = []
    for substrate in ("ag-cu", "cu"):
        sim = simulate_rate(
            ctx.params,
            substrate,
            cathode_loading_mAh_cm2=NP25_LOADING_mAh_cm2,
            li_inventory_mAh_cm2=ctx.params.cell.li_inventory_mAh_cm2.value,
        )
        tables.append((SUBSTRATE_LABELS[substrate], sim.table))
        d = sim.to_dict()
        if substrate == "ag-cu":
            for k, (c_sim, c_ref) in enumerate(zip(d["c_rate"], study["c_rates"], strict=False)):
                section.rows.append(
                    record(
                        "rate_np25", f"C-rate of block {k + 1}", "1/h", c_sim, c_ref, kind="input"
                    )
                )
        refs = study["ag-cu_discharge_mAh_g"] if substrate == "ag-cu" else None
        for k, (c, q) in enumerate(zip(d["c_rate"], d["discharge_capacity_mAh_g"], strict=True)):
            recovery = k >= len(study["c_rates"])
            quantity = f"{substrate} at {c:g}C" + (" (recovery)" if recovery else "")
            if refs is not None and k < len(refs):
                row = record(
                    "rate_np25",
                    quantity,
                    "mAh/g",
                    q,
                    refs[k],
                    study["tol_percent"],
                    kind="calibrated",
                    basis=CALIBRATION,
                )
            else:
                row = record(
                    "rate_np25" if substrate == "ag-cu" else "rate_np25_prediction",
                    quantity,
                    "mAh/g",
                    q,
                    None,
                    kind="predicted",
                    held_back=substrate == "cu" and not recovery,
                )
            section.rows.append(row)
    section.figures.append(
        ctx.save(
            plot_rate(tables),
            "rate_np25",
            "Simulated discharge capacity per cycle of the rate test (0.5C to 5C and back to "
            "1C) for Li-Ag@Cu (calibration target) and Li-Cu (blind prediction), N/P = 25.",
            "the study's rate-capability figure",
        )
    )
    return section
