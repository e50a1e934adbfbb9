"""Blind predictions (not calibrated on): Li-Cu rate capability (N/P = 25) and N/P = 10 cells.

N/P = 10: 1.0 mAh/cm^2 LFP against 10 mAh/cm^2 Li, 3 formation cycles at 0.5 C then 80 cycles at 1 C
and at 2 C, both substrates. Parameters: the embedded Zhang2023 set as calibrated by the other
``calibration/`` scripts; nothing here is tuned and no target is read. Every number is the median
over ``--seeds`` cells (default 20; :mod:`lilean.ensemble`) with its 5-95 % band (cell-to-cell
spread of the stochastic inputs: contact-area factor, short threshold). Run from the repository
root::

    .venv/bin/python calibration/predict_blind.py [--seeds 20] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from lilean.ensemble import DEFAULT_N_SEEDS, ensemble_cycling, ensemble_rate
from lilean.parameters import default_parameters

SUBSTRATES = ("cu", "ag-cu")


def predictions(n_seeds: int = DEFAULT_N_SEEDS) -> dict[str, Any]:
    """Rate tables (N/P 25, both substrates: Li-Cu is the blind one, Ag@Cu the calibrated
    reference) and N/P 10 cycling at 1C and 2C over 80 cycles, each with median and band."""
    params = default_parameters()
    out: dict[str, Any] = {"n_seeds": n_seeds, "rate_np25": {}, "np10_80cycles": {}}
    for substrate in SUBSTRATES:
        out["rate_np25"][substrate] = ensemble_rate(
            params, substrate, n_seeds, cathode_loading_mAh_cm2=0.4, li_inventory_mAh_cm2=10.0
        )
        for c_rate in (1.0, 2.0):
            ens = ensemble_cycling(
                params,
                substrate,
                n_seeds,
                cathode_loading_mAh_cm2=1.0,
                li_inventory_mAh_cm2=10.0,
                c_rate=c_rate,
                cycles=80,
            )
            for key in ("discharge_capacity_mAh_g", "discharge_capacity_mAh_g_low",
                        "discharge_capacity_mAh_g_high", "cycle"):  # fmt: skip
                ens.pop(key, None)
            out["np10_80cycles"][f"{substrate}_{c_rate:g}C"] = ens
    return out


def _band(d: dict[str, Any], key: str, fmt: str = ".1f") -> str:
    m, lo, hi = d.get(key), d.get(f"{key}_low"), d.get(f"{key}_high")
    if m is None:
        return "none"
    text = f"{m:{fmt}} [{lo:{fmt}}-{hi:{fmt}}]"
    n_none = d.get(f"{key}_n_none")
    return text + (f" ({n_none} seeds: none)" if n_none else "")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--seeds", type=int, default=DEFAULT_N_SEEDS, help="ensemble size")
    ap.add_argument("--json", help="also write the predictions to this JSON file")
    args = ap.parse_args(argv)
    res = predictions(args.seeds)
    print(f"median [5-95 % band] over {res['n_seeds']} seeds")
    for substrate, r in res["rate_np25"].items():
        pairs = ", ".join(
            f"{c:g}C {q:.1f} [{lo:.1f}-{hi:.1f}]"
            for c, q, lo, hi in zip(
                r["c_rate"],
                r["discharge_capacity_mAh_g"],
                r["discharge_capacity_mAh_g_low"],
                r["discharge_capacity_mAh_g_high"],
                strict=True,
            )
        )
        print(f"rate N/P=25 {substrate}: {pairs} mAh/g")
    for key, r in res["np10_80cycles"].items():
        print(
            f"N/P=10 {key}, 80 cycles: first {_band(r, 'first_discharge_capacity_mAh_g')} -> "
            f"final {_band(r, 'final_discharge_capacity_mAh_g')} mAh/g, retention "
            f"{_band(r, 'retention_percent')} %, Li left {_band(r, 'li_remaining_mAh_cm2', '.2f')} "
            f"mAh/cm2, first cycle < 80 %: {_band(r, 'cycle_below_80_percent', '.0f')}, "
            f"hard short at cycle: {_band(r, 'short_cycle', '.0f')}, soft shorts "
            f"{_band(r, 'soft_shorts', '.0f')}, solvent used "
            f"{_band(r, 'electrolyte_solvent_consumed_percent')} %, salt used "
            f"{_band(r, 'electrolyte_salt_consumed_percent')} %"
        )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(res, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
