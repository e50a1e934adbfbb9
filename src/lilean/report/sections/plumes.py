"""Ag plume growth (galvanic displacement + AgCuF3) and the AgF x time process map."""

from __future__ import annotations

from typing import Any

import pandas as pd

from lilean.report.engine import Context, is_number, param_rows, published, record
from lilean.report.html import Section

EXPERIMENT = "substrate_fabrication"
CALIBRATION = (
    "calibration target of plumes.coarsening_hop_rate_s (calibration/calibrate_plumes.py: "
    "optimum 1 wt% AgF, 2 min)"
)


def plume_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The process map's optimum against the study's (both were calibration targets)."""
    study = published()["substrate_fabrication"]
    best = frame.loc[frame["surface_area_factor"].astype(float).idxmax()]
    return [
        record(
            EXPERIMENT,
            "AgF concentration with the largest surface area (process map)",
            "wt%",
            float(best["agf_wt_percent"]),
            study["agf_wt_percent"],
            kind="calibrated",
            basis=CALIBRATION,
        ),
        record(
            EXPERIMENT,
            "immersion time with the largest surface area (process map)",
            "min",
            float(best["minutes"]),
            study["immersion_min"],
            kind="calibrated",
            basis=CALIBRATION,
        ),
    ]


def run(ctx: Context) -> Section:
    from lilean.models.plumes import grow_plumes, process_map
    from lilean.plotting.plumes import plot_plume_structure, plot_process_map

    section = Section(
        "plumes",
        "Ag plume growth and the AgF x time process map",
        setup="Cu immersed in aqueous AgF: Cu + 2 Ag+ -> Cu2+ + 2 Ag, with AgCuF3 precipitating "
        "where Cu2+, Ag+ and F- meet. Study: 1 wt% AgF for 2 min gives the largest surface area; "
        "less AgF or a shorter time leaves plumes incomplete, more or longer degrades them. The "
        "optimum was the calibration target of the coarsening rate: it is shown, not scored.",
        parameters=param_rows(ctx.params, ("plumes.",)),
    )
    size = (96,) if ctx.fast else (256,)
    result = grow_plumes(ctx.params, agf_wt_percent=1.0, minutes=2.0, size=size, dim=2, seed=0)
    structure_rows = [
        record("plumes_1wt_2min", k, "", float(v), None, kind="predicted")
        for k, v in result.to_dict().items()
        if is_number(v)
    ]
    section.figures.append(
        ctx.save(
            plot_plume_structure(result),
            "plumes_1wt_2min",
            f"Simulated Ag plume structure after 2 min in 1 wt% AgF (2D lattice, {size[0]} "
            "columns, seed 0): Ag, Cu and AgCuF3 voxels.",
            "the study's SEM images of Ag@Cu",
        )
    )
    wt = [0.25, 1.0, 4.0] if ctx.fast else [0.25, 0.5, 1.0, 2.0, 4.0]
    minutes = [0.5, 2.0, 8.0] if ctx.fast else [0.5, 1.0, 2.0, 4.0, 8.0]
    frame = process_map(ctx.params, agf_wt_percent=wt, minutes=minutes, size=size, dim=2, seed=0)
    ctx.save_table(frame, "plumes_process_map")
    section.figures.append(
        ctx.save(
            plot_process_map(frame),
            "plumes_process_map",
            f"Process map: surface-area factor of the simulated plumes for AgF {wt} wt% x "
            f"immersion {minutes} min (seed 0); the study's optimum is 1 wt%, 2 min.",
            "the study's SEM series over AgF concentration and immersion time",
        )
    )
    section.rows = plume_rows(frame) + structure_rows
    return section
