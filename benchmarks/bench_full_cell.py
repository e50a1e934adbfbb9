"""Benchmark: lilean's 300-cycle Li-lean || LFP simulation vs PyBaMM's SPMe on the same protocol.

Usage::

    python benchmarks/bench_full_cell.py results/bench_full_cell.json [--pybamm-cycles 10]

* ``lilean_300_cycles_s``: :func:`lilean.simulate.simulate_cycling` (N/P = 25, Li-Cu, 3 formation
  cycles at 0.5 C + 300 at 1 C, 2.0-4.2 V), median of 3 after one JIT warm-up run; includes the
  canonical table and the per-cycle analysis.
* ``pybamm_*``: PyBaMM ``SPMe(options={"working electrode": "positive"})`` Li || LFP half-cell with the
  same cathode/electrolyte parameters (:func:`lilean.models.cathode.pybamm_half_cell_parameter_values`;
  PyBaMM has no Li-inventory / dead-Li anode model, so this is the closest setup), running the same
  CC protocol. PyBaMM is timed on ``--pybamm-cycles`` cycles (default 10) and extrapolated linearly to
  303 cycles (stated in the JSON as ``pybamm_extrapolated``).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from lilean.parameters import default_parameters
from lilean.simulate import simulate_cycling

CYCLES = 300
FORMATION = 3


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("output", type=Path, help="JSON file to write")
    ap.add_argument("--pybamm-cycles", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)

    params = default_parameters()

    def ours() -> Any:
        return simulate_cycling(
            params, "cu", cathode_loading_mAh_cm2=0.4, li_inventory_mAh_cm2=10.0, c_rate=1.0,
            cycles=CYCLES, formation_cycles=FORMATION,
        )  # fmt: skip

    t0 = time.perf_counter()
    ours()
    first_s = time.perf_counter() - t0
    times = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        sim = ours()
        times.append(time.perf_counter() - t0)
    ours_s = statistics.median(times)

    import pybamm

    from lilean.models import cathode as cm

    pv = cm.pybamm_half_cell_parameter_values(params, x0=0.99)
    model = pybamm.lithium_ion.SPMe(options={"working electrode": "positive"})
    n_pb = max(1, min(args.pybamm_cycles, FORMATION + CYCLES))
    steps = []
    for k in range(n_pb):
        c = 0.5 if k < FORMATION else 1.0
        steps.append((f"Charge at {c:g}C until 4.2 V", f"Discharge at {c:g}C until 2.0 V"))
    experiment = pybamm.Experiment(steps)
    t0 = time.perf_counter()
    pb = pybamm.Simulation(model, parameter_values=pv, experiment=experiment)
    sol = pb.solve()
    pybamm_s = time.perf_counter() - t0
    n_done = len(sol.cycles)
    per_cycle = pybamm_s / max(n_done, 1)
    pybamm_300_s = per_cycle * (FORMATION + CYCLES)
    q_pb = []
    for cyc in sol.cycles:  # capacity of each cycle's discharge step, mAh
        q = cyc.steps[-1]["Discharge capacity [A.h]"].entries
        q_pb.append(float((q[-1] - q[0]) * 1e3))
    res = {
        "lilean_first_run_s": first_s,
        "lilean_300_cycles_s": ours_s,
        "lilean_final_retention_percent": sim.to_dict()["retention_percent"],
        "pybamm_cycles_run": n_done,
        "pybamm_time_s": pybamm_s,
        "pybamm_300_cycles_s": pybamm_300_s,
        "pybamm_extrapolated": n_done < FORMATION + CYCLES,
        "pybamm_discharge_capacity_mAh_last": q_pb[-1] if q_pb else None,
        "lilean_discharge_capacity_mAh_first": float(
            sim.summary["Discharge capacity [mAh]"].iloc[0]
        ),
        "speedup_vs_pybamm": pybamm_300_s / ours_s,
        "pybamm_version": pybamm.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    res["rows"] = [
        {
            "benchmark": f"Li||LFP N/P 25 full cell, {FORMATION + CYCLES} cycles",
            "lilean_s": ours_s,
            "reference": f"PyBaMM {pybamm.__version__} SPMe LFP half cell"
            + (f" ({n_done} cycles, extrapolated)" if res["pybamm_extrapolated"] else ""),
            "reference_s": pybamm_300_s,
            "ratio": res["speedup_vs_pybamm"],
        }
    ]
    print(json.dumps(res, indent=2))
    print(f"lilean {ours_s:.3f} s vs PyBaMM SPMe {pybamm_300_s:.1f} s for 303 cycles: "
          f"ratio {res['speedup_vs_pybamm']:.0f}x")  # fmt: skip
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
