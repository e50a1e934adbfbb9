"""The full-cell protocol engine honours every step: CC, CV with taper, rest, limits, cut-offs."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from lilean.parameters import default_parameters
from lilean.protocols import Experiment
from lilean.simulate import run_experiment, simulate_cycling

PARAMS = default_parameters()
AREA = PARAMS.cell.electrode_area_cm2.value
LOADING = 0.4
CCCV = (
    "Charge at 1C until 4.2 V",
    "Hold at 4.2 V until C/50",
    "Rest for 10 minutes",
    "Discharge at 1C until 2.0 V",
)


def _run(steps, repeat: int = 1, substrate: str = "cu", li: float = 10.0):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning anywhere on the way
        return run_experiment(
            PARAMS,
            substrate,
            Experiment([tuple(steps)] * repeat),
            cathode_loading_mAh_cm2=LOADING,
            li_inventory_mAh_cm2=li,
        )


def test_cccv_finite_taper_to_c50_and_no_overshoot() -> None:
    run = _run(CCCV, repeat=10)
    d = run.data.data
    v = d["Voltage [V]"].to_numpy()
    assert np.isfinite(v).all()
    assert v.max() <= 4.2 + 5e-3
    assert v.min() >= 2.0 - 5e-3
    c_50_mA = LOADING * AREA / 50.0
    for cycle in range(1, 11):
        c = d[d["Cycle"] == cycle]
        steps = sorted(c["Step"].unique())
        hold = c[c["Step"] == steps[1]]
        i_mA = hold["Current [A]"].to_numpy() * 1e3
        assert (i_mA >= 0).all()
        # monotonic taper from the CC current down to (just below) C/50
        assert np.all(np.diff(i_mA) <= 1e-12)
        assert i_mA[0] == pytest.approx(LOADING * AREA, rel=1e-6)
        assert i_mA[-1] <= c_50_mA
        assert i_mA[-2] > c_50_mA
        # the hold keeps the voltage at its set value (within the solver tolerance)
        assert np.abs(hold["Voltage [V]"].to_numpy()[1:] - 4.2).max() < 1e-3
        rest = c[c["Step"] == steps[2]]
        assert (rest["Current [A]"] == 0).all()
        assert rest["Time [s]"].iloc[-1] - rest["Time [s]"].iloc[0] == pytest.approx(600.0)
        # the CC charge ends at its cut-off, not below it by more than the tolerance
        cc = c[c["Step"] == steps[0]]
        assert cc["Voltage [V]"].iloc[-1] == pytest.approx(4.2, abs=5e-3)


def test_cv_adds_charge_over_cc_only() -> None:
    cc = _run(CCCV[:1] + CCCV[3:])
    cccv = _run(CCCV)
    q_cc = float(cc.cycles["Charge capacity [mAh/cm2]"].iloc[0])
    q_cccv = float(cccv.cycles["Charge capacity [mAh/cm2]"].iloc[0])
    assert q_cccv > q_cc


def test_capacity_and_time_limits_are_exact() -> None:
    run = _run(
        (
            "Charge at 0.5C for 30 minutes",
            "Rest for 5 minutes",
            "Discharge at 1C until 0.05 mAh/cm2",
        )
    )
    d = run.data.data
    ch = d[d["Step"] == 1]
    assert ch["Time [s]"].iloc[-1] - ch["Time [s]"].iloc[0] == pytest.approx(1800.0)
    q_dis = float(run.cycles["Discharge capacity [mAh/cm2]"].iloc[0])
    assert q_dis == pytest.approx(0.05, rel=1e-9)


def test_timed_step_without_voltage_limit_ends_where_the_cathode_is_spent() -> None:
    """A timed charge runs its full time, unless the LFP has no Li left to give: then its potential
    diverges and the step ends there, with a finite last voltage."""
    run = _run(("Charge at 0.05C for 10 hours", "Charge at 1C for 5 hours"))
    d = run.data.data
    first = d[d["Step"] == 1]
    assert first["Time [s]"].iloc[-1] - first["Time [s]"].iloc[0] == pytest.approx(36000.0)
    second = d[d["Step"] == 2]
    assert second["Time [s]"].iloc[-1] - second["Time [s]"].iloc[0] < 3600.0
    assert np.isfinite(second["Voltage [V]"]).all()


def test_hold_below_ocv_discharges() -> None:
    run = _run(("Charge at 1C until 4.2 V", "Hold at 3.3 V for 30 minutes"))
    hold = run.data.data[run.data.data["Step"] == 2]
    assert (hold["Current [A]"] <= 0).all()
    assert (hold["Current [A]"] < 0).any()


def test_li_cu_300_cycles_never_exceeds_upper_cutoff() -> None:
    """After the reservoir runs out (~cycle 150) the charge still ends at 4.2 V: plating onto the
    emptied Cu needs its nucleation overpotential, not an infinite one."""
    sim = simulate_cycling(
        PARAMS, "cu", cathode_loading_mAh_cm2=0.4, li_inventory_mAh_cm2=10.0, c_rate=1, cycles=300
    )
    v = sim.data.data["Voltage [V]"].to_numpy()
    assert np.isfinite(v).all()
    assert v.max() <= 4.205
    assert v.min() >= 2.0 - 5e-3
    dis = sim.summary["Discharge capacity [mAh/g]"].to_numpy()
    assert dis[-1] < 0.5 * dis[0]  # the collapse still happens


def _shorting_run(filament_radius_um: float):
    p = PARAMS.replace(
        {
            "substrates.cu.anode.dendrite_growth_um_per_mAh": 400.0,
            "substrates.cu.anode.sand_time_1mA_s": 10.0,
            "substrates.cu.anode.filament_radius_um": filament_radius_um,
        }
    )
    return run_experiment(
        p,
        "cu",
        Experiment([("Charge at 1C until 4.2 V", "Discharge at 1C until 2.0 V")] * 8),
        cathode_loading_mAh_cm2=LOADING,
        li_inventory_mAh_cm2=10.0,
    )


def test_soft_short_fuses_open_in_a_full_cell_hard_short_only_if_fuse_voltage_above_emf() -> None:
    """A filament that bridges the separator sees the LFP EMF (~3.4 V), far above its fuse voltage
    (~0.06 V at 0.5 um): it melts open, is counted, and the cell keeps its capacity. Only an
    (unphysically thin, 1 nm) filament with a fuse voltage above the EMF stays a hard short."""
    soft = _shorting_run(0.5)
    cyc = soft.cycles
    assert cyc["Soft shorts"].iloc[-1] > 0
    assert not cyc["Shorted"].any()
    dis = cyc["Discharge capacity [mAh/cm2]"].to_numpy()
    assert dis[-1] > 0.95 * dis[1]
    hard = _shorting_run(0.001)
    assert hard.cycles["Shorted"].any()
    assert hard.cycles["Discharge capacity [mAh/cm2]"].iloc[-1] < 0.05 * dis[1]
