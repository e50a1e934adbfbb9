"""Benchmark: Li || LFP half-cell discharges, lilean's SPMe vs PyBaMM's SPMe (same cell, protocol).

Usage::

    python benchmarks/bench_cathode.py out.json [--repeats 7] [--cold-repeats 3] [--quick]

Same model on both sides: lilean's electrode in its single-particle limit (``SPME``: one particle
class, no particle contact resistance; the limit ``tests/reference/test_cathode_vs_pybamm.py``
validates), PyBaMM's SPMe with the same parameters (``pybamm_half_cell_parameter_values``). One
extra row times lilean's default electrode (12 particle classes with a contact-resistance
distribution, issue 13), which PyBaMM's SPMe does not model: its accuracy column says how far the
two models are apart, and its ratio is a cost, not a like-for-like speed-up.

Rows (warm: in one process after one untimed run of each side; alternating runs):

* **one 1C discharge** from x = 0.01 to 2.0 V. PyBaMM: its fastest documented path, an
  already-built ``Simulation`` solved with ``t_interp`` at the same output density as lilean (as
  many output points as lilean's rows over the discharge). Like for like in what each side hands
  the user: lilean's :func:`simulate_half_cell_discharge` with its tidy table built (``.data``)
  against PyBaMM's solve with the same columns read (:data:`TABLE_VARIABLES`: a PyBaMM
  ``Solution`` evaluates a variable on its first access, so a bare ``solve`` has computed no
  voltage yet); the same lilean result with its table left unread (built on first access)
  against the bare solve (both lazy); :func:`lilean.models.batch.simulate_discharges` (arrays,
  eager) against the bare solve. Two rows time one call per side and round; the others
  ``CALLS`` consecutive calls per side and round (time per call), since a single
  sub-millisecond call right after the other side's 4 ms solve mostly measures the caches that
  solve evicted.
* **N discharges batched** (N = 16 and 256; ``--quick``: 16 and 64), C-rates spread 0.8-1.2 C.
  lilean: one :func:`simulate_discharges` call (serial; for 256 also ``parallel=True`` on numba's
  threads). PyBaMM: one ``solve`` with a list of ``inputs`` (``Current function [A]`` as an input
  parameter: PyBaMM's batched solve), ``t_interp`` at 200 points per discharge.
* **one 1C discharge, whole process** (cold): a fresh interpreter per run that imports, builds and
  solves (lilean: numba's on-disk cache load included; PyBaMM: model build included, its
  parameter values made by lilean's ``pybamm_half_cell_parameter_values``).

Accuracy, stated next to each time: RMS voltage error of each side against a reference PyBaMM SPMe
solution with twice the mesh (x_p = 40, r_p = 80) and tolerances 1e-8 (rtol, atol), on a common
capacity grid over 98 % of the shorter discharge (for the batched rows: over the 0.8 C and 1.2 C
cases). lilean steps 200 times per nominal discharge (its default), PyBaMM at its default
tolerances on its default mesh of ``VAR_PTS``.
"""

from __future__ import annotations

import argparse
import inspect
import sys
from typing import Any

import numpy as np
from _protocol import _LAST_CPU, alternate, alternate_cold, common_args, row, write

from lilean.models import cathode as cm
from lilean.models.batch import simulate_discharges
from lilean.parameters import default_parameters

X0 = 0.01
OPTIONS = {"working electrode": "positive", "contact resistance": "true"}
VAR_PTS = {"x_n": 5, "x_s": 20, "x_p": 20, "r_n": 5, "r_p": 40}
FINE_PTS = {"x_n": 5, "x_s": 40, "x_p": 40, "r_n": 5, "r_p": 80}
#: consecutive calls per side and round in the single-discharge rows (besides the single-call rows)
CALLS = 10
#: PyBaMM variables read in the rows that compare with lilean's table: the columns the table holds
#: that PyBaMM has (time, voltage, current, discharge capacity)
TABLE_VARIABLES = ("Time [s]", "Voltage [V]", "Current [A]", "Discharge capacity [A.h]")
#: lilean's electrode in its single-particle limit: the model of PyBaMM's SPMe
SPME = {
    "cathode.particle_classes": 1,
    "cathode.particle_contact_resistance_ohm_m2": 0.0,
    "cathode.particle_radius_log_sd": 0.0,
}


def _rms_mV(q: np.ndarray, v: np.ndarray, q_ref: np.ndarray, v_ref: np.ndarray) -> float:
    grid = np.linspace(0.0, 0.98 * min(q[-1], q_ref[-1]), 500)
    return 1e3 * float(
        np.sqrt(np.mean((np.interp(grid, q, v) - np.interp(grid, q_ref, v_ref)) ** 2))
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common_args(parser, repeats=7)
    parser.add_argument("--cold-repeats", type=int, default=3, help="whole-process rounds")
    args = parser.parse_args(argv)
    import pybamm

    default = default_parameters()
    params = default.replace(SPME)
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

    def pb_one_table() -> Any:
        sol = pb_one()
        return [sol[name].entries for name in TABLE_VARIABLES]

    def ours_one() -> Any:
        return cm.simulate_half_cell_discharge(params, 1.0, x0=X0).data

    def ours_one_result() -> Any:
        return cm.simulate_half_cell_discharge(params, 1.0, x0=X0)

    def ours_one_arrays() -> Any:
        return simulate_discharges(params, [1.0], x0=X0)

    def ours_one_default() -> Any:
        return cm.simulate_half_cell_discharge(default, 1.0, x0=X0).data

    pb_one_table()
    ours_one()
    ours_one_arrays()
    default_table = ours_one_default()
    q_ref, v_ref = reference(1.0)
    sol = pb_one()
    q_pb, v_pb = sol["Discharge capacity [A.h]"].entries * 1e3, sol["Voltage [V]"].entries
    q_o = ours_table["Discharge capacity [mAh]"].to_numpy()
    v_o = ours_table["Voltage [V]"].to_numpy()
    arrays = ours_one_arrays().case(0)
    acc = (
        f"RMS vs fine PyBaMM: lilean {_rms_mV(q_o, v_o, q_ref, v_ref):.1f} mV, "
        f"PyBaMM {_rms_mV(q_pb, v_pb, q_ref, v_ref):.1f} mV; lilean-PyBaMM "
        f"{_rms_mV(q_o, v_o, q_pb, v_pb):.1f} mV (200 steps, {n_out} rows)"
    )
    acc_arrays = (
        "RMS vs fine PyBaMM: lilean "
        f"{_rms_mV(arrays['capacity_mAh'], arrays['voltage_V'], q_ref, v_ref):.1f} mV, "
        f"PyBaMM {_rms_mV(q_pb, v_pb, q_ref, v_ref):.1f} mV"
    )
    q_d = default_table["Discharge capacity [mAh]"].to_numpy()
    v_d = default_table["Voltage [V]"].to_numpy()
    acc_default = (
        f"not the same model: 12-class lilean vs fine PyBaMM SPMe {_rms_mV(q_d, v_d, q_ref, v_ref):.0f}"
        f" mV RMS, capacity {q_d[-1]:.3f} vs {q_ref[-1]:.3f} mAh"
    )
    pyb = f"PyBaMM {pybamm.__version__} SPMe, built, solve(t_interp={n_out} pts)"
    read = ", ".join(name.split(" [")[0] for name in TABLE_VARIABLES)
    pyb_table = f"{pyb} + {read} read"
    pyb_lazy = f"{pyb}, variables on first access (none read)"
    label = f"one 1C discharge ({n_out} output points)"
    rows = []
    a, b = alternate(ours_one, pb_one_table, args.repeats)
    rows.append(
        row(f"{label}, lilean result + table (SPMe limit), one call per round", "warm", a,
            pyb_table, b, acc)
    )  # fmt: skip
    a, b = alternate(ours_one_result, pb_one, args.repeats)
    rows.append(
        row(f"{label}, lilean result, table on first access (not read; SPMe limit), one call per "
            "round", "warm", a, pyb_lazy, b, acc)
    )  # fmt: skip
    per = f"{CALLS} consecutive calls per side and round, time per call"
    a, b = alternate_calls(ours_one, pb_one_table, args.repeats, CALLS)
    rows.append(
        row(f"{label}, lilean result + table (SPMe limit), {per}", "warm", a, pyb_table, b, acc)
    )  # fmt: skip
    a, b = alternate_calls(ours_one_result, pb_one, args.repeats, CALLS)
    rows.append(
        row(f"{label}, lilean result, table on first access (not read; SPMe limit), {per}",
            "warm", a, pyb_lazy, b, acc)
    )  # fmt: skip
    a, b = alternate_calls(ours_one_arrays, pb_one, args.repeats, CALLS)
    rows.append(
        row(f"{label}, lilean arrays (simulate_discharges, SPMe limit), {per}", "warm", a, pyb,
            b, acc_arrays)
    )  # fmt: skip
    a, b = alternate(ours_one_default, pb_one_table, args.repeats)
    rows.append(
        row(f"one 1C discharge, lilean default 12-class electrode ({len(default_table)} rows) "
            "+ table: cost, not like for like", "warm", a, pyb_table, b, acc_default)
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
        pyb_b = f"PyBaMM {pybamm.__version__} SPMe, one solve with {n} inputs (t_interp)"
        rows.append(
            row(f"{n} discharges 0.8-1.2 C batched (simulate_discharges, SPMe limit)", "warm", a,
                pyb_b, b, acc_b)
        )  # fmt: skip
        if n > 64 and "parallel" in inspect.signature(simulate_discharges).parameters:

            def ours_parallel(rates: np.ndarray = rates) -> Any:
                return simulate_discharges(params, rates, x0=X0, parallel=True)

            ours_parallel()
            a, b = alternate(ours_parallel, pb_batch, reps)
            rows.append(
                row(f"{n} discharges 0.8-1.2 C batched, parallel=True ({_threads()} numba "
                    "threads; CPU of all threads)", "warm", a, pyb_b, b, acc_b)
            )  # fmt: skip

    # ---- cold: whole processes
    setup = (
        "from lilean.models import cathode as cm; from lilean.parameters import "
        f"default_parameters; p = default_parameters().replace({SPME!r}); "
    )
    code_ours = setup + f"cm.simulate_half_cell_discharge(p, 1.0, x0={X0}).data"
    code_pb = setup + (
        "import numpy as np, pybamm; "
        f"pv = cm.pybamm_half_cell_parameter_values(p, x0={X0}); "
        f"sim = pybamm.Simulation(pybamm.lithium_ion.SPMe(options={OPTIONS!r}), "
        f"parameter_values=pv, var_pts={VAR_PTS!r}); "
        f"sol = sim.solve([0.0, {t_end}], t_interp=np.linspace(0.0, {t_end}, {n_out})); "
        f"[sol[name].entries for name in {TABLE_VARIABLES!r}]"
    )
    a, b = alternate_cold(
        [sys.executable, "-c", code_ours], [sys.executable, "-c", code_pb], args.cold_repeats
    )
    rows.append(
        row(f"{label} + table, whole process (SPMe limit)", "cold", a,
            f"{pyb_table}, whole process (import, build, solve, read)", b, acc)
    )  # fmt: skip
    write(args.output, rows, pybamm_version=pybamm.__version__)
    return 0


def alternate_calls(
    ours: Any, reference: Any, repeats: int, calls: int
) -> tuple[list[float], list[float]]:
    """:func:`alternate` with ``calls`` consecutive calls of a side per run (both sides alike),
    seconds per call (wall and CPU): a single sub-millisecond call right after the other side's
    run mostly measures the caches that run evicted (pandas, pyarrow and numba dispatch run cold)."""
    a, b = alternate(
        lambda: [ours() for _ in range(calls)], lambda: [reference() for _ in range(calls)], repeats
    )
    for side, times in _LAST_CPU.items():
        _LAST_CPU[side] = [x / calls for x in times]
    return [x / calls for x in a], [x / calls for x in b]


def _threads() -> int:
    import numba

    return int(numba.get_num_threads())


if __name__ == "__main__":
    sys.exit(main())
