"""Benchmark: lilean's LFP SPMe 1C half-cell discharge vs PyBaMM's SPMe (same cell, same protocol).

Usage::

    python benchmarks/bench_cathode.py results/bench_cathode.json [--repeats 20]

Times (median of ``--repeats``, after one warm-up run that compiles / builds):

* ``lilean_kernel_s``: the numba loop only (:func:`lilean.models.cathode.run_constant_current`),
* ``lilean_table_s``: :func:`lilean.models.cathode.simulate_half_cell_discharge` (kernel + schema table),
* ``pybamm_solve_s``: ``Simulation.solve`` of an already-built PyBaMM SPMe (x_s = x_p = 20, r_p = 40),
* ``pybamm_build_and_solve_s``: a fresh ``Simulation`` built and solved (what a user pays per run).

Also records the capacity of both and the RMS voltage difference on a common capacity grid.
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

import numpy as np

from lilean.models import cathode as cm
from lilean.parameters import default_parameters

X0 = 0.01


def _median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path, help="JSON file to write")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--c-rate", type=float, default=1.0)
    args = parser.parse_args(argv)

    import pybamm

    params = default_parameters()
    p = cm.cathode_parameter_vector(params)
    c_rate = args.c_rate
    i = -c_rate * cm.one_c_current_density_A_m2(params)
    dt = 3600.0 / c_rate / 200.0
    t_buf = np.empty(1000)
    v_buf = np.empty(1000)

    def kernel() -> int:
        state = cm.initial_state(p, X0)
        return cm.run_constant_current(
            state, p, i, dt, 2.0, 1.5 * 3600.0 / c_rate, cm.XU2019_LI_I0_COEFFICIENT,
            cm.XU2019_LI_I0_EXPONENT, 0.0, t_buf, v_buf,
        )  # fmt: skip

    def table():  # type: ignore[no-untyped-def]
        return cm.simulate_half_cell_discharge(params, c_rate, x0=X0)

    pv = cm.pybamm_half_cell_parameter_values(params, x0=X0)
    pv["Current function [A]"] = pv["Current function [A]"] * c_rate
    options = {"working electrode": "positive", "contact resistance": "true"}
    var_pts = {"x_n": 5, "x_s": 20, "x_p": 20, "r_n": 5, "r_p": 40}
    t_eval = np.linspace(0.0, 1.2 * 3600.0 / c_rate, 1000)

    def pybamm_sim():  # type: ignore[no-untyped-def]
        model = pybamm.lithium_ion.SPMe(options=options)
        return pybamm.Simulation(model, parameter_values=pv, var_pts=var_pts)

    sim = pybamm_sim()
    sim.solve(t_eval)  # build + warm-up

    def pybamm_solve():  # type: ignore[no-untyped-def]
        return sim.solve(t_eval)

    def pybamm_build_and_solve():  # type: ignore[no-untyped-def]
        return pybamm_sim().solve(t_eval)

    kernel()
    table()
    res: dict[str, Any] = {
        "lilean_kernel_s": _median_time(kernel, args.repeats),
        "lilean_table_s": _median_time(table, args.repeats),
        "pybamm_solve_s": _median_time(pybamm_solve, max(3, args.repeats // 4)),
        "pybamm_build_and_solve_s": _median_time(pybamm_build_and_solve, 3),
    }
    ours = table().data
    sol = pybamm_solve()
    q = ours["Discharge capacity [mAh]"].to_numpy()
    v = ours["Voltage [V]"].to_numpy()
    q_ref = sol["Discharge capacity [A.h]"].entries * 1e3
    v_ref = sol["Voltage [V]"].entries
    grid = np.linspace(0.0, 0.98 * min(q[-1], q_ref[-1]), 500)
    rms_mV = 1e3 * float(
        np.sqrt(np.mean((np.interp(grid, q, v) - np.interp(grid, q_ref, v_ref)) ** 2))
    )
    res.update(
        {
            "c_rate": c_rate,
            "lilean_capacity_mAh": float(q[-1]),
            "pybamm_capacity_mAh": float(q_ref[-1]),
            "rms_voltage_difference_mV": rms_mV,
            "speedup_kernel_vs_pybamm_solve": res["pybamm_solve_s"] / res["lilean_kernel_s"],
            "speedup_table_vs_pybamm_solve": res["pybamm_solve_s"] / res["lilean_table_s"],
            "pybamm_version": pybamm.__version__,
            "python": platform.python_version(),
            "machine": platform.machine(),
        }
    )
    res["rows"] = [
        {
            "benchmark": f"LFP half-cell {c_rate:g}C discharge, SPMe ({rms_mV:.1f} mV RMS apart)",
            "lilean_s": res["lilean_table_s"],
            "reference": f"PyBaMM {pybamm.__version__} SPMe solve",
            "reference_s": res["pybamm_solve_s"],
            "ratio": res["speedup_table_vs_pybamm_solve"],
        }
    ]
    for key, value in res.items():
        print(f"{key:34s} {value}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
