"""Early prediction of the 80 % knee, measured: the physics fit vs the default twin vs the
data-driven baseline, over simulated cells with cell-to-cell variation and noise (issue 15).

For each condition (Li-Cu at N/P 25 and Li-Ag@Cu at N/P 10, 1C) ``--cells`` truths are drawn:
every anode parameter of the substrate x lognormal(0, 0.2) (values 0 stay 0, fractions < 0.95),
and the cathode's kinetic/transport parameters and its loss of active material x lognormal(0, 0.2),
so the truth varies in more directions than the fit's free parameters (it is not given the
answer). Each truth is simulated (seeded), noise is added (0.3 % per-cycle capacity noise, a 0.5 mV
per-cycle voltage offset and 0.3 mV per row) and the true knee80 is taken from the noiseless run.
Then for K in ``--ks``:

* physics: :func:`lilean.fitting.fit_cycling` on the noisy table's first K cycles, starting from
  the default set, protocol inferred; point = the best fit's knee80 (also when its interval is
  open), the 95 % interval from the fit's draws;
* default twin: the default set under the same inferred protocol (no fit);
* baseline: :class:`lilean.fit.KneeRidge` on :func:`lilean.fit.early_features`, trained
  leave-one-cell-out on the other cells of the condition (their true knees), 95 % interval from
  its leave-one-out error.

Printed: median and 90th-percentile relative error of knee80, and for the intervals the number
bounded and the coverage (fraction of truths inside) of the bounded ones.

    PYTHONPATH=src python benchmarks/knee_error_table.py --cells 8 --ks 20,30,50,100 --jobs 2

A subset for iterating (conditions by prefix, chosen cells and K, other free parameters or
series; the rows can be saved with ``--json`` and re-tabled with ``--from-json``)::

    python benchmarks/knee_error_table.py --conditions li-cu --cell-ids 0,1,2,3 --ks 50 \
        --free corrosion_rate_mAh_cm2_h,sei_resistivity_ohm_cm2_per_mAh --series RGM
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np

CONDITIONS = {
    "Li-Cu N/P 25 1C": {"substrate": "cu", "loading": 0.4, "li": 10.0, "horizon": 450},
    "Li-Ag@Cu N/P 10 1C": {"substrate": "ag-cu", "loading": 1.0, "li": 10.0, "horizon": 600},
}
CATHODE_VARIED = (
    "solid_diffusivity_m2_s",
    "reaction_rate_constant",
    "contact_resistance_ohm_cm2",
    "loss_of_active_material_per_cycle",
)
STEPS = 20  # coarse time steps, the same for the truth and the fitted twin (speed)
SPREAD = 0.2
OFFSETS = [True]
FREE: list[str] = []  # empty: the fit's default free parameters
SERIES: list[str] = []  # empty: the fit's default series
SERIES_LETTERS = {
    "R": "Retention [%]",
    "G": "Voltage gap [V]",
    "M": "Mean voltage [V]",
    "C": "Mean charge voltage [V]",
    "D": "Mean discharge voltage [V]",
}


def _truth_params(substrate: str, seed: int) -> Any:
    from lilean.errors import ParameterError
    from lilean.parameters import default_parameters

    base = default_parameters()
    rng = np.random.default_rng(seed)
    for _ in range(20):
        changes: dict[str, float] = {}
        for name, par in base.flat().items():
            short = name.rsplit(".", 1)[-1]
            anode = name.startswith(f"substrates.{substrate}.anode.")
            cathode = ".cathode." in f".{name}" and short in CATHODE_VARIED
            if not (anode or cathode) or not isinstance(par.value, float) or par.value == 0.0:
                continue
            v = par.value * math.exp(rng.normal(0.0, SPREAD))
            if par.unit == "1" and par.value < 1.0:
                v = min(v, 0.95)
            changes[name] = v
        try:
            return base.replace(changes)
        except ParameterError:
            continue
    return base


def _noisy(data: Any, seed: int) -> Any:
    from lilean.schema import CyclingData

    df = data.data.copy()
    rng = np.random.default_rng(seed + 1000)
    n = int(df["Cycle"].max()) + 1
    offset = rng.normal(0.0, 5e-4, n)
    cyc = df["Cycle"].to_numpy()
    df["Voltage [V]"] = df["Voltage [V]"] + offset[cyc] + rng.normal(0, 3e-4, len(df))
    qn = 1.0 + rng.normal(0.0, 3e-3, n)
    for col in ("Discharge capacity [mAh]", "Charge capacity [mAh]"):
        if col in df:
            df[col] = df[col] * qn[cyc]
    return CyclingData(df, data.meta)


def _cell(args: tuple[str, int, list[int]]) -> dict[str, Any]:
    """One truth: its knee, the physics fit and default twin at each K, the baseline features."""
    from lilean import fitting as F
    from lilean.fit import early_features
    from lilean.parameters import default_parameters
    from lilean.simulate import simulate_cycling

    cond, i, ks = args
    c = CONDITIONS[cond]
    sub, horizon = str(c["substrate"]), int(c["horizon"])
    truth = _truth_params(sub, 100 * i + len(cond))
    run = simulate_cycling(truth, sub, cathode_loading_mAh_cm2=c["loading"],
                           li_inventory_mAh_cm2=c["li"], c_rate=1.0, cycles=horizon,
                           seed=i, steps_per_half_cycle=STEPS)  # fmt: skip
    true_knee = F.knee80_from_run(run.summary, cycles=horizon)
    data = _noisy(run.data, i)
    out: dict[str, Any] = {"cond": cond, "cell": i, "true": true_knee, "k": {}}
    p0 = default_parameters()
    given = {"li_inventory_mAh_cm2": c["li"], "steps_per_half_cycle": STEPS}
    for k in ks:
        t0 = time.perf_counter()
        row: dict[str, Any] = {}
        try:
            fit = F.fit_cycling([data], p0, sub, max_cycle=k, knee_horizon=horizon,
                                protocol=given, n_samples=20, profile=False,
                                fit_offsets=OFFSETS[0], free=FREE or None,
                                series=SERIES or None)  # fmt: skip
            kn = fit.knee
            row["physics"] = fit.diagnostics.get("knee80_best_fit_cycle")
            row["physics_low"] = kn["knee80_cycle_low"]
            row["physics_high"] = kn["knee80_cycle_high"]
            row["physics_bounded"] = kn["knee80_cycle"] is not None
            row["status"] = fit.status
            proto = fit.protocol
        except Exception as exc:  # a benchmark row, reported
            row["error"] = f"{type(exc).__name__}: {exc}"
            proto = F.infer_cycling_protocol(data, p0, given, k)
        d0 = F.simulate_protocol(F._cycling_params(p0, proto), sub, proto, horizon)
        row["default"] = F.knee80_from_run(d0.summary, cycles=horizon)
        m = run.summary  # features from the noisy table's per-cycle values
        noisy = m.copy()
        meas = F.measured_cycling_series(data, proto, k)
        noisy = noisy[noisy["Cycle"] <= k].copy()
        noisy["Mean charge voltage [V]"] = meas["Mean charge voltage [V]"].to_numpy()
        noisy["Mean discharge voltage [V]"] = meas["Mean discharge voltage [V]"].to_numpy()
        q0 = float(noisy["Discharge capacity [mAh]"].iloc[0])
        noisy["Discharge capacity [mAh]"] = meas["Retention [%]"].to_numpy() * q0 / 100.0
        row["features"] = early_features(noisy, k).tolist()
        row["seconds"] = time.perf_counter() - t0
        out["k"][k] = row
    return out


def _condition(text: str) -> str:
    """A condition by its name or a case-insensitive prefix of it (``li-cu``, ``li-ag``)."""
    hits = [c for c in CONDITIONS if c.lower().startswith(text.strip().lower())]
    if len(hits) != 1:
        raise SystemExit(f"--conditions {text!r}: expected one of {list(CONDITIONS)} (or a prefix)")
    return hits[0]


def _err(pred: float | None, true: float, horizon: int) -> float:
    return abs((horizon + 1 if pred is None else pred) - true) / true


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", type=int, default=8)
    ap.add_argument("--ks", default="20,30,50,100")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--conditions", default=",".join(CONDITIONS))
    ap.add_argument("--json", dest="json_path", default=None, help="also write the rows here")
    ap.add_argument("--from-json", default=None, help="print the table of rows written earlier")
    ap.add_argument("--no-offsets", action="store_true", help="fit absolute voltages")
    ap.add_argument("--free", default="", help="comma-separated free parameters (default: fit's)")
    ap.add_argument(
        "--series",
        default="",
        help="fitted series as letters R, G, M, C, D (retention, voltage gap, "
        "mean voltage, mean charge / discharge voltage; default: the fit's)",
    )
    ap.add_argument(
        "--cell-ids", default="", help="comma-separated cell indices to run (default: 0..cells-1)"
    )
    a = ap.parse_args(argv)
    OFFSETS[0] = not a.no_offsets
    FREE[:] = [n for n in a.free.split(",") if n]
    SERIES[:] = [SERIES_LETTERS[ch] for ch in a.series.upper() if ch in SERIES_LETTERS]
    from lilean.fit import KneeRidge

    ks = [int(k) for k in a.ks.split(",")]
    conds = [_condition(c) for c in a.conditions.split(",") if c]
    ids = [int(i) for i in a.cell_ids.split(",") if i] or list(range(a.cells))
    if a.from_json:
        with open(a.from_json) as fh:
            cells = json.load(fh)
        for c in cells:
            c["k"] = {int(k): v for k, v in c["k"].items()}
    else:
        tasks = [(c, i, ks) for c in conds for i in ids]
        t0 = time.perf_counter()
        with ProcessPoolExecutor(max_workers=a.jobs) as pool:
            cells = list(pool.map(_cell, tasks))
        print(f"# {len(cells)} cells in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        if a.json_path:
            with open(a.json_path, "w") as fh:
                json.dump(cells, fh, indent=1, default=float)
    header = (
        f"{'condition':20s} {'K':>4s} | {'physics med/p90':>16s} {'default med/p90':>16s} "
        f"{'baseline med/p90':>17s} | {'phys bounded':>12s} {'cover':>6s} | "
        f"{'base cover':>10s} | failed"
    )
    print(header)
    print("-" * len(header))
    for cond in conds:
        rows = [c for c in cells if c["cond"] == cond and c["true"] is not None]
        horizon = int(CONDITIONS[cond]["horizon"])
        for k in ks:
            ok = [c for c in rows if "physics" in c["k"][k]]
            true = np.array([c["true"] for c in rows], dtype=float)
            e_phys = [_err(c["k"][k]["physics"], c["true"], horizon) for c in ok]
            e_def = [_err(c["k"][k]["default"], c["true"], horizon) for c in rows]
            feats = np.array([c["k"][k]["features"] for c in rows])
            e_base, base_in = [], []
            for j in range(len(rows) if len(rows) >= 4 else 0):
                train = [i for i in range(len(rows)) if i != j]
                model = KneeRidge().fit(feats[train], true[train])
                pr, lo, hi = model.predict(feats[j])
                e_base.append(abs(pr[0] - true[j]) / true[j])
                base_in.append(bool(lo[0] <= true[j] <= hi[0]))
            bounded = [c for c in ok if c["k"][k]["physics_bounded"]]
            inside = [
                c["k"][k]["physics_low"] <= c["true"] <= c["k"][k]["physics_high"] for c in bounded
            ]
            failed = sum(1 for c in rows if c["k"][k].get("status", "error") != "ok")

            def mp(e: list[float]) -> str:
                if not e:
                    return "-"
                return f"{100 * np.median(e):5.1f}/{100 * np.percentile(e, 90):5.1f} %"

            cover = f"{100 * np.mean(inside):5.0f} %" if inside else "  -"
            bcover = f"{100 * np.mean(base_in):.0f} %" if base_in else "-"
            print(
                f"{cond:20s} {k:4d} | {mp(e_phys):>16s} {mp(e_def):>16s} {mp(e_base):>17s} | "
                f"{len(bounded):>5d} of {len(ok):<3d} {cover:>7s} | {bcover:>10s} "
                f"| {failed}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
