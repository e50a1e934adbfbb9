"""lilean's LFP SPMe against PyBaMM's own SPMe of the same Li || LFP half-cell.

PyBaMM: ``pybamm.lithium_ion.SPMe(options={"working electrode": "positive",
"contact resistance": "true"})`` with the parameter values of
:func:`lilean.models.cathode.pybamm_half_cell_parameter_values` (PyBaMM's ``Xu2019`` Li-metal set with
every cathode / separator / electrolyte value replaced by lilean's: Prada2013 OCV, c_max, D_s, R, the
geometry derived from the study's loading, Nyman-form conductivity, constant D_e, ...). lilean: the
numba kernels plus the Li-metal Butler-Volmer counter electrode with the same Xu2019 exchange current.
PyBaMM reports positive current on discharge; lilean's table has negative current on discharge, and both
report the discharge capacity as a positive number, which is what is compared.
"""

from __future__ import annotations

import numpy as np
import pytest

from lilean.models import cathode as cm
from lilean.parameters import default_parameters
from lilean.schema import DISCHARGE_CAPACITY, VOLTAGE

pybamm = pytest.importorskip("pybamm", reason="pybamm (the 'reference' extra) is not installed")

pytestmark = pytest.mark.reference

X0 = 0.01
#: lilean's electrode in its single-particle limit (one class, no particle contact resistance) is
#: the SPMe; the particle-class electrode: test_cathode_distribution_vs_pybamm.py
SPME = {
    "cathode.particle_classes": 1,
    "cathode.particle_contact_resistance_ohm_m2": 0.0,
    "cathode.particle_radius_log_sd": 0.0,
}


def _spme(changes: dict | None = None):
    return default_parameters().replace({**SPME, **(changes or {})})


def _pybamm_run(
    params, c_rate: float, *, x0: float = X0, loading: float | None = None, charge: bool = False
):
    pv = cm.pybamm_half_cell_parameter_values(params, x0=x0, cathode_loading_mAh_cm2=loading)
    # PyBaMM: positive current = discharge
    pv["Current function [A]"] = pv["Current function [A]"] * c_rate * (-1.0 if charge else 1.0)
    model = pybamm.lithium_ion.SPMe(
        options={"working electrode": "positive", "contact resistance": "true"}
    )
    var_pts = {"x_n": 5, "x_s": 20, "x_p": 20, "r_n": 5, "r_p": 40}
    sim = pybamm.Simulation(model, parameter_values=pv, var_pts=var_pts)
    return sim.solve(np.linspace(0.0, 1.2 * 3600.0 / c_rate, 3000))


def _pybamm_discharge(params, c_rate: float, loading: float | None = None):
    sol = _pybamm_run(params, c_rate, loading=loading)
    assert "Minimum voltage" in sol.termination
    # PyBaMM: positive current = discharge; its "Discharge capacity" grows on discharge
    assert float(sol["Current [A]"].entries[0]) > 0
    q_mAh = sol["Discharge capacity [A.h]"].entries * 1e3
    return q_mAh, sol["Voltage [V]"].entries


def _rms_mV(q, v, q_ref, v_ref) -> float:
    """RMS voltage difference on a common capacity grid, excluding the last 2 % before cut-off."""
    grid = np.linspace(0.0, 0.98 * min(q[-1], q_ref[-1]), 500)
    diff = np.interp(grid, q, v) - np.interp(grid, q_ref, v_ref)
    return 1e3 * float(np.sqrt(np.mean(diff**2)))


@pytest.mark.parametrize(
    ("c_rate", "changes"),
    [
        (1.0, {}),  # the calibrated default set
        (2.0, {}),
        (1.0, {"cathode.solid_diffusivity_m2_s": 1.5e-18, "cathode.active_material_fraction": 1.0}),
    ],
)
def test_discharge_curve_matches_pybamm_spme(c_rate, changes):
    params = _spme(changes)
    q_ref, v_ref = _pybamm_discharge(params, c_rate)
    ours = cm.simulate_half_cell_discharge(params, c_rate, x0=X0).data
    assert (ours["Current [A]"] < 0).all()
    q = ours[DISCHARGE_CAPACITY].to_numpy()
    v = ours[VOLTAGE].to_numpy()
    # same capacity to the 2.0 V cut-off
    assert q[-1] == pytest.approx(q_ref[-1], rel=5e-3)
    rms_mV = _rms_mV(q, v, q_ref, v_ref)
    assert rms_mV < 10.0, f"RMS difference {rms_mV:.2f} mV at {c_rate} C"
    # mid-discharge plateau agrees closely
    q_mid = 0.5 * q[-1]
    assert abs(np.interp(q_mid, q, v) - np.interp(q_mid, q_ref, v_ref)) < 2e-3


def test_thick_cathode_discharge_matches_pybamm_spme():
    # N/P = 10 cells: 1.0 mAh/cm^2, a 2.5x thicker cathode (larger electrolyte polarisation)
    params = _spme()
    q_ref, v_ref = _pybamm_discharge(params, 1.0, loading=1.0)
    ours = cm.simulate_half_cell_discharge(params, 1.0, x0=X0, cathode_loading_mAh_cm2=1.0).data
    q = ours[DISCHARGE_CAPACITY].to_numpy()
    assert q[-1] == pytest.approx(q_ref[-1], rel=5e-3)
    assert _rms_mV(q, ours[VOLTAGE].to_numpy(), q_ref, v_ref) < 10.0


def test_charge_curve_matches_pybamm_spme():
    # charge: lilean current > 0, PyBaMM current < 0; both to the 4.2 V upper cut-off
    params = _spme()
    x0 = 0.99
    sol = _pybamm_run(params, 1.0, x0=x0, charge=True)
    assert "Maximum voltage" in sol.termination
    assert float(sol["Current [A]"].entries[0]) < 0
    q_ref = -sol["Discharge capacity [A.h]"].entries * 1e3
    v_ref = sol["Voltage [V]"].entries
    p = cm.cathode_parameter_vector(params)
    state = cm.initial_state(p, x0)
    i = cm.one_c_current_density_A_m2(params)
    t = np.empty(2000)
    v = np.empty(2000)
    n = cm.run_constant_current(
        state, p, i, 18.0, 4.2, 7200.0, cm.XU2019_LI_I0_COEFFICIENT, cm.XU2019_LI_I0_EXPONENT,
        0.0, t, v,
    )  # fmt: skip
    q = i * t[:n] / 3.6 * params.cell.electrode_area_cm2.value * 1e-4
    assert v[n - 1] == pytest.approx(4.2, abs=1e-3)
    assert q[-1] == pytest.approx(q_ref[-1], rel=5e-3)
    assert _rms_mV(q, v[:n], q_ref, v_ref) < 10.0
