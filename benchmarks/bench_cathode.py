"""Benchmark: Li || LFP half-cell discharges, lilean's SPMe vs PyBaMM's SPMe (same cell, protocol).

Usage::

    python benchmarks/bench_cathode.py out.json [--repeats 7] [--quick]

Rows (warm: in one process after one untimed run of each side; alternating runs):

* **one 1C discharge** from x = 0.01 to 2.0 V. lilean: :func:`simulate_half_cell_discharge` (the
  table a user gets) and :func:`lilean.models.batch.simulate_discharges` (arrays). PyBaMM: its
  fastest documented path, an already-built ``Simulation`` solved with ``t_interp`` at the same
  output density as lilean (as many output points as lilean's rows over the discharge).
* **N discharges batched** (N = 16 and 256; ``--quick``: 16 and 64), C-rates spread 0.8-1.2 C.
  lilean: one :func:`simulate_discharges` call. PyBaMM: one ``solve`` with a list of ``inputs``
  (``Current function [A]`` as an input parameter: PyBaMM's batched solve), ``t_interp`` at 200
  points per discharge.

Accuracy, stated next to each time: RMS voltage error of each side against a reference PyBaMM SPMe
solution with twice the mesh (x_p = 40, r_p = 80) and tolerances 1e-8 (rtol, atol), on a common
capacity grid over 98 % of the shorter discharge (for the batched rows: over the 0.8 C and 1.2 C
cases). The two SPMe formulations are not identical (lilean: the study's cathode with a Xu2019 Li
counter electrode; PyBaMM: the same parameters through ``pybamm_half_cell_parameter_values``), so
lilean's error includes that model difference.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import numpy as np
from _protocol import alternate, common_args, row, write

from lilean.models import cathode as cm
from lilean.models.batch import simulate_discharges
from lilean.parameters import default_parameters

X0 = 0.01
OPTIONS = {"working electrode": "positive", "contact resistance": "true"}
VAR_PTS = {"x_n": 5, "x_s": 20, "x_p": 20, "r_n": 5, "r_p": 40}
FINE_PTS = {"x_n": 5, "x_s": 40, "x_p": 40, "r_n": 5, "r_p": 80}


def _rms_mV(q: np.ndarray, v: np.ndarray, q_ref: np.ndarray, v_ref: np.ndarray) -> float:
    grid = np.linspace(0.0, 0.98 * min(q[-1], q_ref[-1]), 500)
    return 1e3 * float(
        np.sqrt(np.mean((np.interp(grid, q, v) - np.interp(grid, q_ref, v_ref)) ** 2))
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common_args(parser, repeats=7)
    args = parser.parse_args(argv)
    import pybamm

    params = default_parameters()
    pv = cm.pybamm_half_cell_parameter_values(params, x0=X0)
    i_1c_A = float(pv["Current function [A]"])
    t_end = 1.2 * 3600.0

    def pybamm_sim(var_pts: dict[str, int], inputs: bool = False) -> Any:
        values = pv.copy()
        if inputs:
            values["Current function [A]"] = "[input]"
        model = pybamm.lithium_ion.SPMe(options=OPTIONS)
        return pybamm.Simulation(model, parameter_values=values, var_pts=var_pts)

    # ---- reference solution (accuracy of both sides)
    fine_solver = pybamm.IDAKLUSolver(rtol=1e-8, atol=1e-8)

    def reference(c_rate: float) -> tuple[np.ndarray, np.ndarray]:
        values = pv.copy()
        values["Current function [A]"] = i_1c_A * c_rate
        model = pybamm.lithium_ion.SPMe(options=OPTIONS)
        sim = pybamm.Simulation(
            model, parameter_values=values, var_pts=FINE_PTS, solver=fine_solver
        )
        sol = sim.solve([0.0, t_end / c_rate], t_interp=np.linspace(0.0, t_end / c_rate, 4000))
        return sol["Discharge capacity [A.h]"].entries * 1e3, sol["Voltage [V]"].entries

    # ---- one 1C discharge
    ours_table = cm.simulate_half_cell_discharge(params, 1.0, x0=X0).data
    n_out = len(ours_table)
    sim1 = pybamm_sim(VAR_PTS)
    t_out = np.linspace(0.0, t_end, n_out)

    def pb_one() -> Any:
        return sim1.solve([0.0, t_end], t_interp=t_out)

    def ours_one() -> Any:
        return cm.simulate_half_cell_discharge(params, 1.0, x0=X0)

    def ours_one_arrays() -> Any:
        return simulate_discharges(params, [1.0], x0=X0)

    pb_one()
    ours_one()
    ours_one_arrays()
    q_ref, v_ref = reference(1.0)
    sol = pb_one()
    q_pb, v_pb = sol["Discharge capacity [A.h]"].entries * 1e3, sol["Voltage [V]"].entries
    q_o = ours_table["Discharge capacity [mAh]"].to_numpy()
    v_o = ours_table["Voltage [V]"].to_numpy()
    acc = (
        f"RMS vs fine PyBaMM: lilean {_rms_mV(q_o, v_o, q_ref, v_ref):.1f} mV, "
        f"PyBaMM {_rms_mV(q_pb, v_pb, q_ref, v_ref):.1f} mV; lilean-PyBaMM "
        f"{_rms_mV(q_o, v_o, q_pb, v_pb):.1f} mV"
    )
    pyb = f"PyBaMM {pybamm.__version__} SPMe, built, solve(t_interp={n_out} pts)"
    rows = []
    a, b = alternate(ours_one, pb_one, args.repeats)
    rows.append(
        row(f"one 1C discharge ({n_out} output points), lilean table", "warm", a, pyb, b, acc)
    )
    a, b = alternate(ours_one_arrays, pb_one, args.repeats)
    rows.append(
        row(f"one 1C discharge ({n_out} output points), lilean arrays (simulate_discharges)",
            "warm", a, pyb, b, acc)
    )  # fmt: skip

    # ---- batched
    sim_b = pybamm_sim(VAR_PTS, inputs=True)
    for n in (16, 64) if args.quick else (16, 256):
        rates = np.linspace(0.8, 1.2, n)
        inputs = [{"Current function [A]": i_1c_A * c} for c in rates]
        span = t_end / rates.min()
        t_b = np.linspace(0.0, span, int(200 * span / 3600.0))

        def pb_batch(inputs: list[dict[str, float]] = inputs, t_b: np.ndarray = t_b) -> Any:
            return sim_b.solve([0.0, t_b[-1]], inputs=inputs, t_interp=t_b)

        def ours_batch(rates: np.ndarray = rates) -> Any:
            return simulate_discharges(params, rates, x0=X0)

        sols = pb_batch()
        batch = ours_batch()
        errs = []
        for k in (0, n - 1):
            q_r, v_r = reference(float(rates[k]))
            s_k = sols[k] if isinstance(sols, list) else sols
            q_p = s_k["Discharge capacity [A.h]"].entries * 1e3
            v_p = s_k["Voltage [V]"].entries
            case = batch.case(k)
            errs.append((_rms_mV(case["capacity_mAh"], case["voltage_V"], q_r, v_r),
                         _rms_mV(q_p, v_p, q_r, v_r)))  # fmt: skip
        acc_b = (
            "RMS vs fine PyBaMM at 0.8 / 1.2 C: lilean "
            f"{errs[0][0]:.1f} / {errs[1][0]:.1f} mV, PyBaMM {errs[0][1]:.1f} / {errs[1][1]:.1f} mV"
        )
        reps = max(3, args.repeats // 2) if n > 64 else args.repeats
        a, b = alternate(ours_batch, pb_batch, reps)
        rows.append(
            row(f"{n} discharges 0.8-1.2 C batched (simulate_discharges)", "warm", a,
                f"PyBaMM {pybamm.__version__} SPMe, one solve with {n} inputs (t_interp)", b, acc_b)
        )  # fmt: skip
    write(args.output, rows, pybamm_version=pybamm.__version__)
    return 0


if __name__ == "__main__":
    sys.exit(main())
