"""Cell build and test conditions: the parameter set against the study's numbers (inputs)."""

from __future__ import annotations

import math
from typing import Any

from lilean.report.engine import (
    PARAMETER_KIND_TO_RECORD,
    Context,
    NP10_LOADING_mAh_cm2,
    NP25_LOADING_mAh_cm2,
    param_rows,
    published,
    record,
)
from lilean.report.html import Section

EXPERIMENT = "cell"


def _param_kind(ctx: Context, name: str) -> tuple[str, str]:
    """Record kind and basis of a cell parameter from its kind in the parameter set."""
    p = ctx.params.flat()[f"cell.{name}"]
    kind = PARAMETER_KIND_TO_RECORD.get(p.kind, "input")
    return kind, (p.source if kind == "assumed" else "")


def run(ctx: Context) -> Section:
    study = published()["cell"]
    c = ctx.params.cell
    diameter_mm = c.electrode_diameter_mm.value
    li = c.li_inventory_mAh_cm2.value
    section = Section(
        "cell",
        "Cells: build and test conditions",
        setup="12 mm electrode disks, 10 mAh/cm2 Li electrodeposited at 1 mA/cm2 on Cu or Ag@Cu, "
        "LFP:acetylene black:PVDF 80:10:10 on Al (1C = 170 mA/g) at 0.4 mAh/cm2 (N/P = 25) and "
        "1.0 mAh/cm2 (N/P = 10), 50 uL 1 M LiPF6 in EC:EMC, Celgard 2400, CR2025, 25 C, "
        "2.0-4.2 V, 3 formation cycles at 0.5C. These are inputs of the simulation (they match "
        "the study by construction) or assumptions where the study is not legible.",
        parameters=param_rows(ctx.params, ("cell.",)),
    )

    def par(quantity: str, unit: str, name: str, study_value: Any) -> dict[str, Any]:
        kind, basis = _param_kind(ctx, name)
        value = getattr(c, name).value
        return record(EXPERIMENT, quantity, unit, value, study_value, kind=kind, basis=basis)

    rows = [
        par("electrode diameter", "mm", "electrode_diameter_mm", study["electrode_diameter_mm"]),
        par("electrode area", "cm2", "electrode_area_cm2", study["electrode_area_cm2"]),
        record(
            EXPERIMENT,
            "electrode area from the diameter (pi d^2 / 4)",
            "cm2",
            math.pi * (0.1 * diameter_mm) ** 2 / 4.0,
            study["electrode_area_cm2"],
            kind="input",
            basis="derived from the input diameter",
        ),
        par("Li inventory", "mAh/cm2", "li_inventory_mAh_cm2", study["li_inventory_mAh_cm2"]),
        par(
            "LFP specific capacity defining 1C",
            "mA/g",
            "lfp_specific_capacity_mAh_g",
            study["lfp_specific_capacity_1C_mA_g"],
        ),
    ]
    loadings = (NP25_LOADING_mAh_cm2, NP10_LOADING_mAh_cm2)
    for q, ref_q, np_ref in zip(
        loadings, study["lfp_loading_mAh_cm2"], study["np_ratio"], strict=True
    ):
        rows.append(
            record(
                EXPERIMENT,
                f"LFP loading (N/P {np_ref:g} cells)",
                "mAh/cm2",
                q,
                ref_q,
                kind="input",
            )
        )
        rows.append(
            record(
                EXPERIMENT,
                f"N/P ratio = Li / LFP at {q:g} mAh/cm2",
                "1",
                li / q,
                np_ref,
                kind="input",
                basis="derived from the input loadings",
            )
        )
    comp = study["cathode_composition_wt"]
    rows += [
        par("LFP weight fraction", "1", "lfp_mass_fraction", comp["LFP"]),
        record(
            EXPERIMENT,
            "acetylene black weight fraction (not a model parameter)",
            "1",
            None,
            comp["acetylene_black"],
            kind="input",
        ),
        record(
            EXPERIMENT,
            "PVDF weight fraction (not a model parameter)",
            "1",
            None,
            comp["PVDF"],
            kind="input",
        ),
        par("lower cut-off", "V", "lower_cutoff_V", study["voltage_window_V"][0]),
        par("upper cut-off", "V", "upper_cutoff_V", study["voltage_window_V"][1]),
        par("formation cycles", "1", "formation_cycles", study["formation"]["cycles"]),
        par("formation C-rate", "1/h", "formation_c_rate", study["formation"]["c_rate"]),
        par("electrolyte volume", "uL", "electrolyte_volume_uL", study["electrolyte_uL"]),
        par("temperature", "degC", "temperature_C", study["temperature_C"]),
    ]
    section.rows = rows
    return section
