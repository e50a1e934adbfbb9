"""Calibrate the LFP electrode against the study's rate table at N/P = 25 (Ag@Cu anode).

Target: ``rate_np25`` in ``tests/data/targets.json`` (Zhang et al., ACS Appl. Energy Mater. 6 (2023)
6338): 156.5, 145.4, 132.8, 121.5, 113.4, 106.4 mAh/g at 0.5, 1, 2, 3, 4, 5 C, tolerance 5 %.

Protocol: the twin's own rate test (:func:`lilean.simulate.simulate_rate`, substrate ``ag-cu``, the
full Li-Ag@Cu || LFP cell with its anode model): 3 cycles at 0.5 C, then 5 cycles at each of 1-5 C;
constant-current charge to 4.2 V and discharge to 2.0 V at the same C-rate; the mean discharge
capacity of each block is compared (what ``lilean simulate rate`` reports).

Model: LFP particles with a lognormal distribution of electronic contact resistances (the
"resistive-reactant" picture of porous LFP electrodes: Thorat2011, Safari2011, Farkhondeh2011),
``cathode.particle_classes`` equal-volume classes sharing one electrode potential (Kirk2022), each
with spherical diffusion at the Prada2013 diffusivity. Free parameters (everything else keeps its
literature / measured value):

* ``cathode.particle_contact_resistance_ohm_m2`` (median contact resistance per particle surface)
  and ``cathode.particle_contact_resistance_log_sd`` (its lognormal width): the fall of the capacity
  with rate and its curvature;
* ``cathode.active_material_fraction`` (electronically connected LFP): the low-rate end (156.5 mAh/g
  at 0.5 C against 170 mAh/g theoretical).

The solid diffusivity is no longer fitted (Prada2013's 5.9e-18 m^2/s). The electrode-level contact
resistance is not fitted (``--profile`` shows the cost flat over 0-20 Ohm cm^2).

Run this after ``calibration/calibrate_cell.py`` has set the anode (the Ag@Cu anode resistance is
part of the rate test), then rerun ``calibrate_cell.py`` (its cathode loss of active material sees
this electrode); see docs/identifiability.md.

Cathode fade (``--fade``): ``cathode.loss_of_active_material_per_cycle`` refitted alone on
``full_cell_np25_1C_300cycles.ag-cu`` (81 % retention after 300 cycles at 1 C; the Li-Ag@Cu
reservoir lasts, so the gradual fade is the cathode's) with the anode as it is in ``anode.toml``: the
same target and definition as in ``calibration/calibrate_cell.py`` (which fits it together with the
Cu anode); this step only re-solves it after the electrode above changed.

Usage::

    python calibration/calibrate_cathode.py            # fit, print, write cathode.toml
    python calibration/calibrate_cathode.py --fade     # then also refit the cathode fade
    python calibration/calibrate_cathode.py --dry-run  # fit and print only
    python calibration/calibrate_cathode.py --profile  # also show the cost vs contact resistance
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import numpy as np
from scipy.optimize import least_squares

from lilean.parameters import ParameterSet, default_parameters
from lilean.simulate import simulate_rate

ROOT = Path(__file__).resolve().parents[1]
TARGETS = ROOT / "tests" / "data" / "targets.json"
TOML = ROOT / "src" / "lilean" / "parameters" / "sets" / "Zhang2023" / "cathode.toml"
SOURCE = (
    "calibration/calibrate_cathode.py against targets.json rate_np25 (Ag@Cu rate table, "
    "full twin); resistive-reactant LFP electrode after Thorat2011 and Safari2011"
)

# name -> (lower, upper) bound of the fitted variable; the contact resistance fitted as log10
BOUNDS = {
    "particle_contact_resistance_ohm_m2": (-2.0, 2.0),
    "particle_contact_resistance_log_sd": (0.1, 3.0),
    "active_material_fraction": (0.7, 1.0),
}
STARTS = ([0.3, 1.2, 0.97], [0.0, 0.8, 0.95], [0.6, 1.8, 0.99])


def load_targets(path: Path = TARGETS) -> tuple[np.ndarray, np.ndarray, float]:
    """C-rates, Ag@Cu discharge capacities [mAh/g] and the tolerance [%] of ``rate_np25``."""
    data = json.loads(path.read_text())["rate_np25"]
    return (
        np.asarray(data["c_rates"], dtype=float),
        np.asarray(data["ag-cu_discharge_mAh_g"], dtype=float),
        float(data["tol_percent"]),
    )


def with_values(
    base: ParameterSet, z: np.ndarray, contact_resistance_ohm_cm2: float | None = None
) -> ParameterSet:
    changes = {
        "cathode.particle_contact_resistance_ohm_m2": float(10.0 ** z[0]),
        "cathode.particle_contact_resistance_log_sd": float(z[1]),
        "cathode.active_material_fraction": float(z[2]),
    }
    if contact_resistance_ohm_cm2 is not None:
        changes["cathode.contact_resistance_ohm_cm2"] = float(contact_resistance_ohm_cm2)
    return base.replace(changes)


def model_capacities(params: ParameterSet, c_rates: np.ndarray) -> np.ndarray:
    """Mean discharge capacity [mAh/g] of each C-rate block of the twin's Ag@Cu rate test."""
    run = simulate_rate(
        params,
        "ag-cu",
        cathode_loading_mAh_cm2=0.4,
        li_inventory_mAh_cm2=10.0,
        c_rates=tuple(float(c) for c in c_rates),
    )
    return np.asarray(run.to_dict()["discharge_capacity_mAh_g"][: len(c_rates)], dtype=float)


def fit(
    base: ParameterSet | None = None, contact_resistance_ohm_cm2: float | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float]:
    """Least squares on the relative errors [%]; best of several starts. Returns (z, model, target,
    tolerance, cost)."""
    base = base or default_parameters()
    c_rates, target, tol = load_targets()

    def residual(z: np.ndarray) -> np.ndarray:
        trial = with_values(base, z, contact_resistance_ohm_cm2)
        return 100.0 * (model_capacities(trial, c_rates) / target - 1.0)

    lower = [b[0] for b in BOUNDS.values()]
    upper = [b[1] for b in BOUNDS.values()]
    best = None
    for z0 in STARTS:
        sol = least_squares(
            residual, z0, bounds=(lower, upper), x_scale=[0.3, 0.3, 0.05], diff_step=1e-3
        )
        if best is None or sol.cost < best.cost:
            best = sol
    assert best is not None
    z = best.x
    model = model_capacities(with_values(base, z, contact_resistance_ohm_cm2), c_rates)
    return z, model, target, tol, float(best.cost)


FADE_SOURCE = (
    "targets.json full_cell_np25_1C_300cycles.ag-cu (81 % retention after 300 cycles, a gradual "
    "decline: the Li-Ag@Cu reservoir lasts, so the fade is the cathode's); one factor shared by both "
    "substrates (same LFP electrode); plausibility: LFP in Li||LFP coin cells with excess Li and "
    "carbonate electrolyte loses a few 1e-4 of its capacity per cycle at 1C (Safari & Delacourt, "
    "J. Electrochem. Soc. 158, A1123 (2011)); fitted by calibration/calibrate_cell.py with the anode, "
    "refitted alone by calibration/calibrate_cathode.py --fade"
)


def fit_fade(base: ParameterSet | None = None) -> tuple[float, float]:
    """Loss of active material per cycle such that the Li-Ag@Cu N/P 25 cell keeps the target
    retention after 300 cycles at 1 C (brentq). Returns (value, retention at it [%])."""
    from scipy.optimize import brentq

    from lilean.simulate import simulate_cycling

    base = base or default_parameters()
    target = json.loads(TARGETS.read_text())["full_cell_np25_1C_300cycles"]["ag-cu"]

    def retention(lam: float) -> float:
        sim = simulate_cycling(
            base.replace({"cathode.loss_of_active_material_per_cycle": lam}),
            "ag-cu",
            cathode_loading_mAh_cm2=0.4,
            li_inventory_mAh_cm2=10.0,
            c_rate=1.0,
            cycles=300,
        )
        q = np.asarray(sim.to_dict()["discharge_capacity_mAh_g"], dtype=float)
        return float(100.0 * q[-1] / q[0])

    goal = float(target["retention_percent"])
    lam = float(brentq(lambda x: retention(x) - goal, 0.0, 2e-3, xtol=1e-7))
    return lam, retention(lam)


def write_fade(lam: float, path: Path = TOML) -> None:
    text = path.read_text()
    pattern = re.compile(r"^loss_of_active_material_per_cycle = \{.*\}$", re.MULTILINE)
    match = pattern.search(text)
    if match is None:
        raise SystemExit(f"{path}: no line for loss_of_active_material_per_cycle")
    line = (
        f'loss_of_active_material_per_cycle = {{ value = {lam:.6g}, unit = "1", '
        f'kind = "calibrated", source = {json.dumps(FADE_SOURCE)}, '
        'description = "LFP active-material loss per cycle" }'
    )
    path.write_text(text[: match.start()] + line + text[match.end() :])


def write_toml(z: np.ndarray, path: Path = TOML) -> None:
    """Replace the fitted lines of ``cathode.toml`` (value, kind, source), keep the rest."""
    values = {
        "particle_contact_resistance_ohm_m2": f"{10.0 ** z[0]:.4g}",
        "particle_contact_resistance_log_sd": f"{z[1]:.4f}",
        "active_material_fraction": f"{z[2]:.4f}",
    }
    text = path.read_text()
    for name, value in values.items():
        pattern = re.compile(rf"^{name} = \{{.*\}}$", re.MULTILINE)
        match = pattern.search(text)
        if match is None:
            raise SystemExit(f"{path}: no line for {name!r}")
        old = match.group(0)
        unit = re.search(r'unit = "([^"]*)"', old)
        desc = re.search(r'description = "([^"]*)"', old)
        line = (
            f'{name} = {{ value = {value}, unit = "{unit.group(1) if unit else ""}", '
            f'kind = "calibrated", source = "{SOURCE}", '
            f'description = "{desc.group(1) if desc else ""}" }}'
        )
        text = text[: match.start()] + line + text[match.end() :]
    path.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="fit and print, do not write")
    parser.add_argument(
        "--profile", action="store_true", help="refit at several contact resistances, print costs"
    )
    parser.add_argument(
        "--fade", action="store_true", help="then refit the cathode loss of active material"
    )
    args = parser.parse_args(argv)
    base = default_parameters()
    z, model, target, tol, cost = fit(base)
    c_rates, _, _ = load_targets()
    print(f"particle_contact_resistance_ohm_m2 = {10.0 ** z[0]:.4g}")
    print(f"particle_contact_resistance_log_sd = {z[1]:.4f}")
    print(f"active_material_fraction           = {z[2]:.4f}")
    print(
        f"contact_resistance_ohm_cm2 = {base.cathode.contact_resistance_ohm_cm2.value} (not fitted)"
    )
    print(" C-rate  target  model  error%")
    for c, t, m in zip(c_rates, target, model, strict=True):
        print(f" {c:6.1f} {t:7.1f} {m:6.1f} {100 * (m / t - 1):+7.2f}")
    worst = float(np.max(np.abs(model / target - 1.0)) * 100)
    print(f"worst error {worst:.2f} % (tolerance {tol} %), cost {cost:.3f}")
    if args.profile:
        for r_c in (0.0, 5.0, 20.0):
            zr, _, _, _, cost_r = fit(base, r_c)
            print(
                f"R_c = {r_c:5.1f} Ohm cm^2: r_med = {10.0 ** zr[0]:.3g} Ohm m^2, "
                f"sd = {zr[1]:.3f}, u = {zr[2]:.4f}, cost {cost_r:.3f}"
            )
    if not args.dry_run:
        write_toml(z)
        print(f"wrote {TOML}")
    if args.fade:
        lam, ret = fit_fade(with_values(base, z))
        print(f"loss_of_active_material_per_cycle = {lam:.6g} (Ag@Cu retention {ret:.2f} %)")
        if not args.dry_run:
            write_fade(lam)
            print(f"wrote {TOML}")
    return 0 if worst <= tol else 1


if __name__ == "__main__":
    sys.exit(main())
