"""Blind predictions (not calibrated on): Li-Cu rate capability (N/P = 25) and N/P = 10 cells.

N/P = 10: 1.0 mAh/cm^2 LFP against 10 mAh/cm^2 Li, 3 formation cycles at 0.5 C then 80 cycles at 1 C
and at 2 C, both substrates. Parameters: the embedded Zhang2023 set as calibrated by
``calibration/calibrate_cell.py``. Run from the repository root::

    .venv/bin/python calibration/predict_blind.py [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from lilean.parameters import default_parameters
from lilean.simulate import simulate_cycling, simulate_rate


def predictions(seeds: tuple[int, ...] = (0, 1, 2, 3, 4)) -> dict:
    """Predictions for seed ``seeds[0]`` plus, for the N/P = 10 cells, the spread over ``seeds``
    (heterogeneity and short thresholds are drawn per seed)."""
    params = default_parameters()
    out: dict = {"rate_np25": {}, "np10_80cycles": {}}
    for substrate in ("cu", "ag-cu"):
        rate = simulate_rate(
            params, substrate, cathode_loading_mAh_cm2=0.4, li_inventory_mAh_cm2=10.0, seed=seeds[0]
        ).to_dict()
        out["rate_np25"][substrate] = rate
        for c_rate in (1.0, 2.0):
            runs = []
            for seed in seeds:
                sim = simulate_cycling(
                    params,
                    substrate,
                    cathode_loading_mAh_cm2=1.0,
                    li_inventory_mAh_cm2=10.0,
                    c_rate=c_rate,
                    cycles=80,
                    seed=seed,
                )
                d = sim.to_dict()
                shorted = sim.summary["Cycle"][sim.summary["Shorted"].astype(bool)]
                runs.append(
                    {
                        "seed": seed,
                        "first_discharge_mAh_g": d["discharge_capacity_mAh_g"][0],
                        "final_discharge_mAh_g": d["discharge_capacity_mAh_g"][-1],
                        "retention_percent": d["retention_percent"],
                        "li_remaining_mAh_cm2": d["li_remaining_mAh_cm2"][-1],
                        "short_at_cycle": int(shorted.iloc[0]) if len(shorted) else None,
                    }
                )
            ret = [r["retention_percent"] for r in runs]
            out["np10_80cycles"][f"{substrate}_{c_rate:g}C"] = {
                **runs[0],
                "retention_percent_median": float(np.median(ret)),
                "retention_percent_range": [float(min(ret)), float(max(ret))],
                "shorted_seeds": sum(r["short_at_cycle"] is not None for r in runs),
                "n_seeds": len(runs),
                "runs": runs,
            }
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", help="also write the predictions to this JSON file")
    args = ap.parse_args(argv)
    res = predictions()
    for substrate, r in res["rate_np25"].items():
        pairs = ", ".join(
            f"{c:g}C {q:.1f}"
            for c, q in zip(r["c_rate"], r["discharge_capacity_mAh_g"], strict=True)
        )
        print(f"rate N/P=25 {substrate}: {pairs} mAh/g")
    for key, r in res["np10_80cycles"].items():
        print(
            f"N/P=10 {key}: {r['first_discharge_mAh_g']:.1f} -> {r['final_discharge_mAh_g']:.1f} mAh/g, "
            f"retention {r['retention_percent']:.1f} % (median over {r['n_seeds']} seeds "
            f"{r['retention_percent_median']:.1f} %, range {r['retention_percent_range'][0]:.1f}-"
            f"{r['retention_percent_range'][1]:.1f} %), Li left {r['li_remaining_mAh_cm2']:.2f} "
            f"mAh/cm2, shorted in {r['shorted_seeds']}/{r['n_seeds']} seeds"
            + (f" (seed 0 at cycle {r['short_at_cycle']})" if r["short_at_cycle"] else "")
        )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(res, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
