"""Numerical convergence of the twin: how far its default time steps and particle classes are from
the converged answer.

The full cell takes ``steps_per_half_cycle`` (default 60) equal constant-current sub-steps per
nominal half-cycle (backward Euler; the cut-off is found exactly inside the last one), the
half-cell discharge 200 steps per nominal discharge. This script reruns the study's cells at
coarser and finer steps with the same parameters and seed and prints, per quantity, the value at
each resolution and its change from the default to the finest one: the numerical uncertainty of
the numbers the twin prints. The calibration scripts run at the defaults, so calibrated values
absorb the default's discretisation error for their targets; a prediction for another cell carries
the difference of its own error from the calibrated one's.

Particle classes: the LFP electrode's lognormal contact-resistance population is represented by
``cathode.particle_classes`` (default 12) equal-volume quantile classes; the rate table of the
half cell is recomputed with 6, 12 and 24 quantile classes and with Gauss-Hermite nodes (4-8, the
quadrature of smooth integrands) against 48 quantile classes. Nothing is tuned; no target is read.

Run from the repository root::

    .venv/bin/python calibration/numerical_convergence.py [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

import numpy as np
from numpy.polynomial.hermite_e import hermegauss

from lilean.models import cathode as cm
from lilean.parameters import default_parameters
from lilean.simulate import simulate_cycling

#: full-cell sub-steps per nominal half-cycle (the default 60 second)
FULL_CELL_STEPS = (30, 60, 120, 240)
#: half-cell steps per nominal discharge (the default 200 second)
HALF_CELL_STEPS = (100, 200, 800, 3200)
#: (label, substrate, LFP loading mAh/cm^2, C-rate, cycles at that rate)
CELLS = (
    ("Li-Cu N/P 25, 1C x 300", "cu", 0.4, 1.0, 300),
    ("Li-Ag@Cu N/P 25, 1C x 300", "ag-cu", 0.4, 1.0, 300),
    ("Li-Cu N/P 10, 1C x 80 (blind)", "cu", 1.0, 1.0, 80),
    ("Li-Cu N/P 10, 2C x 80 (blind)", "cu", 1.0, 2.0, 80),
)


def full_cell_table() -> list[dict[str, Any]]:
    """First discharge after formation [mAh/g] and final retention [%] per cell and resolution."""
    params = default_parameters()
    rows = []
    for label, substrate, loading, c_rate, cycles in CELLS:
        for steps in FULL_CELL_STEPS:
            sim = simulate_cycling(
                params, substrate, cathode_loading_mAh_cm2=loading, li_inventory_mAh_cm2=10.0,
                c_rate=c_rate, cycles=cycles, formation_cycles=3, steps_per_half_cycle=steps,
            )  # fmt: skip
            summary = sim.summary
            after = summary[summary["Cycle"] > sim.formation_cycles]
            rows.append(
                {
                    "cell": label,
                    "steps_per_half_cycle": steps,
                    "first_discharge_mAh_g": float(after["Discharge capacity [mAh/g]"].iloc[0]),
                    "retention_percent": sim.to_dict()["retention_percent"],
                }
            )
    return rows


def half_cell_table() -> list[dict[str, Any]]:
    """Li || LFP half-cell discharge capacity [mAh/g] (default electrode) per C-rate and resolution."""
    params = default_parameters()
    loading = params.cell.cathode_loading_mAh_cm2.value
    mass_g = loading / params.cell.lfp_specific_capacity_mAh_g.value
    rows = []
    for c_rate in (1.0, 5.0):
        for steps in HALF_CELL_STEPS:
            data = cm.simulate_half_cell_discharge(
                params, c_rate, dt_s=3600.0 / c_rate / steps, cathode_loading_mAh_cm2=loading
            ).data
            q_mAh_cm2 = (
                float(data["Discharge capacity [mAh]"].max()) / params.cell.electrode_area_cm2.value
            )
            rows.append(
                {
                    "c_rate": c_rate,
                    "steps_per_discharge": steps,
                    "discharge_mAh_g": q_mAh_cm2 / mass_g,
                }
            )
    return rows


#: C-rates of the class table (the study's rate test) and its half-cell steps per discharge
CLASS_C_RATES = (0.5, 1.0, 2.0, 3.0, 4.0, 5.0)
CLASS_STEPS = 400
#: (label, number of classes, node rule) of the class table; the first is the reference
CLASS_RULES = (
    ("48 quantile classes (reference)", 48, "quantile"),
    ("6 quantile classes", 6, "quantile"),
    ("12 quantile classes (default)", 12, "quantile"),
    ("24 quantile classes", 24, "quantile"),
    ("4 Gauss-Hermite nodes", 4, "gauss-hermite"),
    ("6 Gauss-Hermite nodes", 6, "gauss-hermite"),
    ("8 Gauss-Hermite nodes", 8, "gauss-hermite"),
)


def _gauss_hermite_vector(params: Any, n_nodes: int) -> np.ndarray:
    """The cathode vector with the contact-resistance lognormal on Gauss-Hermite nodes (volume
    fractions = the normalised weights) instead of equal-volume quantiles; derived entries
    (surface sum and shares) recomputed."""
    p = cm.cathode_parameter_vector(params, particle_classes=n_nodes)
    z, weight = hermegauss(n_nodes)
    weight = weight / weight.sum()
    c = params.cathode.values()
    for k in range(n_nodes):
        p[cm.IDX_CLASSES + 3 * k] = weight[k]
        p[cm.IDX_CLASSES + 3 * k + 2] = c["particle_contact_resistance_ohm_m2"] * math.exp(
            c["particle_contact_resistance_log_sd"] * z[k]
        )
    surface = (
        p[cm.IDX_CLASSES : cm.IDX_CLASSES + 3 * n_nodes : 3]
        / p[cm.IDX_CLASSES + 1 : cm.IDX_CLASSES + 3 * n_nodes : 3]
    )
    p[cm.IDX_SURFACE_WEIGHT_SUM] = float(surface.sum())
    p[cm.IDX_CLASSES + 3 * n_nodes : cm.IDX_CLASSES + 4 * n_nodes] = surface / surface.sum()
    return p


def class_table() -> list[dict[str, Any]]:
    """Half-cell discharge capacity [mAh] at the rate test's C-rates per class rule."""
    params = default_parameters()
    rows = []
    for label, n, rule in CLASS_RULES:
        if rule == "quantile":
            p = cm.cathode_parameter_vector(params, particle_classes=n)
        else:
            p = _gauss_hermite_vector(params, n)
        caps = []
        for c_rate in CLASS_C_RATES:
            data = cm.simulate_half_cell_discharge(
                params, c_rate, p=p.copy(), dt_s=3600.0 / c_rate / CLASS_STEPS
            ).data
            caps.append(float(data["Discharge capacity [mAh]"].max()))
        rows.append({"rule": label, "classes": n, "capacity_mAh": caps})
    return rows


def _change(values: list[float]) -> str:
    default, finest = values[1], values[-1]
    return f"{default - finest:+.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="also write the tables to this JSON file")
    args = parser.parse_args(argv)
    full = full_cell_table()
    half = half_cell_table()
    head = " | ".join(str(s) for s in FULL_CELL_STEPS)
    print(f"| full cell (seed 0) | quantity | {head} | default - finest |")
    print("|---|---|" + "---|" * len(FULL_CELL_STEPS) + "---|")
    for label, *_ in CELLS:
        rows = [r for r in full if r["cell"] == label]
        for key, name in (
            ("first_discharge_mAh_g", "1st discharge after formation [mAh/g]"),
            ("retention_percent", "retention at the end [%]"),
        ):
            vals = [float(r[key]) for r in rows]
            cells = " | ".join(f"{v:.2f}" for v in vals)
            print(f"| {label} | {name} | {cells} | {_change(vals)} |")
    head = " | ".join(str(s) for s in HALF_CELL_STEPS)
    print()
    print(f"| half cell | quantity | {head} | default - finest |")
    print("|---|---|" + "---|" * len(HALF_CELL_STEPS) + "---|")
    for c_rate in (1.0, 5.0):
        vals = [r["discharge_mAh_g"] for r in half if r["c_rate"] == c_rate]
        cells = " | ".join(f"{v:.2f}" for v in vals)
        print(f"| {c_rate:g}C discharge | capacity [mAh/g] | {cells} | {_change(vals)} |")
    classes = class_table()
    ref = np.array(classes[0]["capacity_mAh"])
    head = " | ".join(f"{c:g}C" for c in CLASS_C_RATES)
    print()
    print(f"| half-cell rate test, {CLASS_STEPS} steps | {head} |")
    print("|---|" + "---|" * len(CLASS_C_RATES))
    print(f"| {classes[0]['rule']} [mAh] | " + " | ".join(f"{v:.4f}" for v in ref) + " |")
    for r in classes[1:]:
        err = 100.0 * (np.array(r["capacity_mAh"]) - ref) / ref
        print(f"| {r['rule']}: error [%] | " + " | ".join(f"{e:+.2f}" for e in err) + " |")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"full_cell": full, "half_cell": half, "classes": classes}, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
